// Finding 4 of issue #11: one caller's text must not stall everyone's speech or shutdown.
// A `say` / firstMessage / model reply of one very long word used to hold a process-wide
// flite lock: a 4,000-letter word delayed another org's greeting by 11.6 s, a 200 KB word
// kept a core busy for minutes and SIGTERM could not stop the server. The local voice now
// bounds the work per utterance (src/providers/local/tts_text.h), synthesizes calls in
// parallel, and drops queued synthesis when the server stops.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { performance } from "node:perf_hooks";
import { test } from "node:test";
import { promisify } from "node:util";
import { BIN, sleep, voxa } from "./lib.mjs";

const run = promisify(execFile);

/** A deterministic "word" of n letters (no blanks): what a hostile or broken text looks like. */
function longWord(n) {
    let x = 12345;
    let w = "";
    for (let i = 0; i < n; i++) {
        x = (x * 1103515245 + 12345) % 2147483648;
        w += String.fromCharCode(97 + (x >> 16) % 26);
    }
    return w;
}

/** `promise`'s value, or null after `ms` (without keeping the process alive afterwards). */
async function within(promise, ms) {
    let timer;
    const timeout = new Promise((resolve) => { timer = setTimeout(() => resolve(null), ms); });
    try {
        return await Promise.race([promise, timeout]);
    } finally {
        clearTimeout(timer);
    }
}

/** A second org on the same data dir: {key}. */
async function secondOrg(v) {
    const { stdout } = await run(BIN, ["admin", "create-org", "--data-dir", v.dataDir, "--name", "other"]);
    const o = JSON.parse(stdout.split("\n").find((l) => l.startsWith("{")));
    return { key: o.privateKey };
}

/** POST /call (websocket transport, local voice saying `firstMessage`) and join it. */
async function joinCall(v, key, firstMessage) {
    const r = await v.api("POST", "/call", {
        assistant: {
            // Not the local transcriber: its decoders load on the same compute pool at a
            // call's start (~1 s on a busy machine), which is not what this test measures.
            transcriber: { provider: "bench", text: "" },
            voice: { provider: "local", voiceId: "slt" },
            model: { provider: "local", rules: [] },
            firstMessage,
        },
        transport: { provider: "vapi.websocket",
                     audioFormat: { format: "pcm_s16le", container: "raw", sampleRate: 16000 } },
    }, { token: key });
    assert.equal(r.status, 201, r.text);
    const ws = new WebSocket(r.json.transport.websocketCallUrl);
    ws.binaryType = "arraybuffer";
    const c = { ws, call: r.json, firstAudioAt: null, audioBytes: 0 };
    c.firstAudio = new Promise((resolve) => {
        ws.addEventListener("message", (ev) => {
            if (typeof ev.data === "string") return;
            c.audioBytes += ev.data.byteLength;
            if (c.firstAudioAt === null) {
                c.firstAudioAt = performance.now();
                resolve(c.firstAudioAt);
            }
        });
    });
    await new Promise((resolve, reject) => {
        ws.addEventListener("open", resolve, { once: true });
        ws.addEventListener("error", () => reject(new Error("websocket refused")), { once: true });
    });
    c.joinedAt = performance.now();
    return c;
}

async function healthMs(v) {
    const t0 = performance.now();
    const r = await fetch(v.base + "/health");
    assert.equal(r.status, 200);
    return performance.now() - t0;
}

test("a 4,000-letter word on one call does not delay another org's greeting", async (t) => {
    const v = await voxa(t);
    const other = await secondOrg(v);
    const a = await joinCall(v, v.key, longWord(4000));
    t.after(() => a.ws.close());
    await sleep(300);  // A's synthesis is under way
    const b = await joinCall(v, other.key, "Hello there, how can I help?");
    t.after(() => b.ws.close());
    const at = await within(b.firstAudio, 60000);
    const ms = at === null ? Infinity : at - b.joinedAt;
    console.log(`[measure] org B's greeting: first audio ${Math.round(ms)} ms after joining, ` +
                `while org A's call speaks a 4,000-letter word`);
    assert.ok(ms < 1500, `B's greeting started ${Math.round(ms)} ms after join (limit 1500 ms)`);
    // A speaks too (its word in bounded pieces), and starts without the whole word's delay.
    const aAt = await within(a.firstAudio, 10000);
    assert.ok(aAt !== null, "A's long word produced audio");
    console.log(`[measure] org A's 4,000-letter word: first audio ${Math.round(aAt - a.joinedAt)} ms after joining`);
});

test("a 200 KB word: the server stays responsive and SIGTERM exits in time", async (t) => {
    const v = await voxa(t);
    const a = await joinCall(v, v.key, longWord(200 * 1024));
    t.after(() => a.ws.close());
    await sleep(1500);  // synthesis in flight
    const health = [];
    for (let i = 0; i < 5; i++) health.push(await healthMs(v));
    console.log(`[measure] /health during the 200 KB word: ${health.map(Math.round).join(", ")} ms`);
    assert.ok(Math.max(...health) < 1000, `/health took ${Math.round(Math.max(...health))} ms`);

    const t0 = performance.now();
    const r = await v.stop();
    const ms = performance.now() - t0;
    console.log(`[measure] SIGTERM with a 200 KB word being synthesized: exit after ${Math.round(ms)} ms, ` +
                `status ${r.code ?? r.signal}`);
    assert.equal(r.signal, null, `voxa was killed (${r.signal}) after ${Math.round(ms)} ms`);
    assert.equal(r.code, 0);
    assert.ok(ms < 10000, `voxa took ${Math.round(ms)} ms to exit on SIGTERM`);
    // The text was cut to the per-message limit, and the log says so.
    assert.match(v.output(), /local voice: text of 204800 bytes cut to its first \d+/);
});
