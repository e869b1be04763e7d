// Provider fallbacks (transcriber.fallbackPlan.transcribers[], voice.fallbackPlan.voices[])
// and the custom-voice voice, against local fakes reached through VOXA_PROVIDER_URLS and
// voice.server.url: a provider dying mid-call hands the call to the next entry without
// dropping it, the record says which provider served each turn, and with nothing left the call
// ends with Vapi's endedReason for the last provider and cause.
import assert from "node:assert/strict";
import { test } from "node:test";

import { startCustomVoiceFake } from "./fake-custom-voice.mjs";
import { startDeepgramFake } from "./fake-deepgram.mjs";
import * as L from "./lib.mjs";

const REPLY = "Sure, I can help you with that today.";
const REPLIED = /help you/i;
const model = { provider: "local", rules: [{ match: ["appointment", "book", "tomorrow"], reply: REPLY }], fallback: REPLY };

const { ownCall } = L;
const ownEnded = (own, id) => L.ownEnded(own, id, 20000);

const assistantStopped = (n) => (m) => m.type === "speech-update" && m.role === "assistant" && m.status === "stopped" && m.turn >= n;
const userFinals = (client) => client.messages.map((e) => e.msg).filter((m) => m.type === "transcript" && m.role === "user" && m.transcriptType === "final");
const botSaid = (client, re) => client.messages.map((e) => e.msg).filter((m) => m.type === "transcript" && m.role === "assistant" && re.test(m.transcript));
const byRole = (rec, role) => rec.artifact.messages.filter((m) => m.role === role);

test("fallbacks: Deepgram dies in the middle of the second turn; the local transcriber hears it whole, the call goes on", async (t) => {
    const dg = await startDeepgramFake({ key: "dg-key" });
    t.after(() => dg.close());
    const own = await L.ownVoxa(t, { VOXA_PROVIDER_URLS: `deepgram=${dg.url}`, DEEPGRAM_API_KEY: "dg-key" });
    const { call, client } = await ownCall(own, { assistant: {
        firstMessage: "Hello, how can I help?",
        transcriber: { provider: "deepgram", model: "nova-2", smartFormat: true,
                       fallbackPlan: { transcribers: [{ provider: "local" }] } },
        voice: { provider: "local", voiceId: "kal16" },
        model } });
    t.after(() => client.close());
    client.startContinuous();
    await client.waitForMessage(assistantStopped(0), 10000);

    // Turn 1, through Deepgram.
    await client.streamPcm(await L.synth("I would like to book an appointment for tomorrow"));
    await client.waitFor(() => userFinals(client).length >= 1, 15000, "turn 1's final");
    await client.waitForMessage((m) => m.type === "transcript" && m.role === "assistant" && REPLIED.test(m.transcript), 15000);
    assert.equal(dg.accepted().length, 1);

    // Turn 2: Deepgram's socket is cut 0.8 s into it, after "tomorrow" reached it. What it had
    // not answered is replayed to the fallback, which hears the utterance whole.
    const before = dg.accepted()[0].audioBytes;
    const second = client.streamPcm(await L.synth("tomorrow morning please book an appointment"));
    // Cut once "tomorrow" (0.8 s of speech) has reached Deepgram, however loaded the machine.
    await client.waitFor(() => dg.accepted()[0].audioBytes - before > 25600, 8000, "turn 2's start at Deepgram");
    const sentToDeepgram = dg.accepted()[0].audioBytes - before;
    dg.drop();
    await second;
    assert.ok(sentToDeepgram > 8000, `turn 2's start went to Deepgram first (${sentToDeepgram} bytes)`);
    await client.waitFor(() => userFinals(client).length >= 2, 15000, "turn 2's final (from the fallback)");
    const heard = userFinals(client)[1].transcript;
    L.note(`fallbacks: turn 2 heard by the fallback: "${heard}"`);
    assert.ok(L.wordHits(heard, ["tomorrow"]).ratio === 1, `the start of turn 2 was replayed: "${heard}"`);
    await client.waitFor(() => botSaid(client, REPLIED).length >= 2,
                         15000, "the answer to turn 2");
    assert.equal(dg.accepted().length, 1, "no second Deepgram stream: the fallback is local");

    client.endCall();
    const rec = await ownEnded(own, call.id);
    assert.ok(!rec.endedReason.startsWith("pipeline-error"), `the call was not dropped: ${rec.endedReason}`);
    const users = byRole(rec, "user");
    assert.ok(users.length >= 2, JSON.stringify(users));
    assert.deepEqual(users.slice(0, 2).map((m) => m.metadata?.transcriber), ["deepgram", "local"],
                     "the record says which transcriber served each turn");
});

