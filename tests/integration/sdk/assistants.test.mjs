// Assistants through the SDK: full-config CRUD with field-by-field round-trip, PATCH merge
// semantics, DELETE then 404, validation errors and legacy fields.
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import {
    vapiA, ORG_A, uniq, sleep, http, created, assertContains, assertPersisted, expectSdkError,
    expect400, assertErrorBody, messagesOf, quietly, minimalAssistant,
} from "./lib.mjs";

const cleanup = [];
after(async () => {
    for (const id of cleanup) await quietly(() => vapiA.assistants.delete({ id }));
});

/** The full assistant configuration a real Vapi customer would send. */
function fullAssistant(toolIds) {
    return {
        name: uniq("full-assistant"),
        firstMessage: "Hello! This is Riley from Wellness Partners. How can I help?",
        firstMessageMode: "assistant-speaks-first",
        firstMessageInterruptionsEnabled: true,
        endCallMessage: "Goodbye and take care.",
        endCallPhrases: ["goodbye", "talk to you later", "have a nice day"],
        voicemailMessage: "Please call us back.",
        maxDurationSeconds: 1200,
        model: {
            provider: "openai",
            model: "gpt-4o",
            temperature: 0.7,
            maxTokens: 300,
            emotionRecognitionEnabled: false,
            messages: [
                { role: "system", content: "You are Riley, a scheduling assistant. Be concise." },
                { role: "assistant", content: "Understood." },
            ],
            toolIds,
            tools: [
                {
                    type: "function",
                    async: false,
                    function: {
                        name: "check_availability",
                        description: "Checks open appointment slots",
                        parameters: {
                            type: "object",
                            properties: {
                                date: { type: "string", description: "ISO date" },
                                durationMinutes: { type: "number" },
                            },
                            required: ["date"],
                        },
                    },
                    server: { url: "https://hooks.example.com/tools", timeoutSeconds: 15 },
                    messages: [{ type: "request-start", content: "One moment while I check." }],
                },
                { type: "endCall" },
            ],
        },
        voice: {
            provider: "11labs",
            voiceId: "burt",
            model: "eleven_turbo_v2_5",
            stability: 0.5,
            similarityBoost: 0.75,
            style: 0.1,
            speed: 1.1,
            optimizeStreamingLatency: 3,
            useSpeakerBoost: true,
        },
        transcriber: {
            provider: "deepgram",
            model: "nova-2",
            language: "en",
            smartFormat: true,
            numerals: false,
            keywords: ["Riley:2", "Wellness"],
            endpointing: 300,
            confidenceThreshold: 0.4,
        },
        startSpeakingPlan: {
            waitSeconds: 0.8,
            smartEndpointingEnabled: false,
            transcriptionEndpointingPlan: { onPunctuationSeconds: 0.1, onNoPunctuationSeconds: 1.5, onNumberSeconds: 0.5 },
        },
        stopSpeakingPlan: {
            numWords: 2,
            voiceSeconds: 0.3,
            backoffSeconds: 1.5,
            acknowledgementPhrases: ["i see", "okay"],
            interruptionPhrases: ["stop", "wait"],
        },
        analysisPlan: {
            minMessagesThreshold: 2,
            summaryPlan: {
                enabled: true,
                timeoutSeconds: 30,
                messages: [{ role: "system", content: "Summarize the call in one sentence." }],
            },
            structuredDataPlan: {
                enabled: true,
                schema: {
                    type: "object",
                    properties: { appointmentBooked: { type: "boolean" }, slot: { type: "string" } },
                    required: ["appointmentBooked"],
                },
            },
            successEvaluationPlan: { enabled: true, rubric: "PassFail" },
        },
        artifactPlan: {
            recordingEnabled: true,
            recordingFormat: "mp3",
            videoRecordingEnabled: false,
            pcapEnabled: false,
            loggingEnabled: true,
            transcriptPlan: { enabled: true, assistantName: "Riley", userName: "Caller" },
        },
        server: {
            url: "https://hooks.example.com/vapi",
            timeoutSeconds: 25,
            headers: { "X-Custom-Auth": "s3cr3t", "X-Env": "integration" },
        },
        serverMessages: ["end-of-call-report", "status-update", "tool-calls", "transcript"],
        clientMessages: ["transcript", "hang", "function-call", "speech-update"],
        metadata: { team: "scheduling", version: 3, flags: { beta: true }, tags: ["a", "b"] },
    };
}

