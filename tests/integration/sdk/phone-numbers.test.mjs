// Phone numbers through the SDK (vapi / twilio / byo-phone-number), the byo-sip-trunk
// credential they need (raw HTTP: the SDK has no credentials client), and GET /v2/phone-number.
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import {
    vapiA, ORG_A, uniq, sleep, created, assertContains, assertPersisted, expectSdkError, expect400, quietly,
    randomE164, createSipTrunkCredential, http, assertErrorBody, minimalAssistant,
} from "./lib.mjs";

const numbersToDelete = [];
let assistant;
let credential;
before(async () => {
    assistant = await vapiA.assistants.create(minimalAssistant());
    credential = await createSipTrunkCredential();
});
after(async () => {
    for (const id of numbersToDelete) await quietly(() => vapiA.phoneNumbers.delete({ id }));
    await quietly(() => vapiA.assistants.delete({ id: assistant.id }));
    if (credential) await quietly(() => http("DELETE", `/credential/${credential.id}`));
});

const BODIES = {
    vapi: () => ({
        provider: "vapi",
        name: uniq("sip line"),
        sipUri: `sip:${uniq("voxa")}@sip.example.org`,
        assistantId: assistant.id,
        authentication: { realm: "example.org", username: "softphone-user-000001", password: "softphone-password-0001" },
        server: { url: "https://hooks.example.com/pn", timeoutSeconds: 7, headers: { "X-Line": "1" } },
        fallbackDestination: { type: "number", number: "+14155550123", message: "Forwarding you now." },
    }),
    twilio: () => ({
        provider: "twilio",
        name: uniq("twilio line"),
        number: randomE164(),
        twilioAccountSid: "AC" + "0123456789abcdef".repeat(2),
        twilioAuthToken: "twilio-auth-token-value",
        smsEnabled: false,
        assistantId: assistant.id,
    }),
    "byo-phone-number": () => ({
        provider: "byo-phone-number",
        name: uniq("trunk line"),
        number: randomE164(),
        numberE164CheckEnabled: false,
        credentialId: credential.id,
        assistantId: assistant.id,
    }),
};

/** Fields that are secrets: Vapi may or may not echo them, so they are not compared. */
const SECRET = { twilio: ["twilioAuthToken"], vapi: ["authentication"] };
function visible(provider, body) {
    const copy = { ...body };
    for (const k of SECRET[provider] ?? []) delete copy[k];
    return copy;
}

describe("credentials (raw HTTP)", () => {
    test("POST /credential byo-sip-trunk → 201; GET; list; secrets are not returned", async () => {
        assertPersisted(credential, { orgId: ORG_A });
        assert.deepEqual(credential.gateways?.[0]?.ip, "203.0.113.10");
        const got = await http("GET", `/credential/${credential.id}`);
        assert.equal(got.status, 200, got.text);
        assert.equal(got.body.id, credential.id);
        assert.ok(!got.text.includes("voxa-secret"), "authPassword must never be returned");
        const list = await http("GET", "/credential");
        assert.equal(list.status, 200);
        assert.ok(Array.isArray(list.body) && list.body.some((c) => c.id === credential.id));
    });
    test("credential validation and 404", async () => {
        const bad = await http("POST", "/credential", { json: { provider: "byo-sip-trunk", gateways: [{ ip: "1.2.3.4" }], bogus: 1 } });
        assert.equal(bad.status, 400, bad.text);
        assertErrorBody(bad.body, 400);
        const missing = await http("GET", "/credential/00000000-0000-4000-8000-000000000003");
        assert.equal(missing.status, 404);
        assertErrorBody(missing.body, 404);
    });
});

for (const provider of Object.keys(BODIES)) {
    describe(`phone numbers: ${provider}`, () => {
        test("create 201, round-trip on get/list, PATCH, delete then 404", async () => {
            const body = BODIES[provider]();
            const pn = await created(vapiA.phoneNumbers.create(body));
            numbersToDelete.push(pn.id);
            assertPersisted(pn, { orgId: ORG_A });
            assertContains(pn, visible(provider, body), "create");
            assertContains(await vapiA.phoneNumbers.get({ id: pn.id }), visible(provider, body), "get");
            const list = await vapiA.phoneNumbers.list({ limit: 1000 });
            assert.ok(Array.isArray(list));
            const listed = list.find((p) => p.id === pn.id);
            assert.ok(listed, "listed");
            assertContains(listed, visible(provider, body), "list");

            await sleep(25);
            const p = await vapiA.phoneNumbers.update({ id: pn.id, body: { provider, name: "renamed", assistantId: null } });
            assert.equal(p.name, "renamed");
            assert.equal(p.createdAt, pn.createdAt);
            assert.ok(Date.parse(p.updatedAt) > Date.parse(pn.updatedAt), "updatedAt advances");
            assert.ok(p.assistantId == null, "assistantId cleared with null");
            if (body.number) assert.equal(p.number, body.number, "untouched keys survive PATCH");
            if (body.sipUri) assert.equal(p.sipUri, body.sipUri, "untouched keys survive PATCH");

            const d = await vapiA.phoneNumbers.delete({ id: pn.id });
            assert.equal(d.id, pn.id);
            await expectSdkError(vapiA.phoneNumbers.get({ id: pn.id }), 404, { ctx: "GET after DELETE" });
        });
    });
}

