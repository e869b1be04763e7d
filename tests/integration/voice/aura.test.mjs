// The deepgram voice (Aura) against a local Deepgram that serves both the live transcriber
// (fake-deepgram.mjs) and the TTS socket (fake-deepgram-speak.mjs: the documented protocol,
// real flite speech) at one base URL, reached through VOXA_PROVIDER_URLS: a conversation with
// {deepgram transcriber, local model, deepgram voice} whose words the caller hears, what
// Deepgram sees (path, query, Authorization, Speak + Flush per utterance, Clear on a barge-in,
// Close at the end), a wrong key and each other way Aura can fail -> Vapi's endedReason, and
// the local fallback voice taking over when Aura dies mid-call. One Voxa for the file.
import assert from "node:assert/strict";
import { after, test } from "node:test";

import { deepgramSpeak } from "./fake-deepgram-speak.mjs";
import { startDeepgramFake } from "./fake-deepgram.mjs";
import * as L from "./lib.mjs";

const FIRST = "Hello, thanks for calling the garden center.";
const LONG = "Your order of tulips left our greenhouse this morning. The driver will call you " +
             "before he arrives. On Saturdays we deliver until two in the afternoon. You can also " +
             "pick up your flowers at the shop on Main Street at any time.";
const SURE = "Sure, go ahead.";
const SHORTER = "Your order of tulips left our greenhouse this morning. On Saturdays we deliver until two in the afternoon.";
const VOICE = { provider: "deepgram", voiceId: "thalia", model: "aura-2", mipOptOut: true };

const speak = deepgramSpeak({ key: "dg-key" });
// No interim recognitions: one pocketsphinx run per utterance keeps the fake's finals quick.
const dg = await startDeepgramFake({ key: "dg-key", speak, interimEveryMs: 600000 });
after(() => dg.close());
const own = await L.ownVoxa({ after }, { VOXA_PROVIDER_URLS: `deepgram=${dg.url}`, DEEPGRAM_API_KEY: "dg-key" });

function assistant(extra = {}) {
    return {
        firstMessage: FIRST,
        transcriber: { provider: "local" },
        voice: VOICE,
        model: { provider: "local", rules: [{ match: ["tulips", "order", "flowers"], reply: LONG }, { reply: SURE }] },
        ...extra,
    };
}

/** Notes how the call ended when the test fails (a call that ended early explains a timeout). */
function explainFailure(t, call) {
    const state = { passed: false };
    t.after(async () => {
        if (state.passed) return;
        const r = await own.api("GET", `/call/${call.id}`);
        L.note(`call ${call.id}: status ${r.json?.status}, endedReason ${r.json?.endedReason}`);
    });
    return state;
}

const botStopped = (m) => m.type === "speech-update" && m.role === "assistant" && m.status === "stopped";
const botStarted = (m) => m.type === "speech-update" && m.role === "assistant" && m.status === "started";

/** What the caller heard from `fromT` until the assistant's next speech-update stopped. */
async function heardUntilStopped(client, fromT, timeoutMs = 20000) {
    const stopped = await client.waitFor((c) => c.messages.find((e) => e.t > fromT && botStopped(e.msg)), timeoutMs,
                                         "the assistant to finish speaking");
    return L.transcribe(client.receivedPcm(fromT, stopped.t + 1), 16000);
}

/** The speak socket opened for a call (the newest one after `before` sockets). */
async function socketOf(client, before) {
    await client.waitFor(() => speak.sockets.length > before, 5000, "Deepgram's speak socket");
    return speak.sockets[before];
}

