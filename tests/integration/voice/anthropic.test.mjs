// model.provider "anthropic": Voxa speaks Anthropic's Messages API (streamed) to a fake that
// follows Anthropic's documented event stream (fake-anthropic.mjs), reached through
// VOXA_PROVIDER_URLS, with the key from an org credential. One Voxa and one fake for the file.
//
// - A voice call: the caller asks, the model calls two function tools in one reply (their
//   arguments streamed in pieces), the tools' server answers, the model's next request has
//   the tool results, and the caller hears the answer built from them. The requests Voxa
//   sent are Anthropic's shape (system apart, max_tokens, tools with input_schema,
//   tool_use / tool_result blocks), and the prompt-cache usage is in the call's costs.
// - Failures end the call with Vapi's endedReason: a 401, a 429, an overloaded error event
//   in the middle of a reply, and a model that never answers (after the model's timeout).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { startAnthropicFake } from "./fake-anthropic.mjs";
import * as L from "./lib.mjs";
import { startReceiver } from "./receiver.mjs";

const KEY = "sk-ant-org-key";
const FIRST = "Hello, thanks for calling the garden center.";
const ASK = "I want to check on my order of tulips";
const SYSTEM = "You answer for a garden center.";

const hasToolResults = (body) =>
    body.messages.some((m) => Array.isArray(m.content) && m.content.some((b) => b.type === "tool_result"));
const resultsOf = (body) =>
    body.messages.flatMap((m) => (Array.isArray(m.content) ? m.content : [])).filter((b) => b.type === "tool_result");

/** What the fake answers, by the scenario named in the system prompt. */
function reply(body) {
    const scenario = /scenario: (\S+)/.exec(body.system ?? "")?.[1] ?? "tools";
    switch (scenario) {
        case "unauthorized": return { status: 401, message: "invalid x-api-key" };
        case "rate-limited": return { status: 429 };
        case "overloaded": return { text: "Let me think about that for a moment.", errorType: "overloaded_error" };
        case "stall": return { stall: true };
    }
    if (!hasToolResults(body))
        return { usage: { input_tokens: 40, cache_read_input_tokens: 1500, cache_creation_input_tokens: 300 },
                 tools: [{ name: "checkOrder", input: { item: "tulips", quantity: 12, note: "a longer argument, streamed in pieces" } },
                         { name: "deliveryDay", input: { zone: "north" } }] };
    const [order, day] = resultsOf(body).map((b) => b.content);
    return { text: `Your order is ${order}. It will arrive on ${day}.`,
             usage: { input_tokens: 60, cache_read_input_tokens: 1800, cache_creation_input_tokens: 0 } };
}

let fake, tools, own;

before(async () => {
    fake = await startAnthropicFake({ key: KEY, reply });
    tools = await startReceiver((req) => {
        const m = req.json?.message;
        if (m?.type !== "tool-calls") return { status: 200, json: {} };
        return { json: { results: m.toolCallList.map((c) => ({
            toolCallId: c.id, name: c.function.name,
            // Words pocketsphinx hears well in flite's voice (it mishears "tulips").
            result: c.function.name === "checkOrder" ? (c.function.arguments.quantity === 12 ? "packed and ready" : "lost")
                                                     : "Friday morning",
        })) } };
    });
    // ownVoxa takes a test context for its cleanup; the file's hooks stand in for one.
    const cleanups = [];
    own = await L.ownVoxa({ after: (fn) => cleanups.push(fn) }, { VOXA_PROVIDER_URLS: `anthropic=${fake.url}` });
    own.cleanups = cleanups;
    const c = await own.api("POST", "/credential", { provider: "anthropic", apiKey: KEY });
    assert.equal(c.status, 201, JSON.stringify(c.json));
});

after(async () => {
    for (const fn of own?.cleanups ?? []) await fn();
    await tools?.close();
    await fake?.close();
});

function assistant(model = {}, extra = {}) {
    return {
        transcriber: { provider: "local" }, voice: { provider: "local", voiceId: "slt" },
        model: { provider: "anthropic", model: "claude-3-5-haiku-20241022", ...model },
        ...extra,
    };
}

async function waitFor(pred, ms, what) {
    const end = Date.now() + ms;
    for (;;) {
        const v = await pred();
        if (v) return v;
        if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
        await L.sleep(50);
    }
}

