// The websocket transport around barge-ins and talk-over (the Twilio stream's tests are in
// twilio.test.mjs): after the assistant is cut off, nothing of the interrupted utterance
// opens the next reply (the resampler of an 8 kHz or 24 kHz client used to keep ~5 ms of
// it: a click); a caller talking during the greeting gets the greeting, their line and the
// reply in time order, one bot message each.
import assert from "node:assert/strict";
import { test } from "node:test";
import * as L from "./lib.mjs";
import { LONG_GREETING, talkativeAssistant, bargeInLoop, assertQuietStarts, assertInOrder } from "./cutoff.mjs";

// An ordered log of what the client received: audio frames and the cuts (user-interrupted).
function transportLog(client) {
    const log = [];
    client.ws.addEventListener("message", (ev) => {
        if (typeof ev.data === "string") {
            try {
                if (JSON.parse(ev.data).type === "user-interrupted") log.push({ kind: "cut" });
            } catch { /* not JSON: not ours to judge here */ }
            return;
        }
        const bytes = Buffer.from(ev.data);
        log.push({ kind: "audio", pcm: client.format === "mulaw" ? L.decodeMulaw(bytes) : bytes });
    });
    return log;
}

// (PCM at 16 kHz, the pipeline's own rate, has no resampler: its replies started quiet before
// the fix too, 10-14 RMS.)
test("websocket barge-ins: every reply after a cut starts quiet (mu-law 8 kHz, PCM 24 kHz)", async (t) => {
    const formats = [{ format: "mulaw", rate: 8000, times: 6 }, { format: "pcm_s16le", rate: 24000, times: 5 }];
    const firsts = await Promise.all(formats.map(async ({ format, rate, times }) => {
        // Long enough (~2 s) that talking on takes the floor (TurnStage::kConfirmVoicedMs)
        // whatever an 8 kHz recognizer makes of the words: this test is about what the caller
        // hears after the cut, turn-taking.test.mjs about deciding it.
        const speech = await L.synth("wait a moment please, I have another question", { rate, format });
        const { call, client } = await L.startCall({ rate, format, assistant: talkativeAssistant() });
        t.after(() => client.close());
        const log = transportLog(client);
        client.startContinuous();
        const got = await bargeInLoop(log, () => client.streamPcm(speech), times, `${format}/${rate}`);
        client.endCall();
        const rec = await L.waitForEnded(call.id, 15000);
        assert.ok(rec.artifact.performanceMetrics.numUserInterrupted >= times);
        L.note(`websocket ${format}/${rate}: ${got.join(" ")}`);
        return got;
    }));
    assertQuietStarts(firsts.flat(), "websocket");
    assert.ok(firsts.flat().length >= 10);
});

test("websocket: the caller talking during the greeting gets greeting, line and reply in time order", async (t) => {
    const REPLY = "We open at nine.";
    const rate = 16000, format = "pcm_s16le";
    const { call, client } = await L.startCall({ rate, format, assistant: L.localAssistant({
        firstMessage: LONG_GREETING,  // not interruptible: the default for a first message
        model: { provider: "local", rules: [{ reply: REPLY }] } }) });
    t.after(() => client.close());
    client.startContinuous();
    await client.waitFor((c) => c.audio.length > 0, 5000, "the greeting");
    await L.sleep(2000);
    await client.streamPcm(await L.synth("what are your opening hours", { rate, format }));
    await client.waitForMessage((m) => m.type === "transcript" && m.role === "assistant" && m.transcript === REPLY, 20000);
    client.endCall();
    const rec = await L.waitForEnded(call.id, 15000);
    assertInOrder(rec, LONG_GREETING, REPLY);
    // messagesOpenAIFormatted agrees: greeting, the caller, the reply.
    const oa = rec.artifact.messagesOpenAIFormatted.filter((m) => m.role !== "system").map((m) => m.role);
    assert.deepEqual(oa, ["assistant", "user", "assistant"]);
});
