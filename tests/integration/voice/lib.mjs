// Shared helpers for the voice integration suite (tests/integration/voice). Not a test file.
//
// The suite calls a RUNNING Voxa over its Vapi-compatible websocket transport, as a caller
// would: it synthesizes caller speech with flite at test time, streams it in real time in
// 20 ms frames, and transcribes what the assistant says with pocketsphinx.
//
// Environment (run-voice.sh sets these): VOXA_BASE_URL, VOXA_KEY (a private key).
// Tools: flite, sox, pocketsphinx_continuous (+ pocketsphinx-en-us), see scripts/deps.sh test.
import { execFile, spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createWriteStream } from "node:fs";
import { tmpdir } from "node:os";
import { createServer } from "node:net";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { promisify } from "node:util";

import { rms } from "../pcm.mjs";
import { collect } from "./schema-log.mjs";

const run = promisify(execFile);

function required(name) {
    const v = process.env[name];
    if (!v) throw new Error(`environment variable ${name} is required (see tests/integration/run-voice.sh)`);
    return v;
}

export const BASE_URL = required("VOXA_BASE_URL").replace(/\/+$/, "");
export const KEY = required("VOXA_KEY");

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export const now = () => performance.now();

// ---- REST -------------------------------------------------------------------------------

/** Raw HTTP: returns {status, headers, json, text, bytes}. */
export async function api(method, path, body, { token = KEY, headers = {} } = {}) {
    const h = { ...headers };
    if (token) h.Authorization = `Bearer ${token}`;
    let payload;
    if (body !== undefined) {
        payload = typeof body === "string" ? body : JSON.stringify(body);
        h["Content-Type"] = "application/json";
    }
    const res = await fetch(BASE_URL + path, { method, headers: h, body: payload });
    const bytes = Buffer.from(await res.arrayBuffer());
    const text = bytes.toString("utf8");
    let json;
    try {
        json = JSON.parse(text);
    } catch {
        json = undefined;
    }
    // Call records, for the check against Vapi's Call schema after the suite (schema-check.mjs).
    const callPath = /^\/call(\/[0-9a-f-]{36})?(\?.*)?$/i.test(path);
    if (callPath && json && ((method === "GET" && res.status === 200) || (method === "POST" && res.status === 201)))
        for (const record of Array.isArray(json) ? json : [json]) collect("call", record, `${method} ${path}`);
    return { status: res.status, headers: res.headers, json, text, bytes };
}

/** The local (offline) providers; pass a model to use something else. */
export function localAssistant(extra = {}) {
    return {
        transcriber: { provider: "local" },
        voice: { provider: "local", voiceId: "slt" },
        model: { provider: "local", rules: [] },
        ...extra,
    };
}

/** POST /call with the websocket transport; returns the call record (throws on non-201). */
export async function createCall({ assistant, assistantOverrides, format = "pcm_s16le", rate = 16000, ...rest }) {
    const body = {
        assistant,
        transport: { provider: "vapi.websocket",
                     audioFormat: { format, container: "raw", sampleRate: rate } },
        ...rest,
    };
    if (assistantOverrides) body.assistantOverrides = assistantOverrides;
    const r = await api("POST", "/call", body);
    if (r.status !== 201) throw new Error(`POST /call -> ${r.status}: ${r.text}`);
    return r.json;
}

export async function getCall(id) {
    const r = await api("GET", `/call/${id}`);
    if (r.status !== 200) throw new Error(`GET /call/${id} -> ${r.status}: ${r.text}`);
    return r.json;
}

/** Polls GET /call/{id} until status "ended"; returns the record. */
export async function waitForEnded(id, timeoutMs = 10000) {
    const deadline = Date.now() + timeoutMs;
    let last;
    while (Date.now() < deadline) {
        last = await getCall(id);
        if (last.status === "ended") return last;
        await sleep(100);
    }
    throw new Error(`call ${id} not ended after ${timeoutMs} ms (status ${last?.status})`);
}

