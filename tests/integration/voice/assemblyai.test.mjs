// The assembly-ai transcriber against a local AssemblyAI (fake-assemblyai.mjs: the documented
// Universal Streaming v3 protocol, real recognition), reached through VOXA_PROVIDER_URLS, on
// one Voxa of this file's own: a conversation over the websocket transport and what
// AssemblyAI sees (query, Authorization, audio chunks, ForceEndpoint, Terminate) field by
// field; a refused key -> Vapi's endedReason; and with a fallbackPlan to `local`, AssemblyAI
// dropping the socket mid-utterance, stalling or sending garbage hands the turn to the
// fallback, the call goes on and its record names the transcriber of each turn.
import assert from "node:assert/strict";
import { after, before, describe, it, test } from "node:test";

import { startAssemblyAIFake } from "./fake-assemblyai.mjs";
import * as L from "./lib.mjs";

const REPLY = "Your appointment is booked for Tuesday.";
const REPLIED = /booked for tuesday/i;
const model = { provider: "local", rules: [{ match: ["appointment", "book", "tomorrow"], reply: REPLY }], fallback: REPLY };
const SENTENCE = "I would like to book an appointment for tomorrow";

const cleanups = [];
let aai, own;
before(async () => {
    aai = await startAssemblyAIFake({ key: "aai-org-key" });
    cleanups.push(() => aai.close());
    // The org's credential is the right key; the server's environment has a stale one.
    own = await L.ownVoxa({ after: (fn) => cleanups.push(fn) },
                          { VOXA_PROVIDER_URLS: `assembly-ai=${aai.url}`, ASSEMBLYAI_API_KEY: "aai-env-key" });
    const cred = await own.api("POST", "/credential", { provider: "assembly-ai", apiKey: "aai-org-key", name: "aai" });
    assert.equal(cred.status, 201, JSON.stringify(cred.json));
    assert.equal(cred.json.apiKey, undefined, "the key is never returned");
});
after(async () => {
    for (const fn of cleanups.reverse()) await fn();
});

function assistant(transcriber = {}) {
    return {
        firstMessage: "Hello, how can I help?",
        transcriber: { provider: "assembly-ai", ...transcriber },
        voice: { provider: "local", voiceId: "kal16" },
        model,
    };
}

const assistantStopped = (n) => (m) => m.type === "speech-update" && m.role === "assistant" && m.status === "stopped" && m.turn >= n;
const userFinals = (client) => client.messages.map((e) => e.msg).filter((m) => m.type === "transcript" && m.role === "user" && m.transcriptType === "final");
const botSaid = (client, re) => client.messages.map((e) => e.msg).filter((m) => m.type === "transcript" && m.role === "assistant" && re.test(m.transcript));
const users = (rec) => rec.artifact.messages.filter((m) => m.role === "user");

/** Starts the call's audio, waits for the first message to end, then speaks `text`. */
async function speakAfterGreeting(client, text) {
    client.startContinuous();
    await client.waitForMessage(assistantStopped(0), 10000);
    return client.streamPcm(await L.synth(text));
}

test("assembly-ai: the caller is heard through AssemblyAI's v3 stream and answered; the protocol field by field", async (t) => {
    const { call, client } = await L.ownCall(own, { assistant: assistant({
        formatTurns: true, endOfTurnConfidenceThreshold: 0.6, minEndOfTurnSilenceWhenConfident: 200, maxTurnSilence: 800,
        keytermsPrompt: ["appointment"], wordBoost: ["Voxa"] }) });
    t.after(() => client.close());
    // Opened while the call is set up, before anyone speaks.
    await client.waitFor(() => aai.accepted().length === 1, 5000, "AssemblyAI's stream to open");
    const stream = aai.accepted()[0];
    assert.equal(stream.path, "/v3/ws");
    assert.equal(stream.headers.authorization, "aai-org-key", "the org credential, raw (no scheme), not ASSEMBLYAI_API_KEY");
    const q = stream.query;
    for (const [k, v] of [["sample_rate", "16000"], ["encoding", "pcm_s16le"], ["speech_model", "universal-streaming-english"],
                          ["format_turns", "true"], ["end_of_turn_confidence_threshold", "0.6"], ["min_turn_silence", "200"],
                          ["max_turn_silence", "800"]])
        assert.equal(q.get(k), v, `query ${k}`);
    assert.deepEqual(JSON.parse(q.get("keyterms_prompt")), ["appointment", "Voxa"], "keytermsPrompt, then wordBoost");
    assert.equal(stream.sent[0]?.type, "Begin");

    const spoken = await speakAfterGreeting(client, SENTENCE);
    const finalUser = (await client.waitForMessage(
        (m) => m.type === "transcript" && m.role === "user" && m.transcriptType === "final", 15000)).msg;
    L.note(`assembly-ai: user final "${finalUser.transcript}"`);
    assert.ok(L.wordHits(finalUser.transcript, ["book", "appointment", "tomorrow"]).ratio >= 2 / 3,
              `the fake's recognition reached Voxa: "${finalUser.transcript}"`);
    assert.match(finalUser.transcript, /^[A-Z].*\.$/, "the formatted Turn is the final");
    assert.ok(stream.text.some((m) => m.type === "ForceEndpoint"), "ForceEndpoint at the end of speech");
    assert.ok(stream.sent.some((m) => m.type === "Turn" && !m.end_of_turn), "partial Turns were sent");
    assert.ok(client.messages.some((e) => e.msg.type === "transcript" && e.msg.role === "user" && e.msg.transcriptType === "partial"),
              "and reached the caller as partial transcripts");
    assert.ok(stream.chunksMs.length > 0 && stream.chunksMs.every((ms) => ms >= 50 && ms <= 1000),
              `every audio message 50-1000 ms: ${stream.chunksMs.filter((ms) => ms < 50 || ms > 1000)}`);

    await client.waitFor(() => botSaid(client, REPLIED).length >= 1, 15000, "the reply");
    await client.waitFor((c) => c.messages.find((e) => e.t > spoken.endedAt && e.msg.type === "speech-update" &&
                                                       e.msg.role === "assistant" && e.msg.status === "stopped"),
                         15000, "the reply to be spoken");
    const heard = await L.transcribe(client.receivedPcm(spoken.endedAt), 16000);
    const wh = L.wordHits(heard, ["your", "appointment", "booked", "tuesday"]);
    L.note(`assembly-ai: reply heard as "${heard}" -> ${wh.hits.length}/4`);
    assert.ok(wh.ratio >= 0.5, `reply heard as "${heard}"`);

    client.endCall();
    const rec = await L.ownEnded(own, call.id);
    assert.ok(!rec.endedReason.startsWith("pipeline-error"), rec.endedReason);
    await client.waitFor(() => stream.closedBy !== null, 5000, "the stream to close");
    assert.ok(stream.text.some((m) => m.type === "Terminate"), "Terminate at the end of the call");
    assert.equal(stream.closedBy, "Terminate", "AssemblyAI closed after its Termination");
    assert.ok(stream.sent.some((m) => m.type === "Termination"));
    assert.equal(stream.text.filter((m) => m.invalid).length, 0, "every control message was JSON");
    const u = users(rec);
    assert.ok(u.length >= 1 && L.wordHits(u[0].message, ["appointment"]).ratio === 1, JSON.stringify(u));
    assert.equal(u[0].metadata?.transcriber, "assembly-ai", "the record names the transcriber");
    const stt = rec.costs?.find((c) => c.type === "transcriber");
    assert.equal(stt?.transcriber?.provider, "assembly-ai");
    assert.ok(Math.abs(stt.cost - stt.minutes * 0.0025) < 1e-5, `priced at $0.0025 a minute: ${JSON.stringify(stt)}`);
});

