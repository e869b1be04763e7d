// #16: recordings are streamed to disk while the call runs, so a call's memory does not
// grow with its length, and a process killed with -9 leaves recordings that play as they
// are (their WAV headers count what was written), which the next start finishes and links
// from the call record.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join as joinPath } from "node:path";
import { test } from "node:test";
import { createCall, getCall, join, sleep, voxa } from "./lib.mjs";
import { rms } from "../pcm.mjs";

const DIED = "call.in-progress.error-vapifault-worker-died";

// Deterministic engines (bench providers): the assistant talks (a 220 Hz tone) every few
// seconds, the caller streams a tone of its own.
function assistant() {
    return {
        transcriber: { provider: "bench", text: "Hello.", delayMs: 50 },
        model: { provider: "bench", reply: "Sure, I can help with that today." },
        voice: { provider: "bench", msPerWord: 300 },
        firstMessage: "Hello there, this call is recorded, please hold on.",
        maxDurationSeconds: 300,
        silenceTimeoutSeconds: 300,
    };
}

// One 20 ms frame of the caller's tone: 400 Hz, a whole number of cycles per frame, so the
// customer channel of the recording must repeat exactly these 320 samples.
const FRAME = Buffer.alloc(640);
for (let i = 0; i < 320; i++) FRAME.writeInt16LE(Math.round(3000 * Math.sin((2 * Math.PI * 400 * i) / 16000)), 2 * i);

async function liveCalls(v, n) {
    const org = await v.api("PATCH", `/org/${v.orgId}`, { concurrencyLimit: 20 });
    assert.equal(org.status, 200, org.text);
    const calls = [];
    for (let i = 0; i < n; i++) calls.push(await createCall(v, assistant()));
    const peers = await Promise.all(calls.map((c) => join(c)));
    const timer = setInterval(() => {
        for (const p of peers) if (p.ws.readyState === WebSocket.OPEN) p.ws.send(FRAME);
    }, 20);
    await Promise.all(peers.map((p) => p.waitFor((m) => m.type === "status-update" && m.status === "in-progress", 15000, "in-progress")));
    return { calls, peers, stop: () => { clearInterval(timer); for (const p of peers) p.close(); } };
}

// A WAV as a player reads it: the header's sizes must be within the file (a header that
// says "empty" while the file holds audio counts as empty). {channels, frames, pcm, exact}.
function readWav(buf) {
    assert.ok(buf.length >= 44, "a WAV header");
    assert.equal(buf.toString("latin1", 0, 4), "RIFF");
    assert.equal(buf.toString("latin1", 8, 16), "WAVEfmt ");
    assert.equal(buf.toString("latin1", 36, 40), "data");
    const channels = buf.readUInt16LE(22);
    const size = buf.readUInt32LE(40);
    assert.ok(44 + size <= buf.length, `data size ${size} within the file (${buf.length} bytes)`);
    assert.equal(buf.readUInt32LE(4), 36 + size, "RIFF size = data size + 36");
    const pcm = buf.subarray(44, 44 + size);
    return { channels, frames: size / (2 * channels), pcm, exact: 44 + size === buf.length };
}

function channel(pcm, ch) {
    const n = Math.floor(pcm.length / 4);
    const out = Buffer.alloc(n * 2);
    for (let i = 0; i < n; i++) out.writeInt16LE(pcm.readInt16LE(i * 4 + ch * 2), i * 2);
    return out;
}

// The customer channel holds the caller's frames sample for sample: runs of FRAME's samples
// in order (a new run, at another phase, only where the call clock re-anchored the caller
// after a pause: silence between). Returns the samples matched.
function checkCustomerTone(left, what) {
    const n = left.length / 2, at = (i) => left.readInt16LE(2 * i), f = (k) => FRAME.readInt16LE(2 * (k % 320));
    let i = 0, matched = 0, bad = 0;
    while (i + 1 < n) {
        if (at(i) === 0 && at(i + 1) === 0) { i++; continue; }
        let phase = -1;
        for (let k = 0; k < 320 && phase < 0; k++) if (f(k) === at(i) && f(k + 1) === at(i + 1)) phase = k;
        if (phase < 0) { bad++; i++; continue; }
        while (i < n && at(i) === f(phase)) { i++; phase++; matched++; }
    }
    assert.ok(matched > 16000, `${what}: more than a second of the caller (${matched} samples)`);
    assert.ok(bad < matched / 100, `${what}: ${bad} customer samples that are not the caller's (${matched} are)`);
    return matched;
}

function rssKb(pid) {
    const m = readFileSync(`/proc/${pid}/status`, "utf8").match(/VmRSS:\s+(\d+)/);
    return Number(m[1]);
}

