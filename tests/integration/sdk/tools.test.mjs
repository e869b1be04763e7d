// Tools through the SDK: every core `type` variant round-trips; PATCH; DELETE; per-variant
// validation of the discriminated union.
import { test, describe, after } from "node:test";
import assert from "node:assert/strict";
import {
    vapiA, ORG_A, uniq, sleep, created, assertContains, assertPersisted, expectSdkError, expect400, quietly, http,
    assertErrorBody,
} from "./lib.mjs";

const cleanup = [];
after(async () => {
    for (const id of cleanup) await quietly(() => vapiA.tools.delete({ id }));
});

const VARIANTS = {
    function: () => ({
        type: "function",
        async: false,
        function: {
            name: uniq("get_weather").replace(/-/g, "_"),
            description: "Returns the weather for a city",
            strict: false,
            parameters: {
                type: "object",
                properties: {
                    city: { type: "string", description: "City name" },
                    unit: { type: "string", enum: ["c", "f"] },
                },
                required: ["city"],
            },
        },
        server: { url: "https://tools.example.com/weather", timeoutSeconds: 10, headers: { "X-Tool": "weather" } },
        messages: [
            { type: "request-start", content: "Checking the weather.", blocking: false },
            { type: "request-complete", content: "Here it is.", role: "assistant", endCallAfterSpokenEnabled: false },
            { type: "request-failed", content: "I couldn't reach the weather service.", endCallAfterSpokenEnabled: false },
            { type: "request-response-delayed", content: "Still working on it.", timingMilliseconds: 2000 },
        ],
    }),
    endCall: () => ({
        type: "endCall",
        messages: [{ type: "request-start", content: "Goodbye!" }],
    }),
    transferCall: () => ({
        type: "transferCall",
        destinations: [
            {
                type: "number",
                number: "+14155550100",
                extension: "42",
                callerId: "+14155550199",
                numberE164CheckEnabled: true,
                message: "Transferring you to billing.",
                description: "Billing department",
                transferPlan: { mode: "warm-transfer-say-message", message: "Incoming transfer from the AI line.", sipVerb: "refer" },
            },
            {
                type: "sip",
                sipUri: "sip:support@pbx.example.com",
                sipHeaders: { "X-Reason": "escalation" },
                message: "Connecting you to support.",
                description: "Support desk",
                transferPlan: { mode: "blind-transfer" },
            },
        ],
        messages: [{ type: "request-start", content: "Please hold." }],
    }),
    dtmf: () => ({
        type: "dtmf",
        sipInfoDtmfEnabled: true,
        messages: [{ type: "request-start", content: "Pressing keys." }],
    }),
    apiRequest: () => ({
        type: "apiRequest",
        name: uniq("create_ticket").replace(/-/g, "_"),
        description: "Creates a helpdesk ticket",
        method: "POST",
        url: "https://api.example.com/tickets",
        timeoutSeconds: 30,
        body: {
            type: "object",
            properties: { subject: { type: "string", description: "Ticket subject" }, priority: { type: "string", enum: ["low", "high"] } },
            required: ["subject"],
        },
        headers: { type: "object", properties: { "X-Api-Version": { type: "string", description: "2024-01" } } },
    }),
};

for (const [type, make] of Object.entries(VARIANTS)) {
    describe(`tools: ${type}`, () => {
        test("create 201, round-trip on create/get/list, delete then 404", async () => {
            const body = make();
            const tool = await created(vapiA.tools.create(body));
            cleanup.push(tool.id);
            assertPersisted(tool, { orgId: ORG_A });
            assertContains(tool, body, "create");
            const got = await vapiA.tools.get({ id: tool.id });
            assertContains(got, body, "get");
            assert.equal(got.createdAt, tool.createdAt);
            const list = await vapiA.tools.list({ limit: 1000 });
            assert.ok(Array.isArray(list));
            const listed = list.find((t) => t.id === tool.id);
            assert.ok(listed, "tool is listed");
            assertContains(listed, body, "list");

            const deleted = await vapiA.tools.delete({ id: tool.id });
            assert.equal(deleted.id, tool.id);
            assertContains(deleted, body, "delete");
            await expectSdkError(vapiA.tools.get({ id: tool.id }), 404, { ctx: "GET after DELETE" });
        });
    });
}

