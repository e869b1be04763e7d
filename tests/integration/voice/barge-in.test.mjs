// Barge-in (stopSpeakingPlan) and its false positives: the caller talking over the assistant
// stops it fast, and the transcript keeps only what was played; a short noise burst does not
// leave the call silent.
import assert from "node:assert/strict";
import { test } from "node:test";
import * as L from "./lib.mjs";

const LONG = "Welcome to the city library information line. Our opening hours are nine to five " +
             "from Monday to Friday. On Saturdays we open at ten and close at two in the afternoon. " +
             "You can renew your books online or by calling this number at any time.";

const words = (s) => s.split(/\s+/).filter(Boolean).length;

function assistant(extra = {}) {
    return L.localAssistant({
        firstMessage: LONG,
        firstMessageInterruptionsEnabled: true,
        stopSpeakingPlan: { numWords: 0, voiceSeconds: 0.2, backoffSeconds: 1 },
        // (greeting/emptyReply/fallback, documented in scripted_llm.h, are refused by the
        // LocalModel schema, so one catch-all rule.)
        model: { provider: "local", rules: [{ reply: "Sure, go ahead." }] },
        ...extra,
    });
}

test("barge-in: caller speech stops the assistant within voiceSeconds + a few frames", { concurrency: true }, async (t) => {
    const rate = 16000, format = "pcm_s16le";
    const speech = await L.synth("Excuse me, I have a question about my card", { rate, format });
    const onsetOffset = L.onsetMs(speech, { rate, format });
    const { call, client } = await L.startCall({ rate, format, assistant: assistant() });
    t.after(() => client.close());
    client.startContinuous();

    // Let the long first message play for a while, then talk over it.
    await client.waitFor((c) => c.audio.length > 0, 5000, "first audio");
    const firstAudioAt = client.audio[0].t;
    await L.sleep(1500);
    const sent = client.streamPcm(speech);
    const { startedAt } = await new Promise((resolve) => {
        const check = () => (client.queue[0]?.startedAt ? resolve({ startedAt: client.queue[0].startedAt }) : setTimeout(check, 2));
        check();
    });
    const onset = startedAt + onsetOffset;

    const interrupted = await client.waitForMessage({ type: "user-interrupted" }, 5000);
    await sent;
    const stopAt = L.audioStopAfter(client, onset, 200);
    assert.ok(stopAt, "audio was still arriving when the caller started talking");
    const latency = stopAt - onset;
    const msgLatency = interrupted.t - onset;
    L.note(`barge-in: assistant audio stopped ${Math.round(latency)} ms after speech onset ` +
           `(user-interrupted after ${Math.round(msgLatency)} ms; voiceSeconds 0.2)`);
    // The VAD's onset needs 60 ms of speech (3 of 5 frames): the output goes silent there (a
    // duck), stays silent through the gaps inside "ex-cuse" and is held once voiceSeconds
    // (200 ms) of voice are in; the interruption itself waits for the words ("excuse me").
    // Before the duck outlasted a word's gap, the reply played on in the gap and the stop
    // came at the hold (~260-400 ms).
    assert.ok(latency >= 40, `stopped ${latency} ms after onset: before the VAD could hear 60 ms of speech`);
    // ~75 ms on an idle machine; 559 ms seen once in make test with the server's input
    // running behind (user-interrupted 300 ms later than idle too): the bound it always had.
    assert.ok(latency <= 700, `stopped ${latency} ms after onset (expected ~60-120 idle: the duck at the VAD's onset)`);
    assert.ok(msgLatency <= 3000, `user-interrupted ${msgLatency} ms after onset`);
    // Nothing of the first message after the interruption: the next audio (if any) is the reply.
    const after = client.audio.filter((a) => a.t > stopAt);
    if (after.length) assert.ok(after[0].t - stopAt >= 200, "a real gap after the stop");
    const playedMs = (client.receivedBytes(0, stopAt + 1).length / 2 / rate) * 1000;
    assert.ok(playedMs > 1000 && playedMs < (stopAt - firstAudioAt) + 500, `played ${playedMs} ms before the stop`);

    // speech-update stopped for the assistant comes with the interruption.
    const botStopped = client.messages.find((e) => e.msg.type === "speech-update" && e.msg.role === "assistant" &&
                                                   e.msg.status === "stopped");
    assert.ok(botStopped && botStopped.t <= stopAt + 500, "assistant speech-update stopped at the interruption");

    // The assistant answers the caller afterwards.
    await client.waitForMessage((m) => m.type === "transcript" && m.role === "assistant" && m.transcript === "Sure, go ahead.", 10000);
    client.endCall();
    await client.closedPromise;
    const rec = await L.waitForEnded(call.id);
    assert.equal(rec.endedReason, "customer-ended-call");
    const bots = L.byRole(rec, "bot");
    assert.ok(bots.length >= 1);
    const cut = bots[0].message;
    L.note(`barge-in: first message recorded as "${cut}" (${words(cut)} of ${words(LONG)} words)`);
    assert.ok(cut.length > 0 && cut.length < LONG.length, "the first message is cut to what was played");
    assert.ok(LONG.startsWith(cut), "the cut first message is a prefix of it");
    // ~1.5 s + ~0.3 s played of a ~14 s message: roughly an eighth of the words.
    assert.ok(words(cut) < words(LONG) / 2, `${words(cut)} words kept`);
    assert.ok(rec.artifact.transcript.startsWith(`AI: ${cut}\nUser: `));
    assert.equal(rec.artifact.performanceMetrics.numUserInterrupted, 1);
    assert.equal(L.byRole(rec, "user").length, 1);
});