test("kill -9 mid-call: the recordings on disk play as they are, and after the restart the record links them", async (t) => {
    const v = await voxa(t);
    const { calls, stop } = await liveCalls(v, 1);
    t.after(stop);
    const id = calls[0].id;
    const dir = joinPath(v.dataDir, "recordings", v.orgId);
    const stereoPath = joinPath(dir, `${id}-stereo.wav`), monoPath = joinPath(dir, `${id}-mono.wav`);
    await sleep(6000);
    // While the call runs: both files are valid WAVs holding all but the last second or two.
    const liveStereo = readWav(readFileSync(stereoPath));
    assert.equal(liveStereo.channels, 2);
    assert.ok(liveStereo.frames >= 3.5 * 16000, `stereo on disk 6 s into the call: ${liveStereo.frames / 16000} s`);
    assert.ok(existsSync(monoPath), "the mono recording is streamed too");
    const liveMono = readWav(readFileSync(monoPath));
    assert.equal(liveMono.channels, 1);
    assert.ok(liveMono.frames >= 3.5 * 16000, `mono on disk: ${liveMono.frames / 16000} s`);

    v.proc.kill("SIGKILL");
    await v.exit;
    stop();
    // As the kill left them, before any repair: still valid, the audio up to the last batch.
    const cut = readWav(readFileSync(stereoPath));
    assert.ok(cut.frames >= liveStereo.frames, "nothing lost from what was on disk");
    assert.ok(cut.frames >= 4 * 16000, `${cut.frames / 16000} s of a 6 s call on disk after the kill`);
    checkCustomerTone(channel(cut.pcm, 0), "stereo after the kill");
    assert.ok(rms(channel(cut.pcm, 1)) > 300, "the assistant's voice is on the right");

    await v.restart();
    const r = await getCall(v, id);
    assert.equal(r.status, "ended");
    assert.equal(r.endedReason, DIED);
    assert.match(r.artifact?.stereoRecordingUrl ?? "", new RegExp(`/call/${id}/stereo-recording$`));
    assert.match(r.artifact?.recordingUrl ?? "", new RegExp(`/call/${id}/mono-recording$`));
    const get = async (path) => {
        const res = await fetch(v.base + path, { headers: { Authorization: `Bearer ${v.key}` } });
        assert.equal(res.status, 200, path);
        return Buffer.from(await res.arrayBuffer());
    };
    const stereo = readWav(await get(`/call/${id}/stereo-recording`));
    const mono = readWav(await get(`/call/${id}/mono-recording`));
    assert.ok(stereo.exact && mono.exact, "the repaired headers count every byte");
    assert.ok(stereo.frames >= cut.frames, `the repair kept what was on disk (${stereo.frames} >= ${cut.frames})`);
    assert.equal(mono.frames, stereo.frames);
    checkCustomerTone(channel(stereo.pcm, 0), "stereo after the repair");
    for (let i = 0; i < mono.frames; i += 7) {
        const sum = Math.max(-32768, Math.min(32767, stereo.pcm.readInt16LE(4 * i) + stereo.pcm.readInt16LE(4 * i + 2)));
        assert.equal(mono.pcm.readInt16LE(2 * i), sum, `mono = left + right at frame ${i}`);
    }
    const duration = (Date.parse(r.endedAt) - Date.parse(r.startedAt)) / 1000;
    assert.ok(Math.abs(duration - stereo.frames / 16000) < 0.1, `endedAt = startedAt + what was recorded`);
});

test("a call's memory does not grow with its length: RSS flat over 40 s of 4 recorded calls", async (t) => {
    const v = await voxa(t, { args: ["--log-level", "warn"] });
    const { calls, stop } = await liveCalls(v, 4);
    t.after(stop);
    await sleep(5000);  // warmed up: pools, first turns
    const before = rssKb(v.proc.pid);
    const samples = [];
    for (let s = 0; s < 8; s++) {
        await sleep(5000);
        samples.push(rssKb(v.proc.pid));
    }
    const grew = samples[samples.length - 1] - before;
    t.diagnostic(`RSS ${before} kB after 5 s, then ${samples.join(", ")} kB every 5 s (4 calls): +${grew} kB in 40 s`);
    // Kept in memory, 4 calls x 40 s of recording would be 5-10 MB (32-64 KB/s each). Under
    // ASan freed memory sits in its quarantine (256 MB): RSS says nothing there.
    const asan = readFileSync(`/proc/${v.proc.pid}/maps`, "utf8").includes("libasan");
    if (asan) t.diagnostic("ASan build: the RSS bound is not checked");
    else assert.ok(grew < 2048, `RSS grew by ${grew} kB over 40 s of 4 calls`);
    // And the recordings are whole: 45 s or more each, in the record once ended.
    stop();
    for (const c of calls) {
        let r;
        for (let i = 0; i < 100; i++) {
            r = await getCall(v, c.id);
            if (r.status === "ended") break;
            await sleep(100);
        }
        assert.equal(r.status, "ended");
        const res = await fetch(`${v.base}/call/${c.id}/stereo-recording`, { headers: { Authorization: `Bearer ${v.key}` } });
        const w = readWav(Buffer.from(await res.arrayBuffer()));
        assert.ok(w.exact, "final header");
        assert.ok(w.frames >= 44 * 16000, `${w.frames / 16000} s recorded`);
        checkCustomerTone(channel(w.pcm, 0), `call ${c.id}`);
    }
});
