// Legacy list endpoints (bare arrays): `limit` (default 100, max 1000), newest-first order and
// every createdAt/updatedAt filter, for each resource the SDK lists with those parameters.
// Only ids created here are looked at, so other test files running alongside cannot interfere.
import { test, describe, after } from "node:test";
import assert from "node:assert/strict";
import { vapiA, uniq, sleep, expect400, quietly, minimalAssistant, http, assertErrorBody, KEY_A } from "./lib.mjs";

let assistantForSquads;
const RESOURCES = {
    assistants: {
        ns: "assistants",
        make: () => minimalAssistant(),
        patch: (id) => vapiA.assistants.update({ id, name: uniq("touched") }),
    },
    tools: {
        ns: "tools",
        make: () => ({ type: "endCall" }),
        patch: (id) => vapiA.tools.update({ id, body: { type: "endCall", messages: [{ type: "request-start", content: "bye" }] } }),
    },
    squads: {
        ns: "squads",
        make: async () => {
            if (!assistantForSquads) assistantForSquads = await vapiA.assistants.create(minimalAssistant());
            return { name: uniq("sq"), members: [{ assistantId: assistantForSquads.id }] };
        },
        patch: (id) => vapiA.squads.update({ id, name: uniq("touched"), members: [{ assistantId: assistantForSquads.id }] }),
    },
    phoneNumbers: {
        ns: "phoneNumbers",
        make: () => ({ provider: "vapi", name: uniq("pn"), sipUri: `sip:${uniq("list")}@pbx.example.com` }),
        patch: (id) => vapiA.phoneNumbers.update({ id, body: { provider: "vapi", name: uniq("touched") } }),
    },
};

const toDelete = [];
after(async () => {
    for (const [ns, id] of toDelete) await quietly(() => vapiA[ns].delete({ id }));
    if (assistantForSquads) await quietly(() => vapiA.assistants.delete({ id: assistantForSquads.id }));
});

/** Ids of `mine` (in creation order A,B,C) present in a listing. */
const pick = (list, mine) => mine.filter((m) => list.some((x) => x.id === m.id)).map((m) => m.id);

for (const [name, r] of Object.entries(RESOURCES)) {
    describe(`list filters: ${name}`, () => {
        const api = () => vapiA[r.ns];
        let A, B, C;

        test("setup: three items created 30 ms apart", async () => {
            const made = [];
            for (let i = 0; i < 3; i++) {
                const body = await r.make();
                const x = await api().create(body);
                toDelete.push([r.ns, x.id]);
                made.push(x);
                await sleep(30);
            }
            [A, B, C] = made;
            assert.ok(Date.parse(A.createdAt) < Date.parse(B.createdAt) && Date.parse(B.createdAt) < Date.parse(C.createdAt), "distinct createdAt");
        });

        test("bare array, newest first", async () => {
            const list = await api().list({ limit: 1000 });
            assert.ok(Array.isArray(list));
            for (let i = 1; i < list.length; i++) {
                assert.ok(Date.parse(list[i - 1].createdAt) >= Date.parse(list[i].createdAt), `newest first at ${i}`);
            }
            const order = list.map((x) => x.id).filter((id) => [A.id, B.id, C.id].includes(id));
            assert.deepEqual(order, [C.id, B.id, A.id]);
        });

        test("limit", async () => {
            const one = await api().list({ limit: 1 });
            assert.equal(one.length, 1);
            const two = await api().list({ limit: 2 });
            assert.equal(two.length, 2);
            assert.equal(two[0].id, one[0].id, "limit keeps newest-first order");
        });

        test("createdAtGt / Ge / Lt / Le around the middle item", async () => {
            const mine = [A, B, C];
            const q = async (k) => pick(await api().list({ limit: 1000, [k]: B.createdAt }), mine);
            assert.deepEqual(await q("createdAtGt"), [C.id], "createdAtGt excludes B");
            assert.deepEqual(await q("createdAtGe"), [B.id, C.id], "createdAtGe includes B");
            assert.deepEqual(await q("createdAtLt"), [A.id], "createdAtLt excludes B");
            assert.deepEqual(await q("createdAtLe"), [A.id, B.id], "createdAtLe includes B");
            const between = pick(await api().list({ limit: 1000, createdAtGt: A.createdAt, createdAtLt: C.createdAt }), mine);
            assert.deepEqual(between, [B.id], "Gt+Lt combine");
        });

        test("updatedAtGt / Ge / Lt / Le around the middle item, then after a PATCH", async () => {
            const mine = [A, B, C];
            const q = async (k, v = B.updatedAt) => pick(await api().list({ limit: 1000, [k]: v }), mine);
            assert.deepEqual(await q("updatedAtGt"), [C.id]);
            assert.deepEqual(await q("updatedAtGe"), [B.id, C.id]);
            assert.deepEqual(await q("updatedAtLt"), [A.id]);
            assert.deepEqual(await q("updatedAtLe"), [A.id, B.id]);
            await sleep(30);
            const touched = await r.patch(A.id);
            assert.ok(Date.parse(touched.updatedAt) > Date.parse(C.updatedAt));
            assert.deepEqual(await q("updatedAtGt", C.updatedAt), [A.id], "PATCH moves updatedAt");
            assert.deepEqual(await q("createdAtLt", B.createdAt), [A.id], "PATCH does not move createdAt");
        });

        test("filters accept an ISO date without milliseconds", async () => {
            const future = new Date(Date.now() + 3600_000).toISOString().replace(/\.\d+Z$/, "Z");
            const list = await api().list({ createdAtGt: future });
            assert.deepEqual(list, []);
        });
    });
}

describe("list parameter validation", () => {
    test("limit above 1000 → 400", async () => {
        await expect400(vapiA.assistants.list({ limit: 1001 }), /limit/);
    });
    test("negative limit → 400", async () => {
        await expect400(vapiA.tools.list({ limit: -1 }), /limit/);
    });
    test("a createdAt filter that is not a date → 400", async () => {
        await expect400(vapiA.assistants.list({ createdAtGt: "yesterday-ish" }), /createdAtGt/);
    });
    test("an unknown query parameter → 400", async () => {
        const r = await http("GET", "/assistant?colour=blue", { token: KEY_A });
        assert.equal(r.status, 400, r.text);
        assertErrorBody(r.body, 400);
    });
});

describe("limit defaults to 100", () => {
    test("GET /tool without limit returns at most 100 of 101+", async () => {
        const all = await vapiA.tools.list({ limit: 1000 });
        const need = Math.max(0, 101 - all.length);
        const batch = 10;
        for (let i = 0; i < need; i += batch) {
            const n = Math.min(batch, need - i);
            const made = await Promise.all(Array.from({ length: n }, () => vapiA.tools.create({ type: "dtmf" })));
            for (const t of made) toDelete.push(["tools", t.id]);
        }
        const dflt = await vapiA.tools.list();
        assert.equal(dflt.length, 100);
        const big = await vapiA.tools.list({ limit: 1000 });
        assert.ok(big.length >= 101);
        assert.deepEqual(dflt.map((t) => t.id), big.slice(0, 100).map((t) => t.id), "default page is the newest 100");
    });
});
