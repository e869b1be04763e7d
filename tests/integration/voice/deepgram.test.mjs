// The deepgram transcriber against a local Deepgram (fake-deepgram.mjs: the documented live
// protocol, real recognition), reached through VOXA_PROVIDER_URLS: a conversation over the
// websocket transport, what Deepgram sees (query, Authorization, KeepAlive, Finalize,
// CloseStream), where the key comes from, and each way Deepgram can fail -> Vapi's endedReason.
// Also: an OpenAI model whose key is an org credential sends it.
import assert from "node:assert/strict";
import { test } from "node:test";

import { startOpenAIFake } from "../../fakes/openai-fake.mjs";
import { startDeepgramFake } from "./fake-deepgram.mjs";
import * as L from "./lib.mjs";

const REPLY = "Your appointment is booked for Tuesday.";

function assistant(transcriber = {}) {
    return {
        firstMessage: "Hello, how can I help?",
        transcriber: { provider: "deepgram", model: "nova-2", smartFormat: true, keywords: ["appointment:2"], ...transcriber },
        voice: { provider: "local", voiceId: "kal16" },
        model: { provider: "local", rules: [{ match: ["appointment", "book", "tomorrow"], reply: REPLY }], fallback: REPLY },
    };
}


const { ownCall, ownEnded } = L;

/** Speaks a sentence once the first message is over; returns when it has been sent. */
async function speak(client, text) {
    client.startContinuous();
    await client.waitForMessage({ type: "speech-update", role: "assistant", status: "stopped" }, 10000);
    return client.streamPcm(await L.synth(text));
}