describe("assistants: CRUD with a full configuration", () => {
    let toolId;
    let body;
    let asst;

    before(async () => {
        const tool = await vapiA.tools.create({ type: "endCall" });
        toolId = tool.id;
        body = fullAssistant([toolId]);
        asst = await created(vapiA.assistants.create(body));
        cleanup.push(asst.id);
    });
    after(async () => {
        await quietly(() => vapiA.tools.delete({ id: toolId }));
    });

    test("create answers 201 with id, orgId, createdAt, updatedAt", () => {
        assertPersisted(asst, { orgId: ORG_A });
    });

    test("create echoes every field that was sent", () => {
        assertContains(asst, body);
    });

    test("get returns every field unchanged", async () => {
        const got = await vapiA.assistants.get({ id: asst.id });
        assertContains(got, body);
        assert.equal(got.id, asst.id);
        assert.equal(got.orgId, asst.orgId);
        assert.equal(got.createdAt, asst.createdAt);
        assert.equal(got.updatedAt, asst.updatedAt);
    });

    for (const field of Object.keys(fullAssistant(["x"]))) {
        test(`round-trip: ${field}`, async () => {
            const got = await vapiA.assistants.get({ id: asst.id });
            const expected = field === "name" ? body.name : body[field];
            assertContains(got[field], expected, field);
        });
    }

    test("list contains the assistant (bare array, newest first)", async () => {
        const list = await vapiA.assistants.list({ limit: 1000 });
        assert.ok(Array.isArray(list), "GET /assistant returns a bare array");
        const found = list.find((a) => a.id === asst.id);
        assert.ok(found, "created assistant is listed");
        assertContains(found, body);
        for (let i = 1; i < list.length; i++) {
            assert.ok(Date.parse(list[i - 1].createdAt) >= Date.parse(list[i].createdAt), "newest first");
        }
    });

    test("an assistant with no fields at all is valid (CreateAssistantDTO has no required fields)", async () => {
        const a = await created(vapiA.assistants.create({}));
        cleanup.push(a.id);
        assertPersisted(a);
    });
});

describe("assistants: PATCH merge semantics", () => {
    test("top-level keys merge, nested objects are replaced, updatedAt moves", async () => {
        const orig = await vapiA.assistants.create({
            name: uniq("patch"),
            firstMessage: "first",
            endCallPhrases: ["bye"],
            metadata: { a: 1, b: { c: 2 } },
            model: { provider: "openai", model: "gpt-4o", temperature: 0.3, messages: [{ role: "system", content: "p1" }] },
            voice: { provider: "11labs", voiceId: "burt", stability: 0.4 },
        });
        cleanup.push(orig.id);
        await sleep(25);
        const { data: patched, rawResponse } = await vapiA.assistants
            .update({ id: orig.id, firstMessage: "second", metadata: { z: true }, voice: { provider: "11labs", voiceId: "rachel" } })
            .withRawResponse();
        assert.equal(rawResponse.status, 200, "PATCH answers 200");
        assert.equal(patched.firstMessage, "second");
        assert.deepEqual(patched.metadata, { z: true }, "nested object is replaced, not deep-merged");
        assert.equal(patched.voice.voiceId, "rachel");
        assert.equal(patched.voice.stability, undefined, "voice replaced as a whole (stability dropped)");
        // untouched keys survive
        assert.equal(patched.name, orig.name);
        assert.deepEqual(patched.endCallPhrases, ["bye"]);
        assertContains(patched.model, orig.model, "model");
        assert.equal(patched.id, orig.id);
        assert.equal(patched.orgId, orig.orgId);
        assert.equal(patched.createdAt, orig.createdAt, "createdAt is immutable");
        assert.ok(Date.parse(patched.updatedAt) > Date.parse(orig.updatedAt), "updatedAt advances on PATCH");

        const got = await vapiA.assistants.get({ id: orig.id });
        assert.deepEqual(got, patched, "GET returns what PATCH returned");
    });

    test("PATCH with an unknown property is rejected", async () => {
        const a = await vapiA.assistants.create(minimalAssistant());
        cleanup.push(a.id);
        await expect400(vapiA.assistants.update({ id: a.id, bogusField: 1 }), /property bogusField should not exist/, "PATCH unknown prop");
        const got = await vapiA.assistants.get({ id: a.id });
        assert.equal(got.updatedAt, a.updatedAt, "a rejected PATCH changes nothing");
    });

    test("PATCH of an unknown id is 404", async () => {
        await expectSdkError(vapiA.assistants.update({ id: "00000000-0000-4000-8000-000000000000", name: "x" }), 404, { ctx: "PATCH unknown" });
    });
});