test("noise blip: 150 ms of loud noise during assistant speech does not leave the call silent", async (t) => {
    const rate = 16000, format = "pcm_s16le";
    const { call, client } = await L.startCall({ rate, format, assistant: assistant() });
    t.after(() => client.close());
    client.startContinuous();
    await client.waitFor((c) => c.audio.length > 0, 5000, "first audio");
    await L.sleep(1500);
    const { endedAt: noiseEnd } = await client.streamPcm(L.noise(150, { rate, format }));

    // Within a few seconds the assistant is talking again (still, or resumed, or answering).
    const again = await client.waitFor((c) => c.audio.find((a) => a.t > noiseEnd + 1500), 6000,
                                       "assistant audio after the noise");
    assert.ok(again);
    const interrupted = client.ofType("user-interrupted").length > 0;
    const live = await L.getCall(call.id);
    assert.equal(live.status, "in-progress");
    L.note(`noise: interrupted=${interrupted}; audio again ${Math.round(again.t - noiseEnd)} ms after the noise; ` +
           `bot transcripts ${JSON.stringify(client.ofType("transcript").filter((m) => m.role === "assistant").map((m) => m.transcript))}`);
    // 150 ms of sound is less than voiceSeconds (0.2 s): it must not count as barge-in, even
    // though the VAD keeps "user speaking" on for vadStopSeconds after it.
    assert.equal(interrupted, false, "a 150 ms blip shorter than voiceSeconds interrupted the assistant");
    const gap = client.audio.filter((a) => a.t > noiseEnd - 200 && a.t < noiseEnd + 1500)
        .reduce((g, a, i, arr) => (i ? Math.max(g, a.t - arr[i - 1].t) : g), 0);
    assert.ok(gap < 200, `the first message kept playing through the noise (largest gap ${Math.round(gap)} ms)`);
    // Keep listening a moment: the assistant must not go quiet for good.
    await L.sleep(1000);
    assert.ok(client.audio.at(-1).t > noiseEnd + 1500);
    client.endCall();
    await client.closedPromise;
    const rec = await L.waitForEnded(call.id);
    assert.equal(rec.endedReason, "customer-ended-call");
    // The hang-up cut the first message: the record keeps the part that was played.
    const bots = L.byRole(rec, "bot");
    assert.equal(bots.length, 1, "the interrupted-by-hang-up first message is in messages[]");
    assert.ok(bots[0].message.length > 0 && bots[0].message.length < LONG.length && LONG.startsWith(bots[0].message),
              `recorded "${bots[0].message}"`);
    assert.equal(rec.artifact.transcript, `AI: ${bots[0].message}\n`);
    assert.equal(rec.artifact.performanceMetrics.numUserInterrupted, 0);
});

