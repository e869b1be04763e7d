// OpenAI's transcriber and voice (Vapi's OpenAITranscriber, OpenAIVoice) against a local OpenAI
// Audio API (fake-openai-speech.mjs: the documented requests and answers, real recognition and
// real speech), reached through VOXA_PROVIDER_URLS openai=<API root>: a conversation, what
// OpenAI is sent field by field, a barge-in aborting the speech request, failures -> Vapi's
// endedReason, and fallbacks taking over mid-call. One Voxa for the file.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { startOpenAISpeechFake } from "./fake-openai-speech.mjs";
import * as L from "./lib.mjs";

const REPLY = "Sure, I can help you with that today.";
const REPLIED = /help you with that/i;
const model = { provider: "local", rules: [{ match: ["appointment", "book", "tomorrow"], reply: REPLY }], fallback: REPLY };
const transcriber = { provider: "openai", model: "gpt-4o-mini-transcribe", language: "en" };
const voice = { provider: "openai", voiceId: "nova", model: "gpt-4o-mini-tts", instructions: "Speak warmly.", speed: 1.1 };
const CALLER = "I would like to book an appointment for tomorrow";

const messages = (client) => client.messages.map((e) => e.msg);
const userFinals = (client) => messages(client).filter((m) => m.type === "transcript" && m.role === "user" && m.transcriptType === "final");
const botSaid = (client, re) => messages(client).filter((m) => m.type === "transcript" && m.role === "assistant" && re.test(m.transcript));
const assistantStopped = (n) => (m) => m.type === "speech-update" && m.role === "assistant" && m.status === "stopped" && m.turn >= n;
const byRole = (rec, role) => rec.artifact.messages.filter((m) => m.role === role);
const ownEnded = (id, ms = 20000) => L.ownEnded(own, id, ms);

let oa;
let own;
const cleanups = [];
before(async () => {
    oa = await startOpenAISpeechFake({ key: "sk-right" });
    cleanups.push(() => oa.close());
    own = await L.ownVoxa({ after: (fn) => cleanups.push(fn) },
                          { VOXA_PROVIDER_URLS: `openai=${oa.url}`, OPENAI_API_KEY: "sk-right" });
});
after(async () => {
    for (const fn of cleanups.reverse()) await fn();
});

async function call(assistant) {
    const c = await L.ownCall(own, { assistant });
    cleanups.push(() => c.client.close());
    return c;
}

