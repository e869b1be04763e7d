// Finding 3 (#20): a client that sends audio faster than real time must not run the call
// ahead of the clock. Beyond real time plus a 2 s burst the excess is dropped (counted in
// /metrics) before the recorder, the voice detector and the recognizer see it; a sender that
// keeps it up (more than 5 s dropped) is ended with endedReason
// phone-call-provider-closed-websocket and an endedMessage saying why. A caller at real
// time in the same server is unaffected.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { test } from "node:test";
import { createCall, getCall, join, localAssistant, sleep, voxa, waitUntil } from "./lib.mjs";

const RATE = 16000;
const FRAME_BYTES = 640;  // 20 ms of 16 kHz s16le

/** 20 ms of a 440 Hz tone at a level the voice detector treats as speech. */
function toneFrame(n0) {
    const b = Buffer.alloc(FRAME_BYTES);
    for (let i = 0; i < FRAME_BYTES / 2; i++)
        b.writeInt16LE(Math.round(6000 * Math.sin((2 * Math.PI * 440 * (n0 + i)) / RATE)), i * 2);
    return b;
}

async function rssKiB(pid) {
    const status = await readFile(`/proc/${pid}/status`, "utf8");
    return Number(/VmRSS:\s+(\d+)/.exec(status)[1]);
}

/** Seconds of audio in a 16-bit WAV (its data chunk's size). */
function wavSeconds(bytes) {
    const channels = bytes.readUInt16LE(22), rate = bytes.readUInt32LE(24);
    let at = 12;
    while (at + 8 <= bytes.length) {
        const id = bytes.toString("latin1", at, at + 4), size = bytes.readUInt32LE(at + 4);
        if (id === "data") return size / (channels * 2 * rate);
        at += 8 + size;
    }
    throw new Error("no data chunk");
}

/** Sends `speed` x real time on `peer` (frames every 20 ms) until it closes or `ms` pass. */
async function stream(peer, speed, ms) {
    const started = Date.now();
    let n = 0;
    while (Date.now() - started < ms && peer.closed === null) {
        for (let i = 0; i < speed; i++) peer.ws.send(toneFrame(n++ * (FRAME_BYTES / 2)));
        await sleep(20);
    }
    return { frames: n, seconds: (Date.now() - started) / 1000 };
}

test("a caller sending 10x real time is cut to real time, then ended with a clear reason; a real-time caller is not", async (t) => {
    // No ASan quarantine for this server: freed memory would wait there (up to 256 MB) and
    // RSS would grow with any churn (74 MiB once), whatever the flood does.
    const asanOptions = [process.env.ASAN_OPTIONS, "quarantine_size_mb=0"].filter(Boolean).join(":");
    const v = await voxa(t, { env: { ASAN_OPTIONS: asanOptions } });
    const assistant = localAssistant({ maxDurationSeconds: 120, silenceTimeoutSeconds: 60 });
    const fast = await createCall(v, assistant);
    const steady = await createCall(v, assistant);
    const fastPeer = await join(fast);
    const steadyPeer = await join(steady);
    t.after(() => { fastPeer.close(); steadyPeer.close(); });
    for (const p of [fastPeer, steadyPeer])
        await p.waitFor((m) => m.type === "status-update" && m.status === "in-progress", 8000, "in-progress");
    // Both speak at real time first, so each has its recognizer (~90 MB of model) loaded.
    await Promise.all([stream(fastPeer, 1, 3000), stream(steadyPeer, 1, 3000)]);
    const rssBefore = await rssKiB(v.proc.pid);

    // Then both stream for up to 20 s: one at 10x real time, one at real time.
    const [sent, steadySent] = await Promise.all([stream(fastPeer, 10, 20000), stream(steadyPeer, 1, 8000)]);
    const rssAfter = await rssKiB(v.proc.pid);
    t.diagnostic(`fast sender: ${sent.frames} frames (${(sent.frames * 0.02).toFixed(1)} s of audio) in ${sent.seconds.toFixed(1)} s; ` +
                 `RSS ${Math.round(rssBefore / 1024)} -> ${Math.round(rssAfter / 1024)} MiB`);

    // The fast call was ended by the server, soon, with a reason from Vapi's enum.
    assert.notEqual(fastPeer.closed, null, "the server closed the fast sender's socket");
    assert.ok(sent.seconds < 6, `ended within seconds of the flood (after ${sent.seconds.toFixed(1)} s)`);
    const rec = await waitUntil(async () => {
        const r = await getCall(v, fast.id);
        return r.status === "ended" && r.artifact?.stereoRecordingUrl ? r : null;
    }, 15000, "the fast call's record to end");
    assert.equal(rec.endedReason, "phone-call-provider-closed-websocket");
    assert.match(rec.endedMessage ?? "", /faster than real time/);
    // What was kept is what real time allows: never more than the call lasted plus the burst.
    const wav = await v.api("GET", new URL(rec.artifact.stereoRecordingUrl).pathname);
    assert.equal(wav.status, 200);
    const callSeconds = (Date.parse(rec.endedAt) - Date.parse(rec.startedAt)) / 1000;
    const kept = wavSeconds(wav.bytes);
    t.diagnostic(`fast call lasted ${callSeconds.toFixed(1)} s; its recording holds ${kept.toFixed(1)} s`);
    assert.ok(kept <= callSeconds + 2.5 && kept >= 2.5, `recording ${kept.toFixed(1)} s <= call ${callSeconds.toFixed(1)} s + 2 s burst`);
    assert.ok(rssAfter - rssBefore < 32 * 1024, `RSS grew ${Math.round((rssAfter - rssBefore) / 1024)} MiB`);

    // The dropped audio is counted.
    const metrics = await v.api("GET", "/metrics");
    const dropped = Number(/^voxa_call_audio_dropped_seconds_total\s+([\d.e+]+)/m.exec(metrics.text)?.[1] ?? 0);
    assert.ok(dropped > 5, `voxa_call_audio_dropped_seconds_total ${dropped}`);
    assert.match(metrics.text, /^voxa_calls_ended_audio_too_fast_total 1$/m);

    // The real-time caller was never cut.
    assert.equal(steadyPeer.closed, null, `the real-time caller is still connected (sent ${steadySent.frames} frames)`);
    assert.equal((await getCall(v, steady.id)).status, "in-progress");
});