test("aura: {deepgram transcriber, local model, deepgram voice}: the caller hears both; a barge-in sends Clear", async (t) => {
    const before = speak.sockets.length;
    const { call, client } = await L.ownCall(own, { assistant: assistant({
        transcriber: { provider: "deepgram", model: "nova-2", smartFormat: true },
        stopSpeakingPlan: { numWords: 0, voiceSeconds: 0.2, backoffSeconds: 1 },
    }) });
    t.after(() => client.close());
    const outcome = explainFailure(t, call);
    client.startContinuous();
    const sock = await socketOf(client, before);  // opened while the call is set up
    assert.equal(sock.path, "/v1/speak");
    assert.equal(sock.headers.authorization, "Token dg-key", "the transcriber's key");
    for (const [k, v] of [["model", "aura-2-thalia-en"], ["encoding", "linear16"], ["sample_rate", "16000"], ["mip_opt_out", "true"]])
        assert.equal(sock.query.get(k), v, `query ${k}`);

    const first = await heardUntilStopped(client, 0);
    const fh = L.wordHits(first, ["thanks", "calling", "garden", "center"]);
    L.note(`aura: first message heard as "${first}" -> ${fh.hits.length}/4`);
    assert.ok(fh.ratio >= 0.5, `first message heard as "${first}"`);

    // The reply (long) starts; the caller talks over it.
    const asked = await client.streamPcm(await L.synth("I want to check on my order of tulips"));
    const started = await client.waitFor((c) => c.messages.find((e) => e.t > asked.endedAt && botStarted(e.msg)), 25000,
                                         "the reply to start");
    await L.sleep(1500);
    const cut = client.streamPcm(await L.synth("Excuse me, I have a question"));
    const interrupted = await client.waitForMessage({ type: "user-interrupted" }, 8000);
    await cut;
    await client.waitFor(() => sock.received.some((m) => m.type === "Clear"), 3000, "a Clear");
    assert.ok(sock.clearedWhileStreaming >= 1, "the reply was streaming when it was cleared");
    await client.waitFor(() => sock.sent.some((m) => m.type === "Cleared"), 3000, "Cleared");
    const stopAt = L.audioStopAfter(client, started.t, 200);
    assert.ok(stopAt && stopAt < interrupted.t + 600, "the reply stopped at the barge-in");

    // The answer to the barge-in is heard, and nothing more of the long reply.
    const sure = await client.waitFor((c) => c.messages.find((e) => e.t > interrupted.t && botStarted(e.msg)), 25000,
                                      "the answer to start");
    const answer = await heardUntilStopped(client, sure.t - 100);
    L.note(`aura: after the barge-in the caller heard "${answer}"`);
    assert.ok(L.wordHits(answer, ["sure", "go", "ahead"]).ratio >= 1 / 3, `the answer: "${answer}"`);
    assert.ok(!L.wordHits(answer, ["saturdays", "afternoon", "street"]).hits.length, `nothing of the long reply: "${answer}"`);

    // Speak then Flush for every utterance, on one socket; Flushed back for each finished one.
    const msgs = sock.received.filter((m) => m.type !== "Clear" && m.type !== "Close");
    assert.ok(msgs.length >= 6, JSON.stringify(msgs));
    for (let i = 0; i < msgs.length; i++) {
        assert.ok(msgs[i].type === "Speak" || msgs[i].type === "Flush", JSON.stringify(msgs[i]));
        if (msgs[i].type === "Flush") assert.equal(msgs[i - 1]?.type, "Speak", "a Flush ends an utterance's text");
    }
    assert.equal(sock.spoken[0], FIRST);
    assert.ok(sock.spoken.includes(SURE), JSON.stringify(sock.spoken));
    assert.ok(sock.sent.filter((m) => m.type === "Flushed").length >= 2);
    assert.equal(speak.sockets.length, before + 1, "one socket for the whole call");
    assert.ok(dg.accepted().length >= 1, "the transcriber was Deepgram's too");

    client.endCall();
    const rec = await L.ownEnded(own, call.id);
    assert.equal(rec.endedReason, "customer-ended-call");
    await client.waitFor(() => sock.closedBy !== null, 5000, "the socket to close");
    assert.equal(sock.closedBy, "Close", "Close at the end of the call");
    const voice = (rec.costs || []).find((c) => c.type === "voice");
    assert.ok(voice && voice.characters > 0, JSON.stringify(voice));
    assert.ok(Math.abs(voice.cost - (voice.characters / 1000) * 0.03) < 1e-6, `Aura-2 at $0.030 / 1k characters: ${JSON.stringify(voice)}`);
    outcome.passed = true;
});

test("aura: a wrong key -> HTTP 401 -> pipeline-error-deepgram-voice-failed, no second try", async (t) => {
    const before = speak.sockets.length;
    // The assistant's own credential (Vapi's inline credentials) beats DEEPGRAM_API_KEY.
    const { call, client } = await L.ownCall(own, { assistant: assistant({
        credentials: [{ provider: "deepgram", apiKey: "dg-wrong" }] }) });
    t.after(() => client.close());
    const rec = await L.ownEnded(own, call.id);
    assert.equal(rec.endedReason, "pipeline-error-deepgram-voice-failed");
    assert.equal(speak.sockets.length, before + 1);
    assert.equal(speak.sockets[before].headers.authorization, "Token dg-wrong");
});

for (const mode of ["refuse", "close-mid-utterance", "stall", "garbage"]) {
    test(`aura failing (${mode}) -> pipeline-error-deepgram-voice-failed`, async (t) => {
        const before = speak.sockets.length;
        speak.misbehave(mode);
        t.after(() => speak.misbehave(null));
        const { call, client } = await L.ownCall(own, { assistant: assistant() });
        t.after(() => client.close());
        client.startContinuous();
        const rec = await L.ownEnded(own, call.id, 30000);
        assert.equal(rec.endedReason, "pipeline-error-deepgram-voice-failed");
        assert.equal(speak.sockets.length, before + 1, "no second try on the same provider");
        if (mode === "close-mid-utterance") assert.ok(client.audio.length > 0, "some audio came before the socket went");
    });
}

test("aura: Deepgram dies in the middle of the reply; the local fallback voice says the rest", async (t) => {
    const before = speak.sockets.length;
    const { call, client } = await L.ownCall(own, { assistant: assistant({
        voice: { ...VOICE, fallbackPlan: { voices: [{ provider: "local", voiceId: "slt" }] } },
        model: { provider: "local", rules: [{ reply: SHORTER }] } }) });
    t.after(() => client.close());
    const outcome = explainFailure(t, call);
    client.startContinuous();
    await heardUntilStopped(client, 0);
    const sock = await socketOf(client, before);
    assert.equal(sock.spoken[0], FIRST);

    speak.misbehave("close-mid-utterance");
    t.after(() => speak.misbehave(null));
    const asked = await client.streamPcm(await L.synth("I want to check on my order of tulips"));
    await client.waitFor(() => sock.closedBy === "server", 25000, "Aura to cut the reply");
    const heard = await heardUntilStopped(client, asked.endedAt, 30000);
    L.note(`aura: the reply, cut and finished by the fallback, heard as "${heard}"`);
    assert.ok(L.wordHits(heard, ["greenhouse", "morning", "saturdays", "afternoon"]).ratio >= 0.5, `the rest was said: "${heard}"`);
    assert.equal(speak.sockets.length, before + 1, "no second Aura socket: the fallback is local");

    client.endCall();
    const rec = await L.ownEnded(own, call.id);
    assert.equal(rec.endedReason, "customer-ended-call");
    const bots = rec.artifact.messages.filter((m) => m.role === "bot");
    assert.deepEqual(bots.map((m) => m.metadata?.voice), ["deepgram", "local"], "the record says which voice spoke");
    outcome.passed = true;
});