test("openai speech: a conversation through OpenAI's transcriber and voice, field by field; a barge-in aborts the speech request", async () => {
    const LONG = "Hello, thank you for calling the clinic, this message comes from the open A I voice " +
                 "and it goes on for a long while so that you can talk over it";
    const { call: c, client } = await call({ firstMessage: LONG, firstMessageInterruptionsEnabled: true, transcriber, voice, model });
    const bargeIn = await L.synth(CALLER);
    client.startContinuous();
    await client.waitFor(() => oa.speech.length === 1 && client.receivedMs() > 2500, 10000, "the first message playing");
    const playedSoFar = client.receivedPcm();
    const talking = client.streamPcm(bargeIn);  // over the first message

    const s = oa.speech[0];
    assert.equal(s.headers.authorization, "Bearer sk-right", "OPENAI_API_KEY");
    assert.match(s.headers["content-type"], /^application\/json/);
    assert.deepEqual(s.body, { model: "gpt-4o-mini-tts", input: LONG, voice: "nova", response_format: "pcm",
                               speed: 1.1, instructions: "Speak warmly." });

    const spoken = await talking;
    await client.waitForMessage((m) => m.type === "user-interrupted", 10000);
    await client.waitFor(() => oa.speech[0].aborted, 5000, "the speech request to be aborted");
    assert.ok(oa.speech[0].bytes < oa.speech[0].total, `cut before its end (${oa.speech[0].bytes} of ${oa.speech[0].total} bytes)`);

    // The caller's utterance: one transcription request, streamed back as deltas, then done.
    await client.waitFor(() => userFinals(client).length >= 1, 15000, "the caller's final transcript");
    const final = userFinals(client)[0].transcript;
    L.note(`openai speech: user final "${final}"`);
    assert.ok(L.wordHits(final, ["book", "appointment", "tomorrow"]).ratio >= 2 / 3, `heard through OpenAI: "${final}"`);
    assert.match(final, /^[A-Z].*\.$/, "OpenAI's punctuation kept");
    assert.equal(oa.transcriptions.length, 1, "one request for the utterance");
    const tr = oa.transcriptions[0];
    assert.equal(tr.headers.authorization, "Bearer sk-right");
    assert.deepEqual({ ...tr.fields }, { model: "gpt-4o-mini-transcribe", language: "en", response_format: "json", stream: "true" });
    assert.match(tr.filename, /\.wav$/);
    assert.deepEqual({ rate: tr.wav.sampleRate, channels: tr.wav.channels, bits: tr.wav.bitsPerSample },
                     { rate: 16000, channels: 1, bits: 16 }, "a 16 kHz mono 16-bit WAV, as Voxa hears the call");
    const caller = bargeIn.length / 32000;
    assert.ok(tr.wav.seconds > caller * 0.6 && tr.wav.seconds < caller + 2, `the utterance (${tr.wav.seconds} s of ${caller} s)`);
    assert.equal(tr.status, 200);
    assert.ok(tr.sent.filter((e) => e.type === "transcript.text.delta").length >= 2, "deltas were streamed");
    const partials = messages(client).filter((m) => m.type === "transcript" && m.role === "user" && m.transcriptType === "partial");
    assert.ok(partials.length >= 1, "the deltas reached the client as partial transcripts");

    // The reply, spoken by the OpenAI voice.
    await client.waitFor(() => botSaid(client, REPLIED).length >= 1 && messages(client).some(assistantStopped(1)), 15000, "the reply");
    assert.equal(oa.speech.at(-1).body.input, REPLY);
    assert.equal(oa.speech.at(-1).status, 200);
    const heard = await L.transcribe(client.receivedPcm(spoken.endedAt), 16000);
    L.note(`openai speech: reply heard as "${heard}"`);
    assert.ok(L.wordHits(heard, ["sure", "help", "you", "today"]).ratio >= 0.5, `reply heard as "${heard}"`);
    const first = await L.transcribe(playedSoFar, 16000);
    assert.ok(L.wordHits(first, ["hello", "thank", "you", "calling", "clinic"]).ratio >= 0.4, `first message heard as "${first}"`);

    client.endCall();
    const rec = await ownEnded(c.id);
    assert.ok(!rec.endedReason.startsWith("pipeline-error"), rec.endedReason);
    const users = byRole(rec, "user");
    assert.ok(users.length >= 1 && L.wordHits(users[0].message, ["appointment"]).ratio === 1, JSON.stringify(users));
    assert.equal(users[0].metadata?.transcriber, "openai");
    assert.ok(byRole(rec, "bot").every((m) => m.metadata?.voice === "openai"), JSON.stringify(byRole(rec, "bot")));
    assert.ok(rec.costBreakdown.stt > 0 && rec.costBreakdown.tts > 0, JSON.stringify(rec.costBreakdown));
});

test("openai speech: a refused key (401) ends the call with Vapi's endedReason, voice and transcriber", async () => {
    const wrong = [{ provider: "openai", apiKey: "sk-wrong-key" }];  // the assistant's own credential wins
    const [v, s] = await Promise.all([
        call({ firstMessage: "Hello there.", credentials: wrong, transcriber: { provider: "local" }, voice, model }),
        call({ firstMessage: "Hi.", credentials: wrong, transcriber, voice: { provider: "local", voiceId: "kal16" }, model }),
    ]);
    const vrec = await ownEnded(v.call.id);
    assert.equal(vrec.endedReason, "pipeline-error-openai-voice-failed");
    const refusedSpeech = oa.speech.filter((r) => r.headers.authorization === "Bearer sk-wrong-key");
    assert.equal(refusedSpeech.length, 1);
    assert.equal(refusedSpeech[0].status, 401);

    s.client.startContinuous();
    await s.client.waitForMessage(assistantStopped(0), 10000);
    await s.client.streamPcm(await L.synth(CALLER));
    const srec = await ownEnded(s.call.id);
    assert.equal(srec.endedReason, "pipeline-error-openai-transcriber-failed");
    const refused = oa.transcriptions.filter((r) => r.headers.authorization === "Bearer sk-wrong-key");
    assert.equal(refused.length, 1);
    assert.equal(refused[0].status, 401);
});