describe("assistants: DELETE", () => {
    test("DELETE returns the deleted object, then GET/PATCH/DELETE are 404 and the list omits it", async () => {
        const body = minimalAssistant();
        const a = await vapiA.assistants.create(body);
        const { data: deleted, rawResponse } = await vapiA.assistants.delete({ id: a.id }).withRawResponse();
        assert.equal(rawResponse.status, 200);
        assert.equal(deleted.id, a.id);
        assertContains(deleted, body);
        await expectSdkError(vapiA.assistants.get({ id: a.id }), 404, { ctx: "GET after DELETE" });
        await expectSdkError(vapiA.assistants.update({ id: a.id, name: "again" }), 404, { ctx: "PATCH after DELETE" });
        await expectSdkError(vapiA.assistants.delete({ id: a.id }), 404, { ctx: "DELETE after DELETE" });
        const list = await vapiA.assistants.list({ limit: 1000 });
        assert.ok(!list.some((x) => x.id === a.id), "deleted assistant is not listed");
    });
});

describe("assistants: errors", () => {
    test("unknown id → 404 with Vapi's body", async () => {
        const err = await expectSdkError(vapiA.assistants.get({ id: "0191a8d4-0000-7000-8000-000000000000" }), 404, { ctx: "GET unknown" });
        assert.equal(err.body.error, "Not Found");
    });

    test("non-UUID id → 4xx with Vapi's body", async () => {
        let err;
        try {
            await vapiA.assistants.get({ id: "not-a-uuid" });
        } catch (e) {
            err = e;
        }
        assert.ok(err, "must fail");
        assert.ok([400, 404].includes(err.statusCode), `400 or 404, got ${err.statusCode}`);
        assertErrorBody(err.body, err.statusCode, "non-UUID id");
    });

    test("unknown top-level property → 400 'property foo should not exist'", async () => {
        const err = await expect400(vapiA.assistants.create({ name: "x", foo: "bar" }), /^property foo should not exist$/, "unknown prop");
        assert.ok(Array.isArray(err.body.message), "validation messages are an array");
    });

    test("unknown nested property → 400 naming its path", async () => {
        await expect400(
            vapiA.assistants.create({ model: { provider: "openai", model: "gpt-4o", bogusKnob: 1 } }),
            /bogusKnob should not exist/,
            "nested unknown prop",
        );
    });

    test("bad enum value → 400 naming the field", async () => {
        await expect400(vapiA.assistants.create({ firstMessageMode: "shout-first" }), /firstMessageMode/, "bad enum");
    });

    test("bad enum inside an array → 400", async () => {
        await expect400(vapiA.assistants.create({ serverMessages: ["status-update", "not-a-message"] }), /serverMessages/, "bad array enum");
    });

    test("out-of-range number → 400 naming the nested path", async () => {
        await expect400(
            vapiA.assistants.create({ model: { provider: "openai", model: "gpt-4o", temperature: 5 } }),
            /model\.temperature/,
            "temperature > 2",
        );
    });

    test("wrong type → 400", async () => {
        await expect400(vapiA.assistants.create({ name: 42 }), /name/, "name must be a string");
        await expect400(vapiA.assistants.create({ endCallPhrases: "bye" }), /endCallPhrases/, "endCallPhrases must be an array");
    });

    test("string longer than maxLength → 400 (name ≤ 40)", async () => {
        await expect400(vapiA.assistants.create({ name: "n".repeat(41) }), /name/, "name too long");
    });

    test("unknown model provider → 400", async () => {
        await expect400(vapiA.assistants.create({ model: { provider: "not-a-provider", model: "x" } }), /model/, "model.provider");
    });

    test("voice variant is validated per provider (11labs requires voiceId)", async () => {
        await expect400(vapiA.assistants.create({ voice: { provider: "11labs" } }), /voice/, "voice.voiceId required");
    });

    test("transcriber variant is validated per provider (deepgram endpointing range)", async () => {
        await expect400(
            vapiA.assistants.create({ transcriber: { provider: "deepgram", endpointing: 5000 } }),
            /transcriber\.endpointing/,
            "endpointing ≤ 500",
        );
    });

    test("model.messages items are validated (role enum)", async () => {
        await expect400(
            vapiA.assistants.create({ model: { provider: "openai", model: "gpt-4o", messages: [{ role: "robot", content: "x" }] } }),
            /model\.messages/,
            "bad role",
        );
    });

    test("malformed JSON → 400 with Vapi's body", async () => {
        const r = await http("POST", "/assistant", { body: '{"name": "x",', headers: { "Content-Type": "application/json" } });
        assert.equal(r.status, 400, r.text);
        assertErrorBody(r.body, 400, "malformed JSON");
    });

    test("a JSON body that is not an object → 400", async () => {
        const r = await http("POST", "/assistant", { body: "[1,2,3]", headers: { "Content-Type": "application/json" } });
        assert.equal(r.status, 400, r.text);
        assertErrorBody(r.body, 400, "array body");
    });

    test("a rejected create persists nothing", async () => {
        const name = uniq("rejected");
        await expect400(vapiA.assistants.create({ name, foo: 1 }), /foo/);
        const list = await vapiA.assistants.list({ limit: 1000 });
        assert.ok(!list.some((a) => a.name === name));
    });
});

