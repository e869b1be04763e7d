// Google Gemini as the assistant's model (Vapi's GoogleModel, `model.provider: "google"`),
// reached through VOXA_PROVIDER_URLS google=<fake> (fake-google.mjs: streamGenerateContent
// with alt=sse as Google documents it): a voice call whose model calls two function tools in
// one reply through the server URL and speaks their results, with what Gemini was sent checked
// field by field; and the failures that end a call with Vapi's endedReason for google (a
// refused key, a used-up quota, an error mid-stream, a stall). One Voxa for the file.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { startGoogleFake } from "./fake-google.mjs";
import * as L from "./lib.mjs";
import { startReceiver } from "./receiver.mjs";

const KEY = "AIza-org-key-7f3";
const SYSTEM = "You answer the weather line.";
const FIRST = "Hello, this is the weather line.";
const ASK = "What is the weather in Paris and in Rome";
const WEATHER = { Paris: "sunny and twenty degrees", Rome: "raining all day" };
const ANSWER = (results) => `In Paris it is ${results.Paris}, and in Rome it is ${results.Rome}.`;

const getWeather = {
    type: "function",
    function: {
        name: "getWeather", description: "The weather in a city today",
        // JSON Schema's lower-case types; Gemini's Schema has them upper-case.
        parameters: { type: "object", required: ["city"],
                      properties: { city: { type: "string", description: "The city" } } },
    },
};

/** The model: asked anything, it calls getWeather for Paris and Rome in one reply; given
 *  their results, it says them. */
function reply(body) {
    const last = body.contents.at(-1);
    const results = last.parts.filter((p) => p.functionResponse);
    if (results.length) {
        const by = Object.fromEntries(results.map((p, i) => [["Paris", "Rome"][i], p.functionResponse.response.output]));
        return { text: ANSWER(by) };
    }
    return { calls: [{ name: "getWeather", args: { city: "Paris" } }, { name: "getWeather", args: { city: "Rome" } }] };
}

let g;
let rx;
let own;
const cleanups = [];
before(async () => {
    g = await startGoogleFake({ key: KEY, reply });
    cleanups.push(() => g.close());
    rx = await startReceiver((req) => {
        const m = req.json?.message;
        if (m?.type !== "tool-calls") return { status: 200, json: {} };
        return { json: { results: m.toolCallList.map((c) => ({ toolCallId: c.id, name: c.function.name,
                                                                 result: WEATHER[c.function.arguments.city] ?? "unknown" })) } };
    });
    cleanups.push(() => rx.close());
    own = await L.ownVoxa({ after: (fn) => cleanups.push(fn) }, { VOXA_PROVIDER_URLS: `google=${g.url}` });
    const c = await own.api("POST", "/credential", { provider: "google", apiKey: KEY });
    assert.equal(c.status, 201, JSON.stringify(c.json));
});
after(async () => {
    for (const fn of cleanups.reverse()) await fn();
});

async function call(assistant) {
    const c = await L.ownCall(own, { assistant });
    cleanups.push(() => c.client.close());
    return c;
}

/** A call whose model speaks first, so the first request to Gemini is made at once. */
const modelFirst = (extra = {}) => ({
    firstMessageMode: "assistant-speaks-first-with-model-generated-message",
    transcriber: { provider: "local" }, voice: { provider: "local", voiceId: "slt" },
    model: { provider: "google", model: "gemini-2.5-flash", messages: [{ role: "system", content: SYSTEM }] },
    ...extra,
});

// Started first and checked last: Gemini's silence lasts the model's whole timeout (20 s),
// while the other tests run.
let stalled;
test("google: a stalled stream is given up after the model's timeout (started here, checked last)", async () => {
    g.script({ stall: true });
    stalled = { started: Date.now(), ...(await call(modelFirst())) };
    await L.sleep(300);
    assert.equal(g.requests.at(-1).status, 200, "the stream was opened");
});

test("google: a refused key, a used-up quota and an error mid-stream end the call with Vapi's endedReason", async () => {
    const cases = [
        { what: "a wrong key (Gemini: 400 API_KEY_INVALID)", assistant: modelFirst({ credentials: [{ provider: "google", apiKey: "AIza-wrong" }] }),
          endedReason: "pipeline-error-google-401-unauthorized", status: 400 },
        { what: "429 RESOURCE_EXHAUSTED", assistant: modelFirst(),
          step: { status: 429, error: { code: 429, status: "RESOURCE_EXHAUSTED", message: "Resource has been exhausted (e.g. check quota)." } },
          endedReason: "pipeline-error-google-429-exceeded-quota", status: 429 },
        { what: "503 UNAVAILABLE mid-stream", assistant: modelFirst(),
          step: { text: "Let me see, just one moment please", error: { code: 503, status: "UNAVAILABLE", message: "The model is overloaded. Please try again later." } },
          endedReason: "pipeline-error-google-503-server-overloaded-error", status: 200 },
    ];
    for (const c of cases) {
        if (c.step) g.script(c.step);
        const before = g.requests.length;
        const { call: placed } = await call(c.assistant);
        const rec = await L.ownEnded(own, placed.id, 10000);
        L.note(`google: ${c.what} -> ${rec.endedReason}`);
        assert.equal(rec.endedReason, c.endedReason, c.what);
        const sent = g.requests.slice(before);
        assert.equal(sent.length, 1, `${c.what}: one request`);
        assert.equal(sent[0].status, c.status);
        if (c.step?.error && c.status === 200) assert.ok(sent[0].sent.at(-1).error, "the error went out after the text");
        assert.equal(sent[0].headers["x-goog-api-key"], c.assistant.credentials ? "AIza-wrong" : KEY,
                     "the assistant's own credential wins over the org's");
    }
});