// With the default plans (no stopSpeakingPlan): a caller's "uh-huh", "okay", "right" while
// the assistant talks hold its audio for a moment and it plays on from where it stopped;
// "wait, I need to change my appointment" stops it fast and is answered.
test("backchannels do not interrupt; a real barge-in does, fast, and is answered", async (t) => {
    const rate = 16000, format = "pcm_s16le";
    const GREETING = "Welcome to the city library information line. Our opening hours are nine to five " +
                     "from Monday to Friday, and on Saturdays we open at ten.";
    const HOURS = "On weekdays the reading rooms are open from nine in the morning until five in the " +
                  "evening, and the children's corner closes an hour earlier on Fridays.";
    const ANSWER = "Of course, which day would suit you better?";
    const { call, client } = await L.startCall({ rate, format, assistant: L.localAssistant({
        firstMessage: GREETING,
        firstMessageInterruptionsEnabled: true,
        // The hold/resume/confirm mechanics with a short interruptionPhrases list. Vapi's
        // default list has "but" and "not", and pocketsphinx sometimes hears "okay right" as
        // "but he": how often the defaults slip is the turn-taking corpus's measure.
        stopSpeakingPlan: { interruptionPhrases: ["wait", "stop"] },
        model: { provider: "local", rules: [{ match: ["appointment", "change"], reply: ANSWER }, { reply: HOURS }] },
    }) });
    t.after(() => client.close());
    client.startContinuous();
    // (flite spells "mm-hmm" out, "em em aitch em em": 1.6 s, not a backchannel. Its "uh-huh",
    // as a fresh server's first utterance, pocketsphinx hears as "i'm not": words, so an
    // interruption; the turn-taking corpus counts such slips, this test keeps to backchannels
    // the recognizer hears as themselves.)
    const backchannels = await Promise.all(["yeah", "okay", "right"].map((w) => L.synth(w, { rate, format })));
    const ask = await L.synth("tell me about the reading rooms", { rate, format });
    const bargeIn = await L.synth("wait, I need to change my appointment", { rate, format });

    // 1. Backchannels over the greeting: it is held and resumed, never cut.
    await client.waitFor((c) => c.audio.length > 0, 5000, "first audio");
    const greetingFrom = client.audio[0].t;
    for (const pcm of backchannels) {
        await L.sleep(1200);
        await client.streamPcm(pcm);
    }
    // The greeting is spoken sentence by sentence; it ends with its last one (or is cut).
    const botSaid = () => client.ofType("transcript").filter((m) => m.role === "assistant").map((m) => m.transcript);
    const heard = await client.waitFor((c) => (c.ofType("user-interrupted").length || botSaid().join(" ") === GREETING) &&
                                              c.messages.at(-1), 25000, "the greeting's end");
    const botUpdates = () => client.messages.filter((e) => e.msg.type === "speech-update" && e.msg.role === "assistant");
    const holds = botUpdates().filter((e) => e.t <= heard.t && e.msg.status === "stopped").length;
    const callerSaid = client.ofType("transcript").filter((m) => m.role === "user" && m.transcriptType === "final").map((m) => m.transcript);
    L.note(`backchannels: heard as ${JSON.stringify(callerSaid)}; ${holds} hold(s) during the greeting; ` +
           `user-interrupted ${client.ofType("user-interrupted").length}`);
    if (client.ofType("user-interrupted").length) L.note(JSON.stringify(client.messages.filter((e) => e.msg.type !== "model-output").map((e) => [Math.round(e.t), e.msg.type, e.msg.role, e.msg.status ?? e.msg.transcript])));
    assert.equal(client.ofType("user-interrupted").length, 0, "a backchannel interrupted the assistant");
    assert.equal(botSaid().join(" "), GREETING, "the greeting was played to its end");
    // Every hold was resumed: speech-update assistant stopped/started in pairs, one turn.
    const during = botUpdates().filter((e) => e.t <= heard.t).map((e) => e.msg.status);
    assert.equal(during[0], "started");
    for (let i = 1; i + 1 < during.length; i += 2) assert.deepEqual(during.slice(i, i + 2), ["stopped", "started"]);
    // Nothing of it was lost: about as much audio as the greeting takes to say.
    const greetingMs = ((await L.synth(GREETING, { rate, format })).length / 2 / rate) * 1000;
    const playedMs = (client.receivedBytes(greetingFrom, heard.t + 200).length / 2 / rate) * 1000;
    assert.ok(Math.abs(playedMs - greetingMs) < 1000, `played ${Math.round(playedMs)} ms of a ${Math.round(greetingMs)} ms greeting`);

    // 2. A question, a long answer, and a real barge-in during it.
    await client.waitFor((c) => c.lastAudioAt() < L.now() - 400, 15000, "the greeting's end");
    await client.streamPcm(ask);
    const answerStarted = await client.waitForMessage((m) => m.type === "model-output", 10000);
    await client.waitFor((c) => c.audio.some((a) => a.t > answerStarted.t), 10000, "the answer's audio");
    await L.sleep(1500);
    const onsetOffset = L.onsetMs(bargeIn, { rate, format });
    const sent = client.streamPcm(bargeIn);
    const startedAt = await client.waitFor(() => client.queue[0]?.startedAt, 2000, "barge-in sent");
    const onset = startedAt + onsetOffset;
    const interrupted = await client.waitForMessage({ type: "user-interrupted" }, 8000);
    await sent;
    const stopAt = L.audioStopAfter(client, onset, 200);
    assert.ok(stopAt, "the answer was still playing when the caller spoke");
    const latency = stopAt - onset;
    L.note(`real barge-in: audio silent ${Math.round(latency)} ms after speech onset; ` +
           `user-interrupted after ${Math.round(interrupted.t - onset)} ms`);
    assert.ok(latency <= 450, `the assistant went on ${Math.round(latency)} ms after the caller started`);
    const resumed = client.audio.find((a) => a.t > stopAt + 100);
    if (resumed) assert.ok(resumed.t > interrupted.t, "the interrupted answer did not play on");
    await client.waitForMessage((m) => m.type === "transcript" && m.role === "assistant" && m.transcript === ANSWER, 10000);

    client.endCall();
    await client.closedPromise;
    const rec = await L.waitForEnded(call.id);
    assert.equal(rec.artifact.performanceMetrics.numUserInterrupted, 1);
    const users = L.byRole(rec, "user").map((m) => m.message);
    assert.equal(users.length, 2, `the caller's turns: ${JSON.stringify(users)} (no backchannel among them)`);
    const bots = L.byRole(rec, "bot").map((m) => m.message);
    assert.equal(bots[0], GREETING);
    assert.ok(bots[1].length < HOURS.length && HOURS.startsWith(bots[1]), `the answer cut to "${bots[1]}"`);
    assert.equal(bots.at(-1), ANSWER);
});
