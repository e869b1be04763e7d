// Org isolation: org B cannot see, change or delete anything of org A's, and its lists never
// contain org A's objects.
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import {
    vapiA, vapiB, KEY_A, KEY_B, ORG_A, ORG_B, BASE_URL, uniq, expectSdkError, quietly, minimalAssistant,
    createSipTrunkCredential, http, assertErrorBody,
} from "./lib.mjs";

const own = {};
before(async () => {
    own.assistant = await vapiA.assistants.create(minimalAssistant());
    own.tool = await vapiA.tools.create({ type: "endCall" });
    own.squad = await vapiA.squads.create({ members: [{ assistantId: own.assistant.id }] });
    own.phoneNumber = await vapiA.phoneNumbers.create({ provider: "vapi", name: uniq("iso"), sipUri: `sip:${uniq("iso")}@pbx.example.com` });
    own.file = await vapiA.files.create({ file: { data: Buffer.from("org A secret"), filename: "a.txt", contentType: "text/plain" }, purpose: "assistant" });
    own.credential = await createSipTrunkCredential(KEY_A);
});
after(async () => {
    await quietly(() => vapiA.squads.delete({ id: own.squad.id }));
    await quietly(() => vapiA.phoneNumbers.delete({ id: own.phoneNumber.id }));
    await quietly(() => vapiA.assistants.delete({ id: own.assistant.id }));
    await quietly(() => vapiA.tools.delete({ id: own.tool.id }));
    await quietly(() => vapiA.files.delete({ id: own.file.id }));
    await quietly(() => http("DELETE", `/credential/${own.credential.id}`));
});

describe("org isolation", () => {
    test("the two orgs are different", async () => {
        const b = await vapiB.assistants.create(minimalAssistant());
        try {
            assert.notEqual(b.orgId, own.assistant.orgId);
            if (ORG_A) assert.equal(own.assistant.orgId, ORG_A);
            if (ORG_B) assert.equal(b.orgId, ORG_B);
            await expectSdkError(vapiA.assistants.get({ id: b.id }), 404, { ctx: "A reads B's assistant" });
        } finally {
            await vapiB.assistants.delete({ id: b.id });
        }
    });

    test("assistant: B gets 404 on get/update/delete; A's copy is untouched", async () => {
        const id = own.assistant.id;
        await expectSdkError(vapiB.assistants.get({ id }), 404, { ctx: "get" });
        await expectSdkError(vapiB.assistants.update({ id, name: "hijacked" }), 404, { ctx: "update" });
        await expectSdkError(vapiB.assistants.delete({ id }), 404, { ctx: "delete" });
        const still = await vapiA.assistants.get({ id });
        assert.equal(still.name, own.assistant.name);
    });

    test("tool: B gets 404 on get/update/delete", async () => {
        const id = own.tool.id;
        await expectSdkError(vapiB.tools.get({ id }), 404, { ctx: "get" });
        await expectSdkError(vapiB.tools.update({ id, body: { type: "endCall" } }), 404, { ctx: "update" });
        await expectSdkError(vapiB.tools.delete({ id }), 404, { ctx: "delete" });
        await vapiA.tools.get({ id });
    });

    test("squad: B gets 404 on get/update/delete", async () => {
        const id = own.squad.id;
        await expectSdkError(vapiB.squads.get({ id }), 404, { ctx: "get" });
        await expectSdkError(vapiB.squads.update({ id, members: [{ assistantId: own.assistant.id }] }), 404, { ctx: "update" });
        await expectSdkError(vapiB.squads.delete({ id }), 404, { ctx: "delete" });
        await vapiA.squads.get({ id });
    });

    test("phone number: B gets 404 on get/update/delete", async () => {
        const id = own.phoneNumber.id;
        await expectSdkError(vapiB.phoneNumbers.get({ id }), 404, { ctx: "get" });
        await expectSdkError(vapiB.phoneNumbers.update({ id, body: { provider: "vapi", name: "hijacked" } }), 404, { ctx: "update" });
        await expectSdkError(vapiB.phoneNumbers.delete({ id }), 404, { ctx: "delete" });
        await vapiA.phoneNumbers.get({ id });
    });

    test("file: B gets 404 on get/update/delete and on its content", async () => {
        const id = own.file.id;
        await expectSdkError(vapiB.files.get({ id }), 404, { ctx: "get" });
        await expectSdkError(vapiB.files.update({ id, name: "hijacked" }), 404, { ctx: "update" });
        await expectSdkError(vapiB.files.delete({ id }), 404, { ctx: "delete" });
        const res = await fetch(`${BASE_URL}/file/${id}/content`, { headers: { Authorization: `Bearer ${KEY_B}` } });
        const text = await res.text();
        assert.equal(res.status, 404);
        assert.ok(!text.includes("org A secret"));
        await vapiA.files.get({ id });
    });

    test("credential: B gets 404", async () => {
        const r = await http("GET", `/credential/${own.credential.id}`, { token: KEY_B });
        assert.equal(r.status, 404, r.text);
        assertErrorBody(r.body, 404);
        const d = await http("DELETE", `/credential/${own.credential.id}`, { token: KEY_B });
        assert.equal(d.status, 404, d.text);
    });

    test("B's lists never contain A's objects", async () => {
        const aIds = new Set([own.assistant.id, own.tool.id, own.squad.id, own.phoneNumber.id, own.file.id, own.credential.id]);
        const lists = {
            assistants: await vapiB.assistants.list({ limit: 1000 }),
            tools: await vapiB.tools.list({ limit: 1000 }),
            squads: await vapiB.squads.list({ limit: 1000 }),
            phoneNumbers: await vapiB.phoneNumbers.list({ limit: 1000 }),
            phoneNumbersV2: (await vapiB.phoneNumbers.phoneNumberControllerFindAllPaginated({ limit: 1000 })).results,
            files: await vapiB.files.list({ purpose: "assistant" }),
            squadsIdAny: await vapiB.squads.list({ idAny: own.squad.id }),
            credentials: (await http("GET", "/credential", { token: KEY_B })).body,
        };
        for (const [k, list] of Object.entries(lists)) {
            assert.ok(Array.isArray(list), `${k} is an array`);
            for (const x of list) {
                assert.ok(!aIds.has(x.id), `${k}: org B sees org A's ${x.id}`);
                if (ORG_A) assert.notEqual(x.orgId, ORG_A, `${k}: object of org A in org B's list`);
            }
        }
    });
});