describe("tools: PATCH", () => {
    test("function tool: top-level keys merge, nested `function` replaced", async () => {
        const body = VARIANTS.function();
        const tool = await vapiA.tools.create(body);
        cleanup.push(tool.id);
        await sleep(25);
        const newFn = { name: "renamed_fn", description: "new description" };
        const p = await vapiA.tools.update({ id: tool.id, body: { type: "function", function: newFn, async: true } });
        assertContains(p.function, newFn);
        assert.equal(p.function.parameters, undefined, "function object replaced, parameters dropped");
        assert.equal(p.async, true);
        assertContains(p.server, body.server, "server untouched");
        assertContains(p.messages, body.messages, "messages untouched");
        assert.equal(p.createdAt, tool.createdAt);
        assert.ok(Date.parse(p.updatedAt) > Date.parse(tool.updatedAt), "updatedAt advances");
        assert.deepEqual(await vapiA.tools.get({ id: tool.id }), p);
    });

    test("transferCall tool: destinations replaced", async () => {
        // (no transferPlan.sipVerb here, so this checks PATCH on its own)
        const tool = await vapiA.tools.create({
            type: "transferCall",
            destinations: [{ type: "sip", sipUri: "sip:old@pbx.example.com", description: "old" }],
            messages: [{ type: "request-start", content: "Please hold." }],
        });
        cleanup.push(tool.id);
        const dest = [{ type: "number", number: "+14155550111" }];
        const p = await vapiA.tools.update({ id: tool.id, body: { type: "transferCall", destinations: dest } });
        assertContains(p.destinations, dest);
        assert.equal(p.destinations[0].sipUri, undefined, "destinations replaced as a whole");
        assertContains(p.messages, [{ type: "request-start", content: "Please hold." }], "messages untouched");
    });

    test("PATCH with a property of another variant is rejected", async () => {
        const tool = await vapiA.tools.create(VARIANTS.endCall());
        cleanup.push(tool.id);
        await expect400(vapiA.tools.update({ id: tool.id, body: { type: "endCall", destinations: [] } }), /destinations should not exist/);
    });

    test("PATCH of an unknown tool is 404", async () => {
        await expectSdkError(vapiA.tools.update({ id: "00000000-0000-4000-8000-000000000001", body: { type: "endCall" } }), 404);
    });
});

describe("tools: validation of the discriminated union", () => {
    test("missing type → 400", async () => {
        await expect400(vapiA.tools.create({ function: { name: "x" } }), null, "no type");
    });
    test("unknown type → 400", async () => {
        await expect400(vapiA.tools.create({ type: "teleport" }), /type/, "bad type");
    });
    test("a field of another variant → 400 'property … should not exist'", async () => {
        await expect400(
            vapiA.tools.create({ type: "endCall", destinations: [{ type: "number", number: "+14155550100" }] }),
            /property destinations should not exist/,
        );
        await expect400(vapiA.tools.create({ type: "dtmf", url: "https://x.example.com" }), /property url should not exist/);
    });
    test("apiRequest requires url and method", async () => {
        await expect400(vapiA.tools.create({ type: "apiRequest", method: "GET" }), /url/, "no url");
        await expect400(vapiA.tools.create({ type: "apiRequest", url: "https://api.example.com" }), /method/, "no method");
        await expect400(vapiA.tools.create({ type: "apiRequest", method: "FETCH", url: "https://api.example.com" }), /method/, "bad method");
    });
    test("transferCall destination variants are validated", async () => {
        await expect400(vapiA.tools.create({ type: "transferCall", destinations: [{ type: "number" }] }), /destinations/, "number needs number");
        await expect400(vapiA.tools.create({ type: "transferCall", destinations: [{ type: "sip" }] }), /destinations/, "sip needs sipUri");
        await expect400(
            vapiA.tools.create({ type: "transferCall", destinations: [{ type: "number", number: "+14155550100", transferPlan: { mode: "teleport" } }] }),
            /destinations/,
            "bad transferPlan.mode",
        );
    });
    test("function.name must match /^[a-zA-Z0-9_-]{1,64}$/", async () => {
        await expect400(vapiA.tools.create({ type: "function", function: { name: "has spaces!" } }), /function\.name/);
    });
    test("tool message variants are validated", async () => {
        await expect400(
            vapiA.tools.create({ type: "endCall", messages: [{ type: "request-whenever", content: "x" }] }),
            /messages/,
        );
    });
    test("malformed JSON on /tool → 400", async () => {
        const r = await http("POST", "/tool", { body: "{type:endCall}", headers: { "Content-Type": "application/json" } });
        assert.equal(r.status, 400, r.text);
        assertErrorBody(r.body, 400, "malformed JSON");
    });
});