for (const mode of ["500", "refuse", "stall", "cut"]) {
    test(`fallbacks: the custom voice fails mid-call (${mode}); the fallback voice says the rest`, async (t) => {
        const tts = await startCustomVoiceFake();
        t.after(() => tts.close());
        const own = await L.ownVoxa(t);
        const { call, client } = await ownCall(own, { assistant: {
            firstMessage: "Hello, how can I help?",
            transcriber: { provider: "local" },
            voice: { provider: "custom-voice", server: { url: `${tts.url}/tts` },
                     fallbackPlan: { voices: [{ provider: "local", voiceId: "slt" }] } },
            model } });
        t.after(() => client.close());
        client.startContinuous();
        await client.waitForMessage(assistantStopped(0), 10000);
        assert.equal(tts.requests.length, 1, "the first message came from the custom voice");
        assert.equal(tts.requests[0].status, 200);

        tts.misbehave(mode, { after: 1 });
        const replyFrom = performance.now();
        await client.streamPcm(await L.synth("I would like to book an appointment for tomorrow"));
        // A stall is noticed after the wrapper's 8 s bound; a 500, a refusal or a cut at once.
        // "cut": the reply breaks off mid-sentence; the fallback says the words not yet heard.
        await client.waitForMessage((m) => m.type === "transcript" && m.role === "assistant" && REPLIED.test(m.transcript), 25000);
        await client.waitForMessage(assistantStopped(1), 10000);
        assert.equal(tts.requests.length, 2, "the reply was asked of the custom voice first");
        if (mode !== "refuse") assert.equal(tts.requests[1].text, REPLY);
        const heard = await L.transcribe(client.receivedPcm(replyFrom), 16000);
        L.note(`fallbacks (${mode}): the caller heard "${heard}"`);
        assert.ok(L.wordHits(heard, ["sure", "help", "you", "today"]).ratio >= 0.5, `the reply was spoken by the fallback: "${heard}"`);

        client.endCall();
        const rec = await ownEnded(own, call.id);
        assert.ok(!rec.endedReason.startsWith("pipeline-error"), rec.endedReason);
        assert.deepEqual(byRole(rec, "bot").map((m) => m.metadata?.voice), ["custom-voice", "local"],
                         "the record says which voice spoke each reply");
    });
}