test("deepgram: the caller is heard through Deepgram's live API and answered; the org's key beats the env's", async (t) => {
    // An interim after every 0.5 s of audio: the utterance is ~2 s, and under ASan an interim
    // recognition started at 1 s could still be running when Voxa's Finalize came.
    const dg = await startDeepgramFake({ key: "dg-org-key", interimEveryMs: 500 });
    t.after(() => dg.close());
    const own = await L.ownVoxa(t, { VOXA_PROVIDER_URLS: `deepgram=${dg.url}`, DEEPGRAM_API_KEY: "dg-env-key" });
    const cred = await own.api("POST", "/credential", { provider: "deepgram", apiKey: "dg-org-key", name: "dg" });
    assert.equal(cred.status, 201, JSON.stringify(cred.json));
    assert.equal(cred.json.apiKey, undefined, "the key is never returned");

    const { call, client } = await ownCall(own, { assistant: assistant() });
    t.after(() => client.close());
    // Opened while the call is set up, before anyone speaks.
    await client.waitFor(() => dg.accepted().length === 1, 5000, "Deepgram's stream to open");
    const stream = dg.accepted()[0];
    assert.equal(stream.path, "/v1/listen");
    assert.equal(stream.headers.authorization, "Token dg-org-key", "the org credential, not DEEPGRAM_API_KEY");
    const q = stream.query;
    for (const [k, v] of [["model", "nova-2"], ["language", "en"], ["encoding", "linear16"], ["sample_rate", "16000"],
                          ["channels", "1"], ["interim_results", "true"], ["smart_format", "true"], ["punctuate", "true"],
                          ["vad_events", "true"], ["utterance_end_ms", "1000"], ["endpointing", "300"]])
        assert.equal(q.get(k), v, `query ${k}`);
    assert.deepEqual(q.getAll("keywords"), ["appointment:2"]);
    assert.deepEqual(q.getAll("keyterm"), [], "keyterm is Nova-3's");

    const spoken = await speak(client, "I would like to book an appointment for tomorrow");
    const finalUser = (await client.waitForMessage(
        (m) => m.type === "transcript" && m.role === "user" && m.transcriptType === "final", 15000)).msg;
    L.note(`deepgram: user final "${finalUser.transcript}"`);
    const said = L.wordHits(finalUser.transcript, ["book", "appointment", "tomorrow"]);
    assert.ok(said.ratio >= 2 / 3, `the fake's recognition reached Voxa: "${finalUser.transcript}"`);
    assert.match(finalUser.transcript, /^[A-Z].*\.$/, "smart_format's formatting kept");
    assert.ok(stream.text.some((m) => m.type === "Finalize"), "Finalize at the end of speech");
    assert.ok(stream.sent.some((m) => m.type === "Results" && !m.is_final), "interim results were sent");
    assert.ok(stream.sent.some((m) => m.type === "SpeechStarted"));

    await client.waitFor((c) => c.messages.find((e) => e.t > spoken.endedAt && e.msg.type === "speech-update" &&
                                                       e.msg.role === "assistant" && e.msg.status === "stopped"),
                         15000, "the reply");
    const heard = await L.transcribe(client.receivedPcm(spoken.endedAt), 16000);
    const wh = L.wordHits(heard, ["your", "appointment", "booked", "tuesday"]);
    L.note(`deepgram: reply heard as "${heard}" -> ${wh.hits.length}/4`);
    assert.ok(wh.ratio >= 0.5, `reply heard as "${heard}"`);

    // Silence: no audio goes to Deepgram, KeepAlive does (every 3 s).
    const before = stream.text.filter((m) => m.type === "KeepAlive").length;
    await client.waitFor(() => stream.text.filter((m) => m.type === "KeepAlive").length > before, 8000, "a KeepAlive");

    client.endCall();
    const rec = await ownEnded(own, call.id);
    assert.ok(!rec.endedReason.startsWith("pipeline-error"), rec.endedReason);
    await client.waitFor(() => stream.closedBy !== null, 5000, "the stream to close");
    assert.ok(stream.text.some((m) => m.type === "CloseStream"), "CloseStream at the end of the call");
    assert.equal(stream.closedBy, "CloseStream", "Deepgram closed after its Metadata");
    assert.ok(stream.sent.some((m) => m.type === "Metadata"));
    const user = (rec.messages || []).find((m) => m.role === "user");
    assert.ok(user && L.wordHits(user.message, ["appointment"]).ratio === 1, `user message ${JSON.stringify(user)}`);
    assert.equal(stream.text.filter((m) => m.invalid).length, 0, "every control message was JSON");
    // Voxa's latency from Deepgram's final to the reply's first frame was recorded (it holds the
    // endpointing waits and the local model and voice here: under the 8 s fallback bound).
    const lat = await L.providerToWire(own.base, "transcriber", "deepgram");
    assert.ok(lat.count >= 1, `voxa_provider_to_wire_seconds{kind="transcriber",provider="deepgram"}: ${JSON.stringify(lat)}`);
    assert.ok(lat.sum / lat.count < 8, `mean ${lat.sum / lat.count} s`);
});

test("deepgram: a wrong key (DEEPGRAM_API_KEY) -> 401 -> pipeline-error-deepgram-returning-401-invalid-credentials", async (t) => {
    const dg = await startDeepgramFake({ key: "dg-right" });
    t.after(() => dg.close());
    const own = await L.ownVoxa(t, { VOXA_PROVIDER_URLS: `deepgram=${dg.url}`, DEEPGRAM_API_KEY: "dg-wrong" });
    const { call, client } = await ownCall(own, { assistant: assistant() });
    t.after(() => client.close());
    const rec = await ownEnded(own, call.id);
    assert.equal(rec.endedReason, "pipeline-error-deepgram-returning-401-invalid-credentials");
    assert.equal(dg.streams.length, 1);
    assert.equal(dg.streams[0].headers.authorization, "Token dg-wrong");
});