test("google: a voice call whose model calls two function tools in one reply and speaks their results", async () => {
    const before = g.requests.length;
    const { call: c, client } = await call({
        firstMessage: FIRST,
        transcriber: { provider: "local" }, voice: { provider: "local", voiceId: "slt" },
        model: { provider: "google", model: "gemini-3-flash-preview", temperature: 0.3, maxTokens: 200,
                 messages: [{ role: "system", content: SYSTEM }],
                 tools: [{ ...getWeather, server: { url: `${rx.url}/weather` } }] },
    });
    client.startContinuous();
    await client.waitForMessage((m) => m.type === "speech-update" && m.role === "assistant" && m.status === "stopped", 10000);
    const asked = (await client.streamPcm(await L.synth(ASK))).endedAt;
    const said = ANSWER(WEATHER);
    await client.waitFor(() => client.ofType("transcript").some((m) => m.role === "assistant" && m.transcriptType === "final" &&
                                                                      m.transcript.includes("raining")), 20000, "the answer");
    await client.waitForMessage((m) => m.type === "speech-update" && m.role === "assistant" && m.status === "stopped" && m.turn >= 1, 15000);
    const heard = await L.transcribe(client.receivedPcm(asked), 16000);
    L.note(`google: the answer heard as "${heard}"`);
    assert.ok(L.wordHits(heard, ["paris", "sunny", "twenty", "degrees", "rome", "raining", "day"]).ratio >= 0.5, `heard "${heard}"`);

    // The tool server got both calls, as Vapi sends them.
    const tc = rx.requests.filter((r) => r.type === "tool-calls" && r.path === "/weather");
    const calls = tc.flatMap((r) => r.json.message.toolCallList);
    assert.deepEqual(calls.map((x) => x.function.arguments.city).sort(), ["Paris", "Rome"]);
    assert.equal(new Set(calls.map((x) => x.id)).size, 2, "two distinct tool call ids");

    // What Gemini was sent.
    // Requests asked ahead on a partial (docs/turn-taking.md) may come first: the question
    // answered and the tool results are the last two.
    const sent = g.requests.slice(before).slice(-2);
    assert.equal(sent.length, 2, "the question, then the tool results");
    for (const r of sent) {
        assert.equal(r.status, 200);
        assert.equal(r.path, "/v1beta/models/gemini-3-flash-preview:streamGenerateContent");
        assert.deepEqual(r.query, { alt: "sse" }, "no key in the URL");
        assert.equal(r.headers["x-goog-api-key"], KEY, "the org's google credential, in the header");
        assert.deepEqual(r.body.systemInstruction, { parts: [{ text: SYSTEM }] });
        assert.deepEqual(r.body.generationConfig, { temperature: 0.3, maxOutputTokens: 200 });
        assert.deepEqual(r.body.tools, [{ functionDeclarations: [{
            name: "getWeather", description: "The weather in a city today",
            parameters: { type: "OBJECT", required: ["city"], properties: { city: { type: "STRING", description: "The city" } } } }] }]);
        assert.ok(r.body.contents.every((x) => x.role === "user" || x.role === "model"), JSON.stringify(r.body.contents));
    }
    const [first, second] = sent.map((r) => r.body.contents);
    assert.deepEqual(first.map((x) => x.role), ["model", "user"], "the first message, then the caller");
    assert.deepEqual(first[0].parts, [{ text: FIRST }]);
    L.note(`google: the caller heard as "${first[1].parts[0].text}"`);
    assert.deepEqual(second.map((x) => x.role), ["model", "user", "model", "user"]);
    const callParts = second[2].parts;
    assert.deepEqual(callParts.map((p) => p.functionCall), [{ name: "getWeather", args: { city: "Paris" } },
                                                            { name: "getWeather", args: { city: "Rome" } }]);
    assert.ok(g.issued.has(callParts[0].thoughtSignature), "Gemini 3's thought signature went back with its call");
    assert.deepEqual(second[3].parts, [
        { functionResponse: { name: "getWeather", response: { output: WEATHER.Paris } } },
        { functionResponse: { name: "getWeather", response: { output: WEATHER.Rome } } }]);

    client.endCall();
    const rec = await L.ownEnded(own, c.id, 15000);
    assert.ok(!rec.endedReason.startsWith("pipeline-error"), rec.endedReason);
    const bots = L.byRole(rec, "bot").map((m) => m.message);
    assert.ok(bots.includes(said), JSON.stringify(bots));
    assert.equal(L.byRole(rec, "tool_call_result").length, 2);
    assert.equal(rec.costs.find((x) => x.type === "model")?.model?.provider, "google");
});

test("google: the stalled call ended with pipeline-error-google-llm-failed", async () => {
    const rec = await L.ownEnded(own, stalled.call.id, 30000);
    const took = (Date.now() - stalled.started) / 1000;
    L.note(`google: stalled call ended after ${took.toFixed(1)} s: ${rec.endedReason}`);
    assert.equal(rec.endedReason, "pipeline-error-google-llm-failed");
    assert.ok(took > 15 && took < 30, `after the 20 s timeout (${took} s)`);
});
