// Echo immunity (issue #14): on a phone line with echo, the assistant's own voice comes back
// on the caller's side. The test client plays what it receives and mixes it into what it
// sends, 60 ms later at -20 dB, for the whole call. With the default plans and the embedded
// engines the assistant must not interrupt itself and must be heard to the end; a caller who
// really talks over it (on top of the echo) still stops it.
import assert from "node:assert/strict";
import { test } from "node:test";
import * as L from "./lib.mjs";

const REPLY = "Our opening hours are nine to five from Monday to Friday. On Saturdays we open " +
              "at ten and close at two in the afternoon. You can renew your books online at any time.";

// Default plans: no startSpeakingPlan / stopSpeakingPlan; every caller turn gets REPLY.
const assistant = () => L.localAssistant({ model: { provider: "local", rules: [{ reply: REPLY }] } });

/**
 * The line's echo, as CallClient.outgoing: received audio is played out 20 ms per sent frame
 * (a playout queue, as a phone would) and comes back `delayMs` later at `gainDb`, added to
 * whatever the caller sends. s16le only.
 */
function echoLine(client, { delayMs = 60, gainDb = -20 } = {}) {
    const g = 10 ** (gainDb / 20);
    const n = client.frameBytes / 2;
    const line = new Int16Array(Math.round((client.rate * delayMs) / 1000) + n);  // the delay
    let chunk = 0, offset = 0;  // playout position in client.audio
    const stats = { echoedFrames: 0 };
    client.outgoing = (frame) => {
        // Play the next 20 ms of what was received (silence if nothing is waiting).
        const played = new Int16Array(n);
        for (let i = 0; i < n && chunk < client.audio.length; ) {
            const b = client.audio[chunk].bytes;
            const take = Math.min(n - i, (b.length - offset) / 2);
            for (let j = 0; j < take; j++) played[i + j] = b.readInt16LE(offset + 2 * j);
            i += take;
            offset += 2 * take;
            if (offset >= b.length) chunk++, offset = 0;
        }
        line.copyWithin(0, n);
        line.set(played, line.length - n);
        const sent = Buffer.alloc(2 * n);  // the last frame of a sound may be short: pad it
        frame.copy(sent);
        const out = Buffer.alloc(2 * n);
        let any = false;
        for (let i = 0; i < n; i++) {
            const e = Math.round(line[i] * g);
            any ||= e !== 0;
            out.writeInt16LE(Math.max(-32768, Math.min(32767, sent.readInt16LE(2 * i) + e)), 2 * i);
        }
        if (any) stats.echoedFrames++;
        return out;
    };
    return stats;
}

/** Starts an echoing call and asks the question whose answer is REPLY; resolves at its first audio. */
async function askOverEcho(t) {
    const rate = 16000, format = "pcm_s16le";
    const question = await L.synth("Hello, what are your opening hours", { rate, format });
    const { call, client } = await L.startCall({ rate, format, assistant: assistant() });
    t.after(() => client.close());
    const echo = echoLine(client);
    client.startContinuous();
    await L.sleep(300);
    const { endedAt } = await client.streamPcm(question);
    const started = await client.waitForMessage((m) => m.type === "speech-update" && m.role === "assistant" &&
                                                       m.status === "started", 10000);
    return { call, client, echo, askedAt: endedAt, replyAt: started.t };
}

const replyTranscripts = (client) =>
    client.ofType("transcript").filter((m) => m.role === "assistant" && m.transcriptType === "final").map((m) => m.transcript);

test("echo: the assistant's own voice at -20 dB, 60 ms late, does not interrupt it", async (t) => {
    const { call, client, echo, replyAt } = await askOverEcho(t);
    // The whole reply plays (~10 s), then the line is quiet.
    await client.waitForMessage((m) => m.type === "speech-update" && m.role === "assistant" && m.status === "stopped", 25000);
    await L.sleep(1500);
    const interrupted = client.messages.filter((e) => e.msg.type === "user-interrupted");
    const heardMs = client.receivedMs(replyAt - 50);
    L.note(`echo: ${echo.echoedFrames} frames carried echo; ${interrupted.length} user-interrupted; ` +
           `heard ${Math.round(heardMs)} ms of the reply; assistant said ${JSON.stringify(replyTranscripts(client))}`);
    assert.equal(interrupted.length, 0, "the assistant interrupted itself on its own echo");
    assert.ok(echo.echoedFrames > 200, "the echo line carried the assistant's audio back");
    assert.equal(replyTranscripts(client).join(" "), REPLY, "the whole reply was spoken");
    assert.ok(heardMs > 8000, `only ${Math.round(heardMs)} ms of the reply arrived`);
    client.endCall();
    await client.closedPromise;
    const rec = await L.waitForEnded(call.id);
    assert.equal(rec.artifact.performanceMetrics.numUserInterrupted, 0);
    // The echo never became a caller turn: one question, one answer.
    assert.equal(L.byRole(rec, "user").length, 1, JSON.stringify(L.byRole(rec, "user").map((m) => m.message)));
    assert.deepEqual(L.byRole(rec, "bot").map((m) => m.message), [REPLY]);
});

test("echo: a caller talking over the assistant (and its echo) still interrupts it", async (t) => {
    const rate = 16000, format = "pcm_s16le";
    const bargeIn = await L.synth("Excuse me, I have a question about my card", { rate, format });
    const onsetOffset = L.onsetMs(bargeIn, { rate, format });
    const { call, client, replyAt } = await askOverEcho(t);
    await L.sleep(2500);
    const sent = client.streamPcm(bargeIn);
    const startedAt = await client.waitFor((c) => c.queue[0]?.bytes === bargeIn && c.queue[0].startedAt, 2000, "barge-in start")
        .then(() => client.queue[0].startedAt);
    const onset = startedAt + onsetOffset;
    const interrupted = await client.waitForMessage({ type: "user-interrupted" }, 5000);
    await sent;
    const early = client.messages.filter((e) => e.msg.type === "user-interrupted" && e.t < onset);
    // The assistant falls silent when the caller's voice is heard (the hold: a speech-update
    // "stopped" for the assistant); user-interrupted follows once the words confirm it
    // (stages.h TurnStage: words in partials count after ~1 s of voice, or the final).
    const held = client.messages.find((e) => e.t >= onset && e.msg.type === "speech-update" &&
                                             e.msg.role === "assistant" && e.msg.status === "stopped");
    const latency = interrupted.t - onset;
    const heldMs = held ? held.t - onset : null;
    L.note(`echo + barge-in: assistant held ${Math.round(heldMs)} ms and user-interrupted ${Math.round(latency)} ms ` +
           `after the caller's onset (${Math.round(onset - replyAt)} ms into the reply)`);
    assert.equal(early.length, 0, "interrupted by its own echo before the caller spoke");
    assert.ok(heldMs !== null && heldMs < 600, `the assistant was held ${heldMs} ms after onset`);
    assert.ok(latency > 0 && latency < 2500, `user-interrupted ${Math.round(latency)} ms after onset`);
    client.endCall();
    await client.closedPromise;
    const rec = await L.waitForEnded(call.id);
    assert.equal(rec.artifact.performanceMetrics.numUserInterrupted, 1);
});