test("openai speech: with fallbackPlans, OpenAI failing mid-call (garbage transcription, speech cut) hands over and the call goes on", async () => {
    const { call: c, client } = await call({
        firstMessage: "Hello, how can I help?",
        transcriber: { ...transcriber, fallbackPlan: { transcribers: [{ provider: "local" }] } },
        voice: { provider: "openai", voiceId: "alloy", fallbackPlan: { voices: [{ provider: "local", voiceId: "slt" }] } },
        model });
    client.startContinuous();
    await client.waitForMessage(assistantStopped(0), 10000);
    const t0 = oa.transcriptions.length;
    const s0 = oa.speech.length;
    assert.equal(oa.speech[s0 - 1].body.model, "tts-1", "tts-1 when the voice names no model");

    // Turn 1: OpenAI hears it and says the reply.
    await client.streamPcm(await L.synth(CALLER));
    await client.waitFor(() => userFinals(client).length >= 1, 15000, "turn 1's final");
    await client.waitForMessage(assistantStopped(1), 15000);
    assert.equal(oa.transcriptions.length, t0 + 1);
    assert.equal(oa.speech.at(-1).body.input, REPLY);

    // Turn 2: the transcription answer is garbage, the speech is cut 40 % in: the local
    // transcriber hears the utterance (replayed), the local voice says what was not heard.
    oa.misbehave("garbage", { endpoint: "transcriptions" });
    oa.misbehave("cut", { endpoint: "speech" });
    const spoken = await client.streamPcm(await L.synth("tomorrow morning please book an appointment"));
    await client.waitFor(() => userFinals(client).length >= 2, 15000, "turn 2's final (from the fallback)");
    const heardBy = userFinals(client)[1].transcript;
    assert.ok(L.wordHits(heardBy, ["tomorrow", "appointment"]).ratio >= 0.5, `the local transcriber heard turn 2: "${heardBy}"`);
    await client.waitFor(() => botSaid(client, REPLIED).length >= 2, 20000, "the answer to turn 2");
    await client.waitForMessage(assistantStopped(2), 15000);
    assert.equal(oa.transcriptions.at(-1).mode, "garbage");
    assert.equal(oa.speech.at(-1).status, "cut");
    const heard = await L.transcribe(client.receivedPcm(spoken.endedAt), 16000);
    L.note(`openai speech (fallback): turn 2's reply heard as "${heard}"`);
    assert.ok(L.wordHits(heard, ["sure", "help", "you", "today"]).ratio >= 0.5, `the reply was said: "${heard}"`);
    oa.misbehave(null);

    client.endCall();
    const rec = await ownEnded(c.id);
    assert.ok(!rec.endedReason.startsWith("pipeline-error"), `the call was not dropped: ${rec.endedReason}`);
    assert.deepEqual(byRole(rec, "user").slice(0, 2).map((m) => m.metadata?.transcriber), ["openai", "local"]);
    assert.deepEqual(byRole(rec, "bot").map((m) => m.metadata?.voice), ["openai", "openai", "local"]);
});

test("openai speech: a refused connection (voice) and a stalled transcription, without fallbacks -> their endedReason", async () => {
    oa.misbehave("refuse", { endpoint: "speech" });
    oa.misbehave("stall", { endpoint: "transcriptions" });
    const [v, s] = await Promise.all([
        call({ firstMessage: "Hello there.", transcriber: { provider: "local" }, voice, model }),
        call({ firstMessage: "Hi.", transcriber, voice: { provider: "local", voiceId: "kal16" }, model }),
    ]);
    s.client.startContinuous();
    await s.client.waitForMessage(assistantStopped(0), 10000);
    await s.client.streamPcm(await L.synth(CALLER));
    const stalledAt = performance.now();
    const vrec = await ownEnded(v.call.id);
    assert.equal(vrec.endedReason, "pipeline-error-openai-voice-failed");
    assert.equal(oa.speech.at(-1).mode, "refuse");
    const srec = await ownEnded(s.call.id);
    assert.equal(srec.endedReason, "pipeline-error-openai-transcriber-failed");
    assert.equal(oa.transcriptions.at(-1).mode, "stall");
    const waited = performance.now() - stalledAt;
    assert.ok(waited > 5000, `the stall was waited for (${Math.round(waited)} ms), then given up`);
    oa.misbehave(null);
});