test("fallbacks: with nothing left the call ends with the last provider's endedReason", async (t) => {
    const tts = await startCustomVoiceFake();
    t.after(() => tts.close());
    const dg = await startDeepgramFake({ key: "right-key" });
    t.after(() => dg.close());
    const own = await L.ownVoxa(t, { VOXA_PROVIDER_URLS: `deepgram=${dg.url}`, DEEPGRAM_API_KEY: "wrong-key" });

    // Voice: the custom voice refuses, and so does its fallback (the same server).
    tts.misbehave("500", { after: 0 });
    const v = await ownCall(own, { assistant: {
        firstMessage: "Hello there.",
        voice: { provider: "custom-voice", server: { url: tts.url },
                 fallbackPlan: { voices: [{ provider: "custom-voice", server: { url: `${tts.url}/second` } }] } },
        model } });
    t.after(() => v.client.close());
    const vrec = await ownEnded(own, v.call.id);
    assert.equal(vrec.endedReason, "pipeline-error-custom-voice-failed");
    assert.deepEqual(tts.requests.map((r) => r.path), ["/", "/second"], "both voices were tried, in order");

    // Transcriber: the key is refused by the primary and by its (deepgram) fallback.
    const s = await ownCall(own, { assistant: {
        transcriber: { provider: "deepgram", fallbackPlan: { transcribers: [{ provider: "deepgram", model: "nova-3" }] } },
        voice: { provider: "local", voiceId: "kal16" }, model } });
    t.after(() => s.client.close());
    const srec = await ownEnded(own, s.call.id);
    assert.equal(srec.endedReason, "pipeline-error-deepgram-returning-401-invalid-credentials");
    assert.equal(dg.streams.length, 2, "both transcribers were tried");
    assert.equal(dg.streams[1].query.get("model"), "nova-3", "the fallback entry's own fields");
});

test("custom-voice: Vapi's voice-request, field by field; the caller hears it; a barge-in aborts the request", async (t) => {
    const tts = await startCustomVoiceFake({ secret: "tts-secret", speedup: 1 });
    t.after(() => tts.close());
    const own = await L.ownVoxa(t);
    const LONG = "Hello, how can I help you today, this message came from the custom voice server and it goes on for a long while so that you can talk over it";
    const voice = { provider: "custom-voice", voiceId: "narrator",
                    server: { url: `${tts.url}/synthesize`, secret: "tts-secret", headers: { "X-Tenant": "acme" } } };
    const { call, client } = await ownCall(own, { assistant: {
        firstMessage: LONG, firstMessageInterruptionsEnabled: true, transcriber: { provider: "local" }, voice, model } });
    t.after(() => client.close());
    const bargeIn = await L.synth("I would like to book an appointment for tomorrow");
    client.startContinuous();
    await client.waitFor(() => tts.requests.length === 1 && client.receivedMs() > 2500, 10000, "the first message playing");
    // The caller talks over it at once (the checks of what was heard come after: under ASan,
    // transcribing first could outlast the message).
    const playedSoFar = client.receivedPcm();
    const talking = client.streamPcm(bargeIn);

    const r = tts.requests[0];
    assert.equal(r.method, "POST");
    assert.equal(r.path, "/synthesize");
    assert.match(r.headers["content-type"], /^application\/json/);
    assert.equal(r.headers["x-vapi-secret"], "tts-secret");
    assert.equal(r.headers["x-tenant"], "acme");
    const m = r.body.message;
    assert.equal(m.type, "voice-request");
    assert.equal(m.text, LONG);
    assert.equal(m.sampleRate, 16000, "the transport's rate: nothing is resampled");
    assert.equal(typeof m.timestamp, "number");
    assert.equal(m.call?.id, call.id);
    assert.equal(m.assistant?.voice?.provider, "custom-voice");
    assert.equal(m.assistant?.voice?.voiceId, "narrator", "voiceId travels in the payload");

    // The caller's speech interrupts it: the request in flight is aborted.
    await talking;
    await client.waitForMessage((m) => m.type === "user-interrupted", 10000);
    const heard = await L.transcribe(playedSoFar, 16000);
    assert.ok(L.wordHits(heard, ["hello", "how", "can", "help", "you", "today"]).ratio >= 0.5, `the custom voice's audio was played: "${heard}"`);
    await client.waitFor(() => tts.requests[0].aborted, 5000, "the voice-request to be aborted");
    assert.ok(tts.requests[0].bytes < (await L.synth(LONG)).length, "it was cut before the end");
    await client.waitForMessage((m) => m.type === "transcript" && m.role === "assistant" && m.transcript === REPLY, 15000);
    assert.equal(tts.requests.at(-1).text, REPLY, "the reply, through the custom voice too");
    client.endCall();
    await ownEnded(own, call.id);
});