/**
 * GET /logs?<query> once it lists at least `n` logs (they are written in batches just after
 * each attempt, so a test that saw the request may be a moment ahead of them).
 */
export async function waitForLogs(query, n, timeoutMs = 5000) {
    const deadline = Date.now() + timeoutMs;
    let r;
    do {
        r = await api("GET", `/logs?${query}`);
        if (r.status !== 200) throw new Error(`GET /logs?${query} -> ${r.status}: ${r.text}`);
        if (r.json.results.length >= n) return r;
        await sleep(50);
    } while (Date.now() < deadline);
    return r;
}

/** POST /<callId>/control (no auth, as Vapi's monitor.controlUrl). */
export async function control(call, message) {
    const res = await fetch(call.monitor.controlUrl, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(message),
    });
    const text = await res.text();
    let json;
    try {
        json = JSON.parse(text);
    } catch {}
    return { status: res.status, json, text };
}

// ---- audio formats ----------------------------------------------------------------------

/** G.711 μ-law byte -> linear 16-bit sample. */
export function mulawToLinear(b) {
    const u = ~b & 0xff;
    const exponent = (u >> 4) & 0x07;
    const mantissa = u & 0x0f;
    let s = ((mantissa << 3) + 0x84) << exponent;
    s -= 0x84;
    return u & 0x80 ? -s : s;
}

/** μ-law bytes -> s16le PCM buffer. */
export function decodeMulaw(buf) {
    const out = Buffer.alloc(buf.length * 2);
    for (let i = 0; i < buf.length; i++) out.writeInt16LE(mulawToLinear(buf[i]), i * 2);
    return out;
}

/** Bytes in one 20 ms frame of the call's format. */
export function frameBytes({ rate, format }) {
    return (rate / 50) * (format === "mulaw" ? 1 : 2);
}

/** One byte value that decodes to (near) silence in the format. */
function silenceByte(format) {
    return format === "mulaw" ? 0xff : 0;
}

export { rms };

/** Minimal RIFF/WAVE header parse: {channels, sampleRate, bitsPerSample, format, dataBytes}. */
export function parseWav(buf) {
    if (buf.length < 12 || buf.toString("ascii", 0, 4) !== "RIFF" || buf.toString("ascii", 8, 12) !== "WAVE")
        throw new Error("not a RIFF/WAVE file");
    let off = 12;
    let fmt;
    while (off + 8 <= buf.length) {
        const id = buf.toString("ascii", off, off + 4);
        const size = buf.readUInt32LE(off + 4);
        if (id === "fmt ") {
            fmt = {
                format: buf.readUInt16LE(off + 8),
                channels: buf.readUInt16LE(off + 10),
                sampleRate: buf.readUInt32LE(off + 12),
                bitsPerSample: buf.readUInt16LE(off + 22),
            };
        } else if (id === "data") {
            if (!fmt) throw new Error("data chunk before fmt chunk");
            return { ...fmt, dataOffset: off + 8, dataBytes: Math.min(size, buf.length - off - 8) };
        }
        off += 8 + size + (size & 1);
    }
    throw new Error("no data chunk");
}

// ---- speech synthesis and recognition ---------------------------------------------------

const MODEL_DIR = "/usr/share/pocketsphinx/model/en-us";

async function withTmp(fn) {
    const dir = await mkdtemp(join(tmpdir(), "voxa-voice-"));
    try {
        return await fn(dir);
    } finally {
        await rm(dir, { recursive: true, force: true });
    }
}

/** Caller speech: flite (voice slt) -> raw audio in the call's format (s16le or μ-law). */
export async function synth(text, { rate = 16000, format = "pcm_s16le", voice = "slt" } = {}) {
    return withTmp(async (dir) => {
        const wav = join(dir, "tts.wav");
        const raw = join(dir, "out.raw");
        await run("flite", ["-voice", voice, "-t", text, "-o", wav]);
        const enc = format === "mulaw" ? ["-e", "u-law", "-b", "8"] : ["-e", "signed", "-b", "16"];
        await run("sox", [wav, "-t", "raw", "-r", String(rate), "-c", "1", ...enc, raw]);
        return readFile(raw);
    });
}

