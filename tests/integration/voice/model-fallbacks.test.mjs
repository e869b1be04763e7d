// Vapi's model.fallbackModels against the OpenAI-compatible fake (tests/fakes/openai-fake.mjs,
// reached through VOXA_PROVIDER_URLS): a model that answers with an HTTP error hands the turn
// to the next name at once, the caller hears the answer of the one that works and the record
// names it; with nothing left the call ends with Vapi's endedReason for the last model's error.
import assert from "node:assert/strict";
import { test } from "node:test";

import { startOpenAIFake } from "../../fakes/openai-fake.mjs";
import * as L from "./lib.mjs";

const GREETING = "Good morning, the backup model is answering your call today.";
const assistantStopped = (m) => m.type === "speech-update" && m.role === "assistant" && m.status === "stopped";
const models = (llm) => llm.requests.map((r) => r.body.model);

async function callWith(t, llm, model) {
    const own = await L.ownVoxa(t, { VOXA_PROVIDER_URLS: `openai=${llm.url}`, OPENAI_API_KEY: "sk-fallback-test" });
    const { call, client } = await L.ownCall(own, { assistant: {
        firstMessageMode: "assistant-speaks-first-with-model-generated-message",
        transcriber: { provider: "local" }, voice: { provider: "local", voiceId: "kal16" }, model } });
    t.after(() => client.close());
    return { own, call, client };
}

test("model fallbacks: the primary returns 500, so does the first fallback; the second answers and the record names it", async (t) => {
    const llm = await startOpenAIFake({
        greeting: GREETING,
        errorFor: (body) => body.model === "gpt-4o-mini" ? null
            : { status: 500, error: { message: "The server had an error while processing your request.", type: "server_error" } },
    });
    t.after(() => llm.close());
    const { own, call, client } = await callWith(t, llm, {
        provider: "openai", model: "gpt-4o", fallbackModels: ["gpt-4.1", "gpt-4o-mini"] });
    client.startContinuous();
    const from = performance.now();
    await client.waitForMessage((m) => m.type === "transcript" && m.role === "assistant" && /backup model/i.test(m.transcript), 20000);
    await client.waitForMessage(assistantStopped, 20000);
    assert.deepEqual(models(llm), ["gpt-4o", "gpt-4.1", "gpt-4o-mini"], "each model once, in order, in the same turn");
    assert.equal(llm.requests[2].headers.authorization, "Bearer sk-fallback-test", "the fallback uses the provider's key");
    const heard = await L.transcribe(client.receivedPcm(from), 16000);
    L.note(`model fallbacks: the caller heard "${heard}"`);
    assert.ok(L.wordHits(heard, ["morning", "backup", "model", "call", "today"]).ratio >= 0.5, `the caller heard the answer: "${heard}"`);

    client.endCall();
    const rec = await L.ownEnded(own, call.id, 20000);
    assert.ok(!rec.endedReason.startsWith("pipeline-error"), `the call went on: ${rec.endedReason}`);
    const bots = rec.artifact.messages.filter((m) => m.role === "bot");
    assert.equal(bots.length, 1, JSON.stringify(rec.artifact.messages));
    assert.match(bots[0].message, /backup model/i);
    assert.deepEqual(bots[0].metadata?.model, { provider: "openai", model: "gpt-4o-mini" }, "the record names the model that served");

    // GET /logs: a Provider log for the turn, with the model that served and the switches.
    let logs = [];
    for (const deadline = Date.now() + 5000; logs.length === 0 && Date.now() < deadline; await L.sleep(50))
        logs = (await own.api("GET", `/logs?type=Provider&callId=${call.id}`)).json?.results ?? [];
    assert.equal(logs.length, 1, JSON.stringify(logs));
    assert.equal(logs[0].type, "Provider");
    assert.equal(logs[0].model, "gpt-4o-mini");
    assert.deepEqual(logs[0].fallbacks.map((f) => [f.from.model, f.to.model, f.status]),
                     [["gpt-4o", "gpt-4.1", 500], ["gpt-4.1", "gpt-4o-mini", 500]]);
});

test("model fallbacks: with nothing left the call ends with the last model's endedReason", async (t) => {
    const llm = await startOpenAIFake({
        greeting: GREETING,
        errorFor: (body) => body.model === "gpt-4o"
            ? { status: 500, error: { message: "The server had an error.", type: "server_error" } }
            : { status: 429, error: { message: "Rate limit reached for gpt-4o-mini.", type: "requests", code: "rate_limit_exceeded" } },
    });
    t.after(() => llm.close());
    const { own, call } = await callWith(t, llm, { provider: "openai", model: "gpt-4o", fallbackModels: ["gpt-4o-mini"] });
    const rec = await L.ownEnded(own, call.id, 20000);
    assert.deepEqual(models(llm), ["gpt-4o", "gpt-4o-mini"], "both models were tried, in order");
    assert.equal(rec.endedReason, "pipeline-error-openai-429-rate-limit-reached", "the last model's error, not the first's");
    let logs = [];
    for (const deadline = Date.now() + 5000; logs.length === 0 && Date.now() < deadline; await L.sleep(50))
        logs = (await own.api("GET", `/logs?type=Provider&callId=${call.id}`)).json?.results ?? [];
    assert.equal(logs[0]?.failure?.endedReason, "pipeline-error-openai-429-rate-limit-reached", JSON.stringify(logs));
});

test("model fallbacks: the stream breaks mid-reply; the next model is asked to go on and the caller hears the reply once", async (t) => {
    const REPLY = "Thank you for calling the garden center, our tulips arrive on Friday morning.";
    const llm = await startOpenAIFake({
        greeting: REPLY,
        cutAfter: (body) => body.model === "gpt-4o" ? 2 : null,  // six words, then the connection drops
    });
    t.after(() => llm.close());
    const { own, call, client } = await callWith(t, llm, { provider: "openai", model: "gpt-4o", fallbackModels: ["gpt-4o-mini"] });
    client.startContinuous();
    await client.waitForMessage(assistantStopped, 20000);
    assert.deepEqual(models(llm), ["gpt-4o", "gpt-4o-mini"]);
    // The fallback got the context, what was said, and the instruction to go on from there.
    const asked = llm.requests[1].body.messages;
    assert.equal(asked.at(-2).role, "assistant");
    assert.equal(asked.at(-2).content, "Thank you for calling the garden ");
    assert.equal(asked.at(-1).role, "system");
    // The fake starts over (as models often do): what it repeats is dropped.
    client.endCall();
    const rec = await L.ownEnded(own, call.id, 20000);
    const bots = rec.artifact.messages.filter((m) => m.role === "bot").map((m) => m.message);
    assert.deepEqual(bots, [REPLY], "the reply once, whole, without a repeated start");
});