test("assembly-ai: a refused key (close 1008) -> pipeline-error-assembly-ai-returning-401-invalid-credentials", async (t) => {
    const before = aai.streams.length;
    const { call, client } = await L.ownCall(own, { assistant: {
        ...assistant(), credentials: [{ provider: "assembly-ai", apiKey: "aai-wrong" }] } });
    t.after(() => client.close());
    const rec = await L.ownEnded(own, call.id);
    assert.equal(rec.endedReason, "pipeline-error-assembly-ai-returning-401-invalid-credentials");
    const mine = aai.streams.slice(before);
    assert.equal(mine.length, 1, "no retry, no fallback");
    assert.equal(mine[0].headers.authorization, "aai-wrong", "the assistant's inline credential wins");
    assert.equal(mine[0].closeCode, 1008);
    assert.deepEqual(mine[0].sent.map((m) => m.type), ["Error"]);
});

// Two calls at a time; each opens its stream before the next call is created, so each gets
// the misbehaviour meant for it.
let creating = Promise.resolve();
describe("assembly-ai with a fallbackPlan to local", { concurrency: 2 }, () => {
    for (const [mode, afterTurns] of [["close-mid-utterance", 1], ["stall", 0], ["garbage", 0]]) {
        it(`AssemblyAI ${mode}: the local transcriber takes the turn, the call goes on`, async (t) => {
            let call, client, stream;
            const mine = creating.then(async () => {
                aai.misbehaveNext(mode, { afterTurns });
                const before = aai.streams.length;
                ({ call, client } = await L.ownCall(own, { assistant: { ...assistant({
                    fallbackPlan: { transcribers: [{ provider: "local" }] } }), firstMessage: "Hi." } }));
                await client.waitFor(() => aai.streams.length > before, 5000, "AssemblyAI's stream");
                stream = aai.streams[before];
            });
            creating = mine.catch(() => {});
            await mine;
            t.after(() => client.close());
            assert.equal(stream.mode, mode);
            client.startContinuous();
            await client.waitForMessage(assistantStopped(0), 10000);
            const expected = [];
            if (afterTurns) {
                // Turn 1 through AssemblyAI; the socket is cut half a second into turn 2.
                await client.streamPcm(await L.synth(SENTENCE));
                await client.waitFor(() => botSaid(client, REPLIED).length >= 1, 25000, "turn 1's answer");
                expected.push("assembly-ai");
            }
            await client.streamPcm(await L.synth("tomorrow morning please book an appointment"));
            await client.waitFor(() => botSaid(client, REPLIED).length > expected.length, 20000,
                                 "the answer to the turn AssemblyAI failed");
            const heard = userFinals(client).at(-1).transcript;
            L.note(`assembly-ai ${mode}: the fallback heard "${heard}"`);
            assert.ok(L.wordHits(heard, ["tomorrow", "appointment"]).ratio >= 0.5, `the utterance was replayed whole: "${heard}"`);
            assert.ok(stream.audioBytes > (mode === "garbage" ? 0 : 16000), `AssemblyAI got the utterance first (${stream.audioBytes} bytes)`);
            assert.equal(aai.streams.filter((s) => s.mode === mode).length, 1, "no second AssemblyAI stream: the fallback is local");
            expected.push("local");

            client.endCall();
            const rec = await L.ownEnded(own, call.id, 20000);
            assert.ok(!rec.endedReason.startsWith("pipeline-error"), `the call was not dropped: ${rec.endedReason}`);
            assert.deepEqual(users(rec).slice(0, expected.length).map((m) => m.metadata?.transcriber), expected,
                             "the record says which transcriber served each turn");
        });
    }
});