describe("assistants: legacy fields", () => {
    test("serverUrl, serverUrlSecret, model.functions and silenceTimeoutSeconds are accepted and round-trip", async () => {
        const body = {
            name: uniq("legacy"),
            serverUrl: "https://legacy.example.com/webhook",
            serverUrlSecret: "legacy-secret",
            silenceTimeoutSeconds: 45,
            model: {
                provider: "openai",
                model: "gpt-4o",
                messages: [{ role: "system", content: "legacy" }],
                functions: [
                    {
                        name: "lookup_order",
                        description: "Looks an order up",
                        parameters: { type: "object", properties: { orderId: { type: "string" } }, required: ["orderId"] },
                    },
                ],
            },
        };
        const a = await created(vapiA.assistants.create(body));
        cleanup.push(a.id);
        assertContains(a, body);
        assertContains(await vapiA.assistants.get({ id: a.id }), body);
        const p = await vapiA.assistants.update({ id: a.id, silenceTimeoutSeconds: 60, serverUrl: "https://legacy.example.com/v2" });
        assert.equal(p.silenceTimeoutSeconds, 60);
        assert.equal(p.serverUrl, "https://legacy.example.com/v2");
        assert.equal(p.serverUrlSecret, "legacy-secret");
    });
});

describe("assistants: Voxa's local providers", () => {
    test('transcriber/voice/model with provider "local" are accepted and round-trip', async () => {
        const body = {
            name: uniq("local"),
            transcriber: { provider: "local", language: "en" },
            voice: { provider: "local", voiceId: "en_US-amy", speed: 1.2 },
            model: { provider: "local", temperature: 0.4, maxTokens: 200, messages: [{ role: "system", content: "local" }] },
        };
        const a = await created(vapiA.assistants.create(body));
        cleanup.push(a.id);
        assertContains(a, body);
        assertContains(await vapiA.assistants.get({ id: a.id }), body);
    });
    test('the "local" variants are validated too', async () => {
        await expect400(vapiA.assistants.create({ voice: { provider: "local", stability: 0.5 } }), /stability should not exist/);
    });
});

describe("assistants: inline credentials", () => {
    test("credentials[].apiKey is never returned (POST, GET, list, PATCH), and a PATCH sending them back as read keeps the stored keys (the schema requires apiKey: it passes only with them)", async () => {
        const key = `dg-${uniq("secret")}`;
        const created = await vapiA.assistants.create({
            ...minimalAssistant(),
            credentials: [{ provider: "deepgram", apiKey: key }, { provider: "11labs", apiKey: `el-${key}` }],
        });
        cleanup.push(created.id);
        const check = (a, ctx) => {
            const text = JSON.stringify(a);
            assert.ok(!text.includes(key), `${ctx}: the key is echoed: ${text}`);
            assert.deepEqual(a.credentials.map((c) => c.provider), ["deepgram", "11labs"], ctx);
            for (const c of a.credentials) assert.equal(c.apiKey, undefined, `${ctx}: ${c.provider}.apiKey`);
        };
        check(created, "POST");
        check(await vapiA.assistants.get({ id: created.id }), "GET");
        check((await vapiA.assistants.list()).find((a) => a.id === created.id), "list");
        const raw = await http("GET", `/assistant/${created.id}`);
        assert.ok(!raw.text.includes(key), "raw GET body");
        // The dashboard's edit: what was read, sent back with another change.
        const patched = await vapiA.assistants.update({ id: created.id, credentials: created.credentials, firstMessage: "changed" });
        check(patched, "PATCH");
        assert.equal(patched.firstMessage, "changed");
    });
});