/** Loud white noise (not speech) in the call's format. */
export function noise(ms, { rate = 16000, format = "pcm_s16le", amplitude = 12000 } = {}) {
    const n = Math.round((rate * ms) / 1000);
    const pcm = Buffer.alloc(n * 2);
    for (let i = 0; i < n; i++) pcm.writeInt16LE(Math.round((Math.random() * 2 - 1) * amplitude), i * 2);
    return format === "mulaw" ? encodeMulawViaTable(pcm) : pcm;
}

let mulawTable;
function encodeMulawViaTable(pcm) {
    // Nearest μ-law code for each sample (a 256-entry search: fine for test-sized buffers).
    if (!mulawTable) mulawTable = Array.from({ length: 256 }, (_, b) => [mulawToLinear(b), b]).sort((a, b) => a[0] - b[0]);
    const out = Buffer.alloc(pcm.length / 2);
    for (let i = 0; i < out.length; i++) {
        const s = pcm.readInt16LE(i * 2);
        let lo = 0, hi = mulawTable.length - 1;
        while (hi - lo > 1) {
            const mid = (lo + hi) >> 1;
            if (mulawTable[mid][0] <= s) lo = mid;
            else hi = mid;
        }
        out[i] = Math.abs(mulawTable[lo][0] - s) <= Math.abs(mulawTable[hi][0] - s) ? mulawTable[lo][1] : mulawTable[hi][1];
    }
    return out;
}

/**
 * Offline STT of received audio with pocketsphinx (the same command line as
 * /work/shared/tools/stt.sh): s16le PCM at `rate` -> lower-case text. `signal` (an
 * AbortSignal) stops it: the fakes drop a partial recognition that a final one overtakes.
 */
export async function transcribe(pcm, rate, { signal } = {}) {
    if (!pcm.length) return "";
    return withTmp(async (dir) => {
        const raw = join(dir, "in.raw");
        const wav = join(dir, "in16k.wav");
        await writeFile(raw, pcm);
        await run("sox", ["-t", "raw", "-r", String(rate), "-c", "1", "-e", "signed", "-b", "16", raw,
                          "-r", "16000", "-c", "1", "-b", "16", "-e", "signed", wav], { signal });
        const { stdout } = await run("pocketsphinx_continuous", [
            "-infile", wav, "-hmm", `${MODEL_DIR}/en-us`, "-lm", `${MODEL_DIR}/en-us.lm.bin`,
            "-dict", `${MODEL_DIR}/cmudict-en-us.dict`, "-logfn", "/dev/null"], { maxBuffer: 1 << 20, signal });
        return stdout.replace(/\s+/g, " ").trim().toLowerCase();
    });
}