test("a voice call on anthropic: two tool calls through the server URL, their results spoken", async (t) => {
    const fn = (name, properties) => ({
        type: "function", server: { url: `${tools.url}/tools` },
        function: { name, description: `${name} for the caller`, parameters: { type: "object", properties } },
    });
    const { call, client } = await L.ownCall(own, { assistant: assistant({
        maxTokens: 300, temperature: 0.4,
        messages: [{ role: "system", content: SYSTEM }],
        tools: [fn("checkOrder", { item: { type: "string" }, quantity: { type: "number" }, note: { type: "string" } }),
                fn("deliveryDay", { zone: { type: "string" } })],
    }, { firstMessage: FIRST }) });
    t.after(() => client.close());
    client.startContinuous();
    const voiced = () => client.audio.filter((a) => L.rms(a.bytes) > 300).map((a) => a.t);
    await waitFor(() => voiced().length >= 25 && L.now() - voiced().at(-1) > 700, 15000, "the first message");

    const before = fake.requests.length;
    const asked = (await client.streamPcm(await L.synth(ASK))).endedAt;
    // The answer: voiced audio after the question, then quiet.
    // Requests asked ahead on a partial (docs/turn-taking.md) may come first: the two that
    // matter are the last two, the question answered and the tool results.
    await waitFor(() => fake.requests.slice(before).some((r) => JSON.stringify(r.body.messages).includes("tool_result")),
                  15000, "the model's second request (with the tool results)");
    await waitFor(() => voiced().filter((x) => x > asked).length >= 40 && L.now() - voiced().at(-1) > 900, 20000, "the answer");
    const v = voiced().filter((x) => x > asked);
    const heard = await L.transcribe(client.receivedPcm(v[0] - 1, v.at(-1) + 1), 16000);
    const wh = L.wordHits(heard, ["packed", "ready", "arrive", "friday", "morning"]);
    L.note(`anthropic: heard "${heard}" -> ${wh.hits.length}/5`);
    assert.ok(wh.ratio >= 0.6 && wh.hits.some((w) => w === "packed" || w === "ready") &&
              wh.hits.some((w) => w === "friday" || w === "morning"), `the answer built from both tools' results: heard "${heard}"`);
    const said = client.ofType("transcript").filter((m) => m.role === "assistant" && m.transcriptType === "final").map((m) => m.transcript);
    assert.deepEqual(said, [FIRST, "Your order is packed and ready.", "It will arrive on Friday morning."], "what was spoken, sentence by sentence");

    // The tools' server got both calls of the one reply, arguments whole.
    const tc = tools.requests.filter((r) => r.type === "tool-calls").flatMap((r) => r.json.message.toolCallList);
    assert.deepEqual(tc.map((c) => c.function.name).sort(), ["checkOrder", "deliveryDay"]);
    assert.deepEqual(tc.find((c) => c.function.name === "checkOrder").function.arguments,
                     { item: "tulips", quantity: 12, note: "a longer argument, streamed in pieces" });

    // What Voxa sent: Anthropic's shape.
    const [first, second] = fake.requests.slice(before).slice(-2);
    assert.equal(first.headers["x-api-key"], KEY, "the org's anthropic credential");
    assert.equal(first.headers["anthropic-version"], "2023-06-01");
    assert.equal(first.headers.authorization, undefined);
    assert.equal(first.body.stream, true);
    assert.equal(first.body.model, "claude-3-5-haiku-20241022");
    assert.equal(first.body.max_tokens, 300);
    assert.equal(first.body.temperature, 0.4);
    assert.equal(first.body.system, SYSTEM, "system apart from messages");
    assert.ok(first.body.messages.every((m) => m.role === "user" || m.role === "assistant"), "no system role in messages");
    assert.equal(first.body.messages[0].role, "user", "the conversation starts with the user");
    assert.deepEqual(first.body.tools.map((x) => x.name), ["checkOrder", "deliveryDay"]);
    assert.deepEqual(first.body.tools[0].input_schema,
                     { type: "object", properties: { item: { type: "string" }, quantity: { type: "number" }, note: { type: "string" } } });
    assert.equal(first.body.tools[0].description, "checkOrder for the caller");
    const uses = second.body.messages.flatMap((m) => (m.role === "assistant" && Array.isArray(m.content) ? m.content : []))
        .filter((b) => b.type === "tool_use");
    assert.deepEqual(uses.map((u) => [u.name, u.input]), [["checkOrder", { item: "tulips", quantity: 12, note: "a longer argument, streamed in pieces" }],
                                                          ["deliveryDay", { zone: "north" }]]);
    const last = second.body.messages.at(-1);
    assert.equal(last.role, "user");
    assert.deepEqual(last.content.map((b) => [b.type, b.tool_use_id, b.content]),
                     [["tool_result", uses[0].id, "packed and ready"], ["tool_result", uses[1].id, "Friday morning"]],
                     "the tool results answer the tool_use blocks, in the next user message");

    client.endCall();
    const rec = await L.ownEnded(own, call.id, 20000);
    const model = rec.costs.find((c) => c.type === "model");
    assert.equal(model.model.provider, "anthropic");
    assert.equal(model.cachedPromptTokens, 1500 + 1800, "cache reads of both turns");
    assert.equal(model.promptTokens, (40 + 1500 + 300) + (60 + 1800), "every prompt token, cached ones included");
    assert.equal(rec.costBreakdown.llmCachedPromptTokens, 3300);
    assert.ok(model.cost > 0, "priced");
});

/** A call whose model is asked at once (firstMessageMode), in `scenario`; its record once ended. */
async function failingCall(scenario, model = {}) {
    const { call, client } = await L.ownCall(own, { assistant: assistant({
        messages: [{ role: "system", content: `Testing. scenario: ${scenario}` }], ...model,
    }, { firstMessageMode: "assistant-speaks-first-with-model-generated-message" }) });
    try {
        const started = Date.now();
        const rec = await L.ownEnded(own, call.id, 15000);
        return { rec, ms: Date.now() - started };
    } finally {
        client.close();
    }
}

test("anthropic failures end the call with Vapi's endedReason", async () => {
    // One after the other: the suite keeps to two calls at a time.
    const unauthorized = await failingCall("unauthorized");
    const limited = await failingCall("rate-limited");
    const overloaded = await failingCall("overloaded");
    assert.equal(unauthorized.rec.endedReason, "pipeline-error-anthropic-401-unauthorized");
    assert.equal(limited.rec.endedReason, "pipeline-error-anthropic-429-exceeded-quota");
    assert.equal(overloaded.rec.endedReason, "pipeline-error-anthropic-503-server-overloaded-error");
    for (const { rec } of [unauthorized, limited, overloaded]) assert.equal(rec.status, "ended");
});

test("an anthropic model that never answers: the call ends after the model's timeout", async () => {
    const { rec, ms } = await failingCall("stall", { timeoutSeconds: 1 });
    assert.equal(rec.endedReason, "pipeline-error-anthropic-llm-failed");
    L.note(`anthropic stall: ended after ${ms} ms`);
    assert.ok(ms < 8000, `ended after ${ms} ms`);
});