test("deepgram: no key -> POST /call 400 naming deepgram; connection refused -> 502-network-error", async (t) => {
    const port = await L.freePort();  // nothing listens there
    const own = await L.ownVoxa(t, { VOXA_PROVIDER_URLS: `deepgram=http://127.0.0.1:${port}`, DEEPGRAM_API_KEY: "" });
    const r = await own.api("POST", "/call", { transport: L.WEBSOCKET_16K, assistant: assistant() });
    assert.equal(r.status, 400, JSON.stringify(r.json));
    assert.equal(r.json.statusCode, 400);
    assert.equal(r.json.error, "Bad Request");
    const message = Array.isArray(r.json.message) ? r.json.message.join(" ") : r.json.message;
    assert.match(message, /transcriber\.provider "deepgram" needs an API key/);

    assert.equal((await own.api("POST", "/credential", { provider: "deepgram", apiKey: "dg-any" })).status, 201);
    const { call, client } = await ownCall(own, { assistant: assistant() });
    t.after(() => client.close());
    const rec = await ownEnded(own, call.id);
    assert.equal(rec.endedReason, "pipeline-error-deepgram-returning-502-network-error");
});

test("deepgram: a credential's apiUrl (an on-premise Deepgram) beats --provider-url for its org", async (t) => {
    const dg = await startDeepgramFake({ key: "dg-onprem" });
    t.after(() => dg.close());
    const dead = await L.freePort();
    const own = await L.ownVoxa(t, { VOXA_PROVIDER_URLS: `deepgram=http://127.0.0.1:${dead}`, DEEPGRAM_API_KEY: "" });
    const cred = await own.api("POST", "/credential", { provider: "deepgram", apiKey: "dg-onprem", apiUrl: dg.url });
    assert.equal(cred.status, 201, JSON.stringify(cred.json));
    const { call, client } = await ownCall(own, { assistant: assistant() });
    t.after(() => client.close());
    await client.waitFor(() => dg.accepted().length === 1, 5000, "the on-premise Deepgram's stream");
    client.endCall();
    const rec = await ownEnded(own, call.id);
    assert.ok(!rec.endedReason.startsWith("pipeline-error"), rec.endedReason);
});

for (const [mode, reason] of [
    ["refuse", "pipeline-error-deepgram-returning-502-network-error"],
    ["close-mid-utterance", "pipeline-error-deepgram-returning-econnreset"],
    ["stall", "pipeline-error-deepgram-transcriber-failed"],
    ["garbage", "pipeline-error-deepgram-returning-500-invalid-json"],
]) {
    test(`deepgram misbehaving (${mode}) -> ${reason}`, async (t) => {
        const dg = await startDeepgramFake({ key: "dg-key" });
        t.after(() => dg.close());
        dg.misbehave(mode);
        const own = await L.ownVoxa(t, { VOXA_PROVIDER_URLS: `deepgram=${dg.url}`, DEEPGRAM_API_KEY: "dg-key" });
        const { call, client } = await ownCall(own, { assistant: assistant() });
        t.after(() => client.close());
        if (mode !== "refuse") await speak(client, "I would like to book an appointment for tomorrow");
        const rec = await ownEnded(own, call.id, 20000);
        assert.equal(rec.endedReason, reason);
        assert.equal(dg.streams.length, 1);
    });
}

test("openai model: the org's openai credential is the key sent (over OPENAI_API_KEY)", async (t) => {
    const fake = await startOpenAIFake({ greeting: "Hi there, this is the model.", fallback: "Okay." });
    t.after(() => fake.close());
    const own = await L.ownVoxa(t, { VOXA_PROVIDER_URLS: `openai=${fake.url}`, OPENAI_API_KEY: "sk-env" });
    assert.equal((await own.api("POST", "/credential", { provider: "openai", apiKey: "sk-org" })).status, 201);
    const { call, client } = await ownCall(own, {
        assistant: {
            transcriber: { provider: "local" },
            voice: { provider: "local", voiceId: "kal16" },
            firstMessageMode: "assistant-speaks-first-with-model-generated-message",
            model: { provider: "openai", model: "gpt-4o-mini", messages: [{ role: "system", content: "Be brief." }] },
        },
    });
    t.after(() => client.close());
    await client.waitFor(() => fake.requests.length > 0, 10000, "a chat completion request");
    assert.equal(fake.requests[0].headers.authorization, "Bearer sk-org");
    assert.equal(fake.requests[0].body.model, "gpt-4o-mini");
    client.endCall();
    const rec = await ownEnded(own, call.id);
    assert.ok(!rec.endedReason.startsWith("pipeline-error"), rec.endedReason);
});