/** Which of `expected` words occur in `text` (word match, case-insensitive). */
export function wordHits(text, expected) {
    const have = new Set(text.toLowerCase().split(/[^a-z']+/).filter(Boolean));
    const hits = expected.filter((w) => have.has(w.toLowerCase()));
    return { hits, missing: expected.filter((w) => !hits.includes(w)), ratio: hits.length / expected.length };
}

// ---- the call client --------------------------------------------------------------------

/**
 * One websocket call. Collects every received audio frame ({t, bytes}) and JSON message
 * ({t, msg}), t = performance.now(). Outgoing audio goes through a queue played by a
 * drift-free 20 ms pump (frame n leaves at t0 + 20n ms), so speech and silence queued back
 * to back stay contiguous in real time.
 */
export class CallClient {
    constructor(call, ws) {
        this.call = call;
        this.ws = ws;
        const af = call.transport.audioFormat;
        this.format = af.format;
        this.rate = af.sampleRate;
        this.frameBytes = frameBytes({ rate: this.rate, format: this.format });
        this.audio = [];        // {t, bytes}
        this.messages = [];     // {t, msg}
        this.texts = [];        // raw text frames that were not JSON
        this.openedAt = now();
        this.closed = false;
        this.closeInfo = null;
        this.waiters = new Set();
        this.queue = [];        // {bytes, onStart, onEnd}
        this.pumping = false;
        this.continuous = false;
        this.sentFrames = 0;
        this.outgoing = null;   // (frame bytes) => frame bytes to send instead, per 20 ms frame
        this.idleFrame = null;  // () => Buffer | null: what to send instead of silence
        ws.binaryType = "arraybuffer";
        ws.addEventListener("message", (ev) => {
            const t = now();
            if (typeof ev.data === "string") {
                let msg;
                try {
                    msg = JSON.parse(ev.data);
                } catch {
                    this.texts.push({ t, text: ev.data });
                }
                if (msg) {
                    this.messages.push({ t, msg });
                    collect("client", msg, `call ${this.call.id}`);
                }
            } else {
                this.audio.push({ t, bytes: Buffer.from(ev.data) });
            }
            this._poke();
        });
        this.closedPromise = new Promise((resolve) => {
            ws.addEventListener("close", (ev) => {
                this.closed = true;
                this.closeInfo = { code: ev.code, reason: ev.reason, t: now() };
                this.continuous = false;
                this._poke();
                resolve(this.closeInfo);
            });
        });
    }

    /** Connects to call.transport.websocketCallUrl (or `url`); rejects if refused. */
    static async connect(call, { url, timeoutMs = 5000 } = {}) {
        const ws = new WebSocket(url ?? call.transport.websocketCallUrl);
        const client = new CallClient(call, ws);
        await new Promise((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error("websocket connect timeout")), timeoutMs);
            ws.addEventListener("open", () => { clearTimeout(timer); resolve(); }, { once: true });
            ws.addEventListener("error", () => { clearTimeout(timer); reject(new Error("websocket refused")); }, { once: true });
        });
        client.openedAt = now();
        return client;
    }

    _poke() {
        for (const w of [...this.waiters]) w();
    }

    /** Resolves with predicate()'s truthy value once it holds; re-checked on every event. */
    waitFor(predicate, timeoutMs = 10000, what = "condition") {
        return new Promise((resolve, reject) => {
            const check = () => {
                let v;
                try {
                    v = predicate(this);
                } catch (e) {
                    cleanup();
                    return reject(e);
                }
                if (v) {
                    cleanup();
                    resolve(v);
                }
            };
            const timer = setTimeout(() => {
                cleanup();
                reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; got types ` +
                                 JSON.stringify(this.messages.map((m) => m.msg.type))));
            }, timeoutMs);
            const interval = setInterval(check, 20);  // for time-based predicates
            const cleanup = () => {
                clearTimeout(timer);
                clearInterval(interval);
                this.waiters.delete(check);
            };
            this.waiters.add(check);
            check();
        });
    }

    /** The first received message matching `pred` (object fields or a function), waiting for it. */
    waitForMessage(pred, timeoutMs = 10000) {
        const fn = typeof pred === "function" ? pred
            : (m) => Object.entries(pred).every(([k, v]) => m[k] === v);
        return this.waitFor((c) => c.messages.find((e) => fn(e.msg)), timeoutMs, JSON.stringify(
            typeof pred === "function" ? String(pred) : pred));
    }

    ofType(type) {
        return this.messages.filter((m) => m.msg.type === type).map((m) => m.msg);
    }

    errors() {
        return this.ofType("error");
    }

    send(obj) {
        this.ws.send(typeof obj === "string" ? obj : JSON.stringify(obj));
    }

    sendRaw(bytes) {
        this.ws.send(bytes);
    }

    /** Received audio (bytes in the call's format) from `sinceT` on. */
    receivedBytes(sinceT = 0, untilT = Infinity) {
        return Buffer.concat(this.audio.filter((a) => a.t >= sinceT && a.t < untilT).map((a) => a.bytes));
    }

    /** Received audio as s16le PCM at this.rate. */
    receivedPcm(sinceT = 0, untilT = Infinity) {
        const b = this.receivedBytes(sinceT, untilT);
        return this.format === "mulaw" ? decodeMulaw(b) : b;
    }

    /** Received audio duration in ms. */
    receivedMs(sinceT = 0) {
        return (this.receivedBytes(sinceT).length / this.frameBytes) * 20;
    }

    lastAudioAt() {
        return this.audio.length ? this.audio[this.audio.length - 1].t : null;
    }

    /**
     * Queues audio (bytes in the call's format) and resolves when its last frame was sent,
     * with {startedAt, endedAt} (performance.now() of the first and last frame).
     */
    streamPcm(bytes) {
        return new Promise((resolve) => {
            const item = { bytes, startedAt: null };
            item.done = (endedAt) => resolve({ startedAt: item.startedAt, endedAt });
            this.queue.push(item);
            this._pump();
        });
    }

    /** Queues `ms` of silence (digital silence in the call's format). */
    silence(ms) {
        const n = Math.round(ms / 20) * this.frameBytes;
        return this.streamPcm(Buffer.alloc(n, silenceByte(this.format)));
    }

    /** Keep sending silence whenever nothing is queued (as a live microphone would). */
    startContinuous() {
        this.continuous = true;
        this._pump();
    }

    stopContinuous() {
        this.continuous = false;
    }

    async _pump() {
        if (this.pumping) return;
        this.pumping = true;
        const t0 = now();
        let n = 0;
        let offset = 0;  // into queue[0]
        const silent = Buffer.alloc(this.frameBytes, silenceByte(this.format));
        try {
            while (!this.closed && (this.queue.length || this.continuous)) {
                const due = t0 + n * 20;
                const wait = due - now();
                if (wait > 1) await sleep(wait);
                if (this.closed) break;
                let frame;
                const item = this.queue[0];
                if (item) {
                    if (item.startedAt === null) item.startedAt = now();
                    frame = item.bytes.subarray(offset, offset + this.frameBytes);
                    offset += this.frameBytes;
                } else {
                    frame = this.idleFrame?.() ?? silent;  // e.g. an echo of what was received
                }
                // A line that changes what is sent (echo.test.mjs: the echo of what was heard).
                if (this.outgoing) frame = this.outgoing(frame);
                if (this.ws.readyState === WebSocket.OPEN) this.ws.send(frame);
                this.sentFrames++;
                n++;
                if (item && offset >= item.bytes.length) {
                    this.queue.shift();
                    offset = 0;
                    item.done(now());
                }
            }
        } finally {
            for (const item of this.queue.splice(0)) item.done(now());
            this.pumping = false;
        }
    }

    /** Sends {"type":"end-call"}. */
    endCall() {
        this.send({ type: "end-call" });
    }

    close(code = 1000) {
        this.continuous = false;
        if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close(code);
        return this.closedPromise;
    }
}

/** Creates the call and connects to it: {call, client}. */
export async function startCall(opts) {
    const call = await createCall(opts);
    const client = await CallClient.connect(call);
    return { call, client };
}

/** Bot/user/... messages of a call record by role. */
export function byRole(record, role) {
    return (record.messages || []).filter((m) => m.role === role);
}

/** Downloads a recording: {status, wav (parsed header), bytes}. */
export async function download(url, { token = KEY } = {}) {
    const res = await fetch(url, { headers: token ? { Authorization: `Bearer ${token}` } : {} });
    const bytes = Buffer.from(await res.arrayBuffer());
    let wav = null;
    if (res.status === 200) wav = parseWav(bytes);
    return { status: res.status, contentType: res.headers.get("content-type"), bytes, wav };
}

/** A one-line log to the test output (stderr keeps the spec reporter tidy). */
export function note(...args) {
    process.stderr.write(`[voice] ${args.join(" ")}\n`);
}

/** Offset (ms) of the first 20 ms frame of `bytes` (call format) louder than `threshold` RMS. */
export function onsetMs(bytes, { rate = 16000, format = "pcm_s16le", threshold = 500 } = {}) {
    const pcm = format === "mulaw" ? decodeMulaw(bytes) : bytes;
    const frame = (rate / 50) * 2;
    for (let off = 0, i = 0; off + frame <= pcm.length; off += frame, i++)
        if (rms(pcm.subarray(off, off + frame)) > threshold) return i * 20;
    return 0;
}

/**
 * The end of the first run of received audio after `fromT`: the time of the last chunk
 * before a gap of at least `gapMs` (or before `untilT`). null if no audio after fromT.
 */
export function audioStopAfter(client, fromT, gapMs = 200) {
    const after = client.audio.filter((a) => a.t >= fromT);
    if (!after.length) return null;
    let last = after[0].t;
    for (const a of after.slice(1)) {
        if (a.t - last >= gapMs) break;
        last = a.t;
    }
    return last;
}

/** Loudness envelope: RMS of each 20 ms frame of s16le PCM at `rate`. */
export function envelope(pcm, rate) {
    const frame = (rate / 50) * 2;
    const out = [];
    for (let off = 0; off + frame <= pcm.length; off += frame) out.push(rms(pcm.subarray(off, off + frame)));
    return out;
}

function trimQuiet(env, threshold = 200) {
    let a = 0, b = env.length;
    while (a < b && env[a] < threshold) a++;
    while (b > a && env[b - 1] < threshold) b--;
    return env.slice(a, b);
}

/**
 * How alike two recordings of speech are, without recognising them: the best Pearson
 * correlation of their loudness envelopes (silence trimmed, ±maxLag frames), and the ratio
 * of their voiced durations. The same sentence from the same voice scores > 0.8 and ~1.0.
 */
export function envelopeMatch(pcmA, rateA, pcmB, rateB, maxLag = 10) {
    const a = trimQuiet(envelope(pcmA, rateA));
    const b = trimQuiet(envelope(pcmB, rateB));
    const corr = (lag) => {
        const xs = [], ys = [];
        for (let i = 0; i < a.length; i++) {
            const j = i + lag;
            if (j < 0 || j >= b.length) continue;
            xs.push(a[i]);
            ys.push(b[j]);
        }
        if (xs.length < 10) return 0;
        const mx = xs.reduce((s, v) => s + v, 0) / xs.length;
        const my = ys.reduce((s, v) => s + v, 0) / ys.length;
        let sxy = 0, sxx = 0, syy = 0;
        for (let i = 0; i < xs.length; i++) {
            sxy += (xs[i] - mx) * (ys[i] - my);
            sxx += (xs[i] - mx) ** 2;
            syy += (ys[i] - my) ** 2;
        }
        return sxx && syy ? sxy / Math.sqrt(sxx * syy) : 0;
    };
    let best = -1;
    for (let lag = -maxLag; lag <= maxLag; lag++) best = Math.max(best, corr(lag));
    return { correlation: best, durationRatio: a.length / Math.max(1, b.length), framesA: a.length, framesB: b.length };
}

// ---- servers of a test's own --------------------------------------------------------------

/** A free TCP port on loopback. */
export async function freePort() {
    return new Promise((resolve) => {
        const s = createServer();
        s.listen(0, "127.0.0.1", () => {
            const p = s.address().port;
            s.close(() => resolve(p));
        });
    });
}

/**
 * Starts a Voxa of the test's own (restarts, other flags); resolves when /health answers.
 * Loopback is allowed by the egress policy: the tests' fakes listen there.
 */
export async function startVoxa(bin, dataDir, port, env = {}) {
    const proc = spawn(bin, ["serve", "--listen", `127.0.0.1:${port}`, "--data-dir", dataDir,
                             "--egress-allow", "127.0.0.0/8,::1/128"],
                       { stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, ...env } });
    let stderr = "";
    // VOXA_KEEP_TMP=1 (run-voice.sh): the whole log is kept beside the data dir, to read after.
    const whole = process.env.VOXA_KEEP_TMP === "1" ? createWriteStream(join(dataDir, "..", "voxa.log"), { flags: "a" }) : null;
    proc.stderr.on("data", (d) => {
        stderr = (stderr + d).slice(-4000);
        whole?.write(d);
    });
    const base = `http://127.0.0.1:${port}`;
    for (let i = 0; i < 200; i++) {
        try {
            if ((await fetch(`${base}/health`)).ok) return { proc, base, stderr: () => stderr };
        } catch {}
        await sleep(100);
    }
    proc.kill("SIGKILL");
    throw new Error(`voxa did not start: ${stderr}`);
}


/**
 * A server of the test's own on a fresh data dir (other flags/env, restarts), with an org
 * and its private key; stopped and removed when the test ends.
 *   const own = await ownVoxa(t, { VOXA_TWILIO_API_URL: fake.url });
 *   await own.api("POST", "/assistant", {...})    // -> {status, json}
 *   own.proc.kill("SIGKILL"); await own.restart(); // same data dir and port
 */
export async function ownVoxa(t, env = {}) {
    const bin = process.env.VOXA_BIN;
    if (!bin) throw new Error("VOXA_BIN is required (run-voice.sh sets it)");
    const dir = await mkdtemp(join(tmpdir(), "voxa-own-"));
    const dataDir = join(dir, "data");
    const { stdout } = await run(bin, ["admin", "create-org", "--data-dir", dataDir, "--name", "own"]);
    const key = JSON.parse(stdout.split("\n").find((l) => l.startsWith("{"))).privateKey;
    const port = await freePort();
    const own = { key, dataDir, port };
    own.restart = async () => {
        const v = await startVoxa(bin, dataDir, port, env);
        own.proc = v.proc;
        own.base = v.base;
        own.stderr = v.stderr;  // its last 4000 characters of log
        return own;
    };
    own.api = async (method, path, body) => {
        const r = await fetch(own.base + path, { method, headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/json" },
                                                 body: body && JSON.stringify(body) });
        return { status: r.status, json: await r.json().catch(() => undefined) };
    };
    t.after(async () => {
        own.proc?.kill("SIGKILL");
        if (process.env.VOXA_KEEP_TMP === "1") note(`own server kept in ${dir}`);
        else await rm(dir, { recursive: true, force: true });
    });
    return own.restart();
}

/**
 * Voxa's own latency between a provider and the caller (docs/providers.md, "Latency") so far:
 * voxa_provider_to_wire_seconds{kind, provider} from GET /metrics -> {count, sum} (sum in s).
 */
export async function providerToWire(base, kind, provider) {
    const text = await (await fetch(`${base}/metrics`)).text();
    const get = (what) => {
        const line = text.split("\n").find((l) => l.startsWith(`voxa_provider_to_wire_seconds_${what}{`) &&
                                                   l.includes(`kind="${kind}"`) && l.includes(`provider="${provider}"`));
        return line ? Number(line.split(" ").pop()) : 0;
    };
    return { count: get("count"), sum: get("sum") };
}

/** The websocket transport at 16 kHz PCM, as a POST /call body's `transport`. */
export const WEBSOCKET_16K = { provider: "vapi.websocket", audioFormat: { format: "pcm_s16le", container: "raw", sampleRate: 16000 } };

/** POST /call on a server of the test's own (ownVoxa), over WEBSOCKET_16K, connected: {call, client}. */
export async function ownCall(own, body) {
    const r = await own.api("POST", "/call", { transport: WEBSOCKET_16K, ...body });
    if (r.status !== 201) throw new Error(`POST /call -> ${r.status}: ${JSON.stringify(r.json)}`);
    const client = await CallClient.connect(r.json);
    return { call: r.json, client };
}

/** Polls GET /call/{id} on a server of the test's own until status "ended"; returns the record. */
export async function ownEnded(own, id, timeoutMs = 15000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        const r = await own.api("GET", `/call/${id}`);
        if (r.json?.status === "ended") return r.json;
        if (Date.now() > deadline) throw new Error(`call ${id} not ended (status ${r.json?.status})`);
        await sleep(100);
    }
}