describe("phone numbers: validation of the provider union", () => {
    test("twilio requires number and twilioAccountSid", async () => {
        await expect400(vapiA.phoneNumbers.create({ provider: "twilio", twilioAccountSid: "AC1" }), /number/);
        await expect400(vapiA.phoneNumbers.create({ provider: "twilio", number: randomE164() }), /twilioAccountSid/);
    });
    test("byo-phone-number requires credentialId", async () => {
        await expect400(vapiA.phoneNumbers.create({ provider: "byo-phone-number", number: randomE164() }), /credentialId/);
    });
    test("a field of another provider → 400", async () => {
        await expect400(
            vapiA.phoneNumbers.create({ provider: "vapi", sipUri: `sip:${uniq("x")}@h.example`, twilioAccountSid: "AC1" }),
            /property twilioAccountSid should not exist/,
        );
    });
    test("unknown provider → 400", async () => {
        await expect400(vapiA.phoneNumbers.create({ provider: "carrier-pigeon" }), /provider/);
    });
    test("unknown phone number → 404", async () => {
        await expectSdkError(vapiA.phoneNumbers.get({ id: "00000000-0000-4000-8000-000000000004" }), 404);
    });
});

describe("GET /v2/phone-number (paginated)", () => {
    const tag = uniq("page");
    const mine = [];
    before(async () => {
        for (let i = 0; i < 3; i++) {
            const pn = await vapiA.phoneNumbers.create({ provider: "vapi", name: `${tag} ${i}`, sipUri: `sip:${tag}-${i}@pbx.example.net` });
            mine.push(pn);
            numbersToDelete.push(pn.id);
            await sleep(15);
        }
    });

    test("returns {results, metadata{itemsPerPage,totalItems,currentPage}}", async () => {
        const r = await vapiA.phoneNumbers.phoneNumberControllerFindAllPaginated({ limit: 2, page: 1 });
        assert.ok(Array.isArray(r.results), "results array");
        assert.ok(r.metadata, "metadata");
        assert.equal(r.metadata.itemsPerPage, 2);
        assert.equal(r.metadata.currentPage, 1);
        assert.equal(typeof r.metadata.totalItems, "number");
        assert.ok(r.metadata.totalItems >= 3);
        assert.equal(r.results.length, 2);
        const all = await vapiA.phoneNumbers.list({ limit: 1000 });
        assert.equal(r.metadata.totalItems, all.length, "totalItems counts the org's numbers");
    });

    test("search narrows to matching numbers and pages are disjoint", async () => {
        const p1 = await vapiA.phoneNumbers.phoneNumberControllerFindAllPaginated({ search: tag, limit: 2, page: 1 });
        const p2 = await vapiA.phoneNumbers.phoneNumberControllerFindAllPaginated({ search: tag, limit: 2, page: 2 });
        assert.equal(p1.metadata.totalItems, 3);
        assert.equal(p1.results.length, 2);
        assert.equal(p2.results.length, 1);
        assert.equal(p2.metadata.currentPage, 2);
        const seen = [...p1.results, ...p2.results].map((x) => x.id);
        assert.deepEqual(new Set(seen), new Set(mine.map((x) => x.id)), "pages cover the matches exactly once");
        // default order is createdAt DESC
        assert.deepEqual(seen, [mine[2].id, mine[1].id, mine[0].id]);
        if (p1.metadata.totalPages !== undefined) assert.equal(p1.metadata.totalPages, 2);
        if (p1.metadata.hasNextPage !== undefined) assert.equal(p1.metadata.hasNextPage, true);
        if (p2.metadata.hasNextPage !== undefined) assert.equal(p2.metadata.hasNextPage, false);
    });

    test("sortOrder ASC reverses the order", async () => {
        const r = await vapiA.phoneNumbers.phoneNumberControllerFindAllPaginated({ search: tag, sortOrder: "ASC" });
        assert.deepEqual(r.results.map((x) => x.id), mine.map((x) => x.id));
    });

    test("createdAt filters apply", async () => {
        const r = await vapiA.phoneNumbers.phoneNumberControllerFindAllPaginated({ search: tag, createdAtGt: mine[0].createdAt });
        assert.deepEqual(new Set(r.results.map((x) => x.id)), new Set([mine[1].id, mine[2].id]));
        assert.equal(r.metadata.totalItems, 2);
    });
});
