// Plays the turn-taking corpus (corpus.mjs) against a target over a WebSocket and measures
// each event. Not a test file: turn-taking.test.mjs (make test) and bench/turns (make bench)
// use it. A target is Voxa (its websocket transport, default plans, embedded transcriber and
// voice, custom-llm pointed at the OpenAI fake) or the LiveKit Agents peer
// (bench/peer/livekit/bridge.mjs with --llm-url at the same fake).
//
// The model is the OpenAI fake (tests/fakes/openai-fake.mjs) in this process: each request is
// timestamped on arrival (performance.now(), the clock the client's audio is stamped with) and
// tied to its call by body.call.id (Voxa's custom-llm sends the call; the bridge sends the
// ?call= of its WebSocket URL). Talk-over and barge-in calls get the long reply every time,
// pause and turn calls a short one.
//
// The assistant's audio is judged by loudness, not by frames arriving (the bridge sends no
// frames when idle; Voxa may): a received chunk "sounds" when its RMS is above 300.
//
// Measures (per event):
//   talkover/echo  interrupted = a user-interrupted message, or a model request, in the
//                  window [event start, event end + 4 s], or the assistant silent for the
//                  last second of that window (cut and never resumed). heldMs = the longest
//                  silence of the reply inside the window (>= 500 ms) when it resumed: a hold,
//                  reported, not counted.
//   barge          stopMs = first sample of the caller's voice -> last sounding assistant chunk
//                  before a silence of >= 600 ms; replied = assistant audio again within 10 s
//                  of the caller's last sample (the call never goes silent).
//   pause          premature = assistant audio sounding between the end of the first half and
//                  the first model request made after the whole sentence ended (so only an
//                  answer to the half sentence can sound there); askedEarly = a model request
//                  inside the sentence (a speculative request that was thrown away is fine).
//   turn           (every call's first turn too) caller's last voiced sample -> first model
//                  request, and -> first sounding assistant audio.
import { performance } from "node:perf_hooks";

import { rms } from "../../pcm.mjs";
import { startOpenAIFake } from "../../../fakes/openai-fake.mjs";
import { CallClient } from "../lib.mjs";
import { FRAME_BYTES, LONG, SHORT, gain } from "./corpus.mjs";

const now = () => performance.now();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const SOUNDING = 300;
// 4 s: LiveKit resumes a false interruption 2 s after the caller stops (falseInterruptionTimeout)
// plus its VAD's 550 ms of silence; a shorter window would count its holds as cuts.
const OBSERVE_MS = 4000;
const STOP_GAP_MS = 600;
const HELD_MS = 500;          // the reply's own pauses between sentences reach ~400 ms

/** The shared model fake; calls register with it by id. */
export async function startModel() {
    const calls = new Map();
    const fake = await startOpenAIFake({
        fallback: (text, body) => {
            const id = body?.call?.id;
            const c = calls.get(id);
            const t = now();
            if (!c) return SHORT;
            c.requests.push({ t, text });
            return c.long ? LONG : SHORT;
        },
    });
    return {
        url: fake.url,
        register(id, { long }) {
            const c = { long, requests: [] };
            calls.set(id, c);
            return c;
        },
        forget: (id) => calls.delete(id),
        close: () => fake.close(),
    };
}

// ---- targets ---------------------------------------------------------------------------------

/** Voxa over its websocket transport, default plans. `api(method, path, body)` -> {status, json}. */
export function voxaTarget(api, modelUrl) {
    return {
        name: "voxa",
        async open() {
            const r = await api("POST", "/call", {
                assistant: {
                    transcriber: { provider: "local" },
                    voice: { provider: "local", voiceId: "kal16" },
                    model: { provider: "custom-llm", url: modelUrl, model: "turns" },
                },
                transport: { provider: "vapi.websocket", audioFormat: { format: "pcm_s16le", container: "raw", sampleRate: 16000 } },
            });
            if (r.status !== 201) throw new Error(`POST /call -> ${r.status}: ${JSON.stringify(r.json)}`);
            const client = await CallClient.connect(r.json);
            return { id: r.json.id, client, end: async () => { client.endCall(); await Promise.race([client.closedPromise, sleep(3000)]); client.close(); } };
        },
    };
}

/** The LiveKit Agents bridge at ws://127.0.0.1:port (bench/peer/livekit). */
export function bridgeTarget(port) {
    let n = 0;
    return {
        name: "livekit",
        async open() {
            const id = `lk-${process.pid}-${++n}`;
            const call = { id, transport: { audioFormat: { format: "pcm_s16le", sampleRate: 16000 } } };
            const client = await CallClient.connect(call, { url: `ws://127.0.0.1:${port}/?call=${id}` });
            return { id, client, end: () => client.close() };
        },
    };
}

// ---- audio bookkeeping -------------------------------------------------------------------------

/** Loudness of every received chunk, kept alongside the client's own log. */
function track(client) {
    const loud = [];   // times of sounding chunks
    client.ws.addEventListener("message", (ev) => {
        if (typeof ev.data === "string") return;
        const b = Buffer.from(ev.data);
        if (rms(b) > SOUNDING) loud.push(now());
    });
    return loud;
}

const loudIn = (loud, a, b) => loud.filter((t) => t >= a && t <= b);
const firstLoudAfter = (loud, a) => loud.find((t) => t > a);

/** Longest silence between sounding chunks in [a, b] (edges count). */
function longestGap(loud, a, b) {
    let last = a, gap = 0;
    for (const t of loudIn(loud, a, b)) {
        gap = Math.max(gap, t - last);
        last = t;
    }
    return Math.max(gap, b - last);
}

/** Waits until the assistant has been sounding for `forMs` of the current run of speech. */
async function waitSpeaking(loud, forMs, timeoutMs = 15000) {
    const deadline = now() + timeoutMs;
    while (now() < deadline) {
        const t = now();
        if (loud.length && t - loud.at(-1) < 120) {
            // start of the current run: back from the end until a gap of >= 700 ms
            let i = loud.length - 1;
            while (i > 0 && loud[i] - loud[i - 1] < 700) i--;
            if (t - loud[i] >= forMs) return true;
        }
        await sleep(10);
    }
    return false;
}

/** Waits until the assistant has been quiet for `quietMs`. */
async function waitQuiet(loud, quietMs = 800, timeoutMs = 45000) {
    const deadline = now() + timeoutMs;
    while (now() < deadline) {
        if (!loud.length || now() - loud.at(-1) >= quietMs) return true;
        await sleep(20);
    }
    return false;
}

// ---- one call ----------------------------------------------------------------------------------

/** Sends `pcm` (whole frames) and resolves {startedAt, endedAt}. */
const play = (client, pcm) => client.streamPcm(pcm);

async function completeTurn(client, loud, state, snd, kind) {
    await waitQuiet(loud, 800);
    const nReq = state.requests.length;
    const { startedAt } = await play(client, snd.pcm);
    const endAt = startedAt + snd.offsetMs;
    const got = await client.waitFor(() => firstLoudAfter(loud, endAt), 12000, "a reply").catch(() => null);
    // the request that was answered: the last one before the reply sounded (a speculative
    // request asked before the end of speech counts, negative)
    const reqs = state.requests.slice(nReq).filter((r) => r.t > startedAt && (!got || r.t < got));
    const req = reqs.at(-1);
    // the LiveKit bridge says how long its (after-the-fact) recognition took
    const stt = client.messages.filter((m) => m.msg.type === "bench-stt" && m.t > startedAt && (!got || m.t < got)).at(-1);
    return { kind, label: snd.text, toRequestMs: req ? req.t - endAt : null, toAudioMs: got ? got - endAt : null,
             ...(stt ? { sttMs: Math.round(stt.msg.ms) } : {}) };
}

async function talkover(client, loud, state, ev) {
    if (!(await waitSpeaking(loud, ev.at))) return { kind: ev.kind, label: ev.label, skipped: "assistant not speaking" };
    const nInt = client.ofType("user-interrupted").length;
    const nReq = state.requests.length;
    let startAt, endAt;
    if (ev.kind === "echo") {
        // The assistant's received audio, delayed and attenuated, is the caller's microphone.
        const line = [];   // {due, pcm}
        let pending = Buffer.alloc(0);
        const onMsg = (m) => {
            if (typeof m.data === "string") return;
            line.push({ due: now() + ev.delayMs, pcm: gain(Buffer.from(m.data), ev.db) });
        };
        client.ws.addEventListener("message", onMsg);
        client.idleFrame = () => {
            const t = now();
            while (line.length && line[0].due <= t) pending = Buffer.concat([pending, line.shift().pcm]);
            if (pending.length < FRAME_BYTES) return null;
            const f = pending.subarray(0, FRAME_BYTES);
            pending = pending.subarray(FRAME_BYTES);
            return f;
        };
        startAt = now();
        await sleep(ev.durationMs);
        client.idleFrame = null;
        client.ws.removeEventListener("message", onMsg);
        endAt = now();
    } else {
        const r = await play(client, ev.sound.pcm);
        startAt = r.startedAt + ev.sound.onsetMs;
        endAt = r.startedAt + Math.max(ev.sound.offsetMs, ev.sound.onsetMs);
    }
    const obsEnd = endAt + OBSERVE_MS;
    await sleep(Math.max(0, obsEnd - now()));
    const interruptions = client.messages.filter((m) => m.msg.type === "user-interrupted" && m.t >= startAt - 20).length;
    const asked = state.requests.slice(nReq).filter((r) => r.t >= startAt - 20).length;
    const stoppedForGood = now() - (loud.at(-1) ?? 0) >= 1000;
    const gap = longestGap(loud, startAt, obsEnd);
    const interrupted = client.ofType("user-interrupted").length > nInt || asked > 0 || stoppedForGood;
    return { kind: ev.kind, label: ev.label, interrupted, interruptions, asked, stoppedForGood,
             heldMs: !interrupted && gap >= HELD_MS ? Math.round(gap) : 0 };
}

async function bargeIn(client, loud, state, ev) {
    if (!(await waitSpeaking(loud, ev.at))) return { kind: ev.kind, label: ev.label, skipped: "assistant not speaking" };
    const { startedAt } = await play(client, ev.sound.pcm);
    const onset = startedAt + ev.sound.onsetMs;
    const endAt = startedAt + ev.sound.offsetMs;
    await sleep(Math.max(0, endAt + STOP_GAP_MS + 200 - now()));
    // last sounding chunk before a silence of STOP_GAP_MS, from the onset on (the onset
    // itself when nothing sounded after it: a reply that starts within the window is then
    // not taken for the assistant talking on)
    let stop = null;
    let prev = onset;
    for (const t of [...loud.filter((x) => x >= onset), Infinity]) {
        if (t - prev >= STOP_GAP_MS) { stop = prev; break; }
        prev = t;
    }
    const stopped = stop !== null && stop < endAt + 1000;
    const reply = await client.waitFor(() => firstLoudAfter(loud, Math.max(endAt, stop ?? endAt) + 1), 10000, "a reply")
        .catch(() => null);
    return { kind: ev.kind, label: ev.label, stopMs: stopped ? Math.max(0, stop - onset) : null, replied: !!reply,
             replyMs: reply ? Math.round(reply - endAt) : null };
}

async function pause(client, loud, state, ev) {
    await waitQuiet(loud, 800);
    const first = ev.first.pcm.subarray(0, (ev.first.offsetMs / 20) * FRAME_BYTES);
    const second = ev.second.pcm.subarray((ev.second.onsetMs / 20) * FRAME_BYTES);
    const silence = Buffer.alloc((ev.pauseMs / 20) * FRAME_BYTES);
    const p1 = play(client, first);
    play(client, silence);
    const p2 = play(client, second);
    const { startedAt: s1, endedAt: halfEnd } = await p1;
    const { startedAt: s2 } = await p2;
    const sentenceEnd = s2 + (ev.second.offsetMs - ev.second.onsetMs);
    await client.waitFor(() => state.requests.find((r) => r.t > sentenceEnd), 8000, "the request").catch(() => null);
    const late = state.requests.find((r) => r.t > sentenceEnd);
    const until = late ? late.t : now();
    const premature = loudIn(loud, halfEnd, until).length > 0;
    const askedEarly = state.requests.filter((r) => r.t > s1 && r.t <= sentenceEnd).length;
    await client.waitFor(() => firstLoudAfter(loud, until), 8000, "the reply").catch(() => null);
    return { kind: ev.kind, label: ev.label, premature, askedEarly, answered: !!late };
}

/** Runs one call plan; resolves with the per-event results. */
export async function runPlan(target, model, plan) {
    const long = plan.kind === "talkover" || plan.kind === "echo" || plan.kind === "barge";
    const { id, client, end } = await target.open();
    const state = model.register(id, { long });
    const loud = track(client);
    const results = [];
    try {
        client.startContinuous();
        await sleep(1000);   // a caller does not talk in the first instant of a call
        results.push(await completeTurn(client, loud, state, plan.trigger, "turn"));
        for (const ev of plan.events) {
            if (ev.kind === "barge") results.push(await bargeIn(client, loud, state, ev));
            else if (ev.kind === "pause") results.push(await pause(client, loud, state, ev));
            else if (ev.kind === "turn") results.push(await completeTurn(client, loud, state, ev.sound, "turn"));
            else results.push(await talkover(client, loud, state, ev));
        }
    } finally {
        await end().catch(() => {});
        model.forget(id);
    }
    return results.map((r) => ({ target: target.name, plan: plan.kind, ...r }));
}

/** Runs every plan, `concurrency` calls at a time. */
export async function runCorpus(target, model, plans, { concurrency = 2, onResult } = {}) {
    const out = [];
    let next = 0;
    const worker = async () => {
        while (next < plans.length) {
            const plan = plans[next++];
            const rs = await runPlan(target, model, plan).catch((e) => [{ target: target.name, plan: plan.kind, kind: "error", label: String(e?.message ?? e) }]);
            for (const r of rs) onResult?.(r);
            out.push(...rs);
        }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    return out;
}

// ---- summary -----------------------------------------------------------------------------------

function pct(xs, p) {
    const v = xs.filter((x) => x !== null && x !== undefined).sort((a, b) => a - b);
    if (!v.length) return null;
    return v[Math.min(v.length - 1, Math.max(0, Math.ceil((p / 100) * v.length) - 1))];
}

/** Rates and latencies over the results. */
export function summarize(results) {
    const of = (...kinds) => results.filter((r) => kinds.includes(r.kind) && !r.skipped);
    const falseEv = of("backchannel", "noise", "cough", "knock", "echo");
    const rate = (rs, f) => ({ n: rs.length, k: rs.filter(f).length, rate: rs.length ? rs.filter(f).length / rs.length : null });
    const barges = of("barge"), pauses = of("pause"), turns = of("turn");
    const byKind = {};
    for (const k of ["backchannel", "noise", "cough", "knock", "echo", "control"]) byKind[k] = rate(of(k), (r) => r.interrupted);
    return {
        falseInterruption: rate(falseEv, (r) => r.interrupted),
        byKind,
        held: rate(falseEv, (r) => r.heldMs > 0),
        heldP50: pct(falseEv.filter((r) => r.heldMs > 0).map((r) => r.heldMs), 50),
        echoInterruptions: of("echo").reduce((n, r) => n + r.interruptions, 0),
        premature: rate(pauses, (r) => r.premature),
        askedEarly: rate(pauses, (r) => r.askedEarly > 0),
        bargeStopP50: pct(barges.map((r) => r.stopMs), 50),
        bargeStopP95: pct(barges.map((r) => r.stopMs ?? Infinity), 95),
        bargeMissed: rate(barges, (r) => r.stopMs === null),
        bargeSilent: rate(barges, (r) => !r.replied),
        turnToRequestP50: pct(turns.map((r) => r.toRequestMs), 50),
        turnToRequestP95: pct(turns.map((r) => r.toRequestMs), 95),
        turnToAudioP50: pct(turns.map((r) => r.toAudioMs), 50),
        turnToAudioP95: pct(turns.map((r) => r.toAudioMs), 95),
        turnsUnanswered: rate(turns, (r) => r.toAudioMs === null),
        sttP50: pct(turns.map((r) => r.sttMs), 50),
        errors: results.filter((r) => r.kind === "error" || r.skipped).map((r) => `${r.plan}/${r.label}: ${r.skipped ?? "error"}`),
    };
}

const ms = (v) => (v === null || v === undefined ? "-" : v === Infinity ? "inf" : `${Math.round(v)}`);
const pc = (r) => (r.rate === null ? "-" : `${(100 * r.rate).toFixed(1)} % (${r.k}/${r.n})`);

/** A markdown table: one column per summary (e.g. Voxa, LiveKit). */
export function table(columns) {
    const rows = [
        ["False interruptions (backchannel, noise, cough, knock, echo)", (s) => pc(s.falseInterruption)],
        ["- backchannels", (s) => pc(s.byKind.backchannel)],
        ["- noise bursts", (s) => pc(s.byKind.noise)],
        ["- coughs", (s) => pc(s.byKind.cough)],
        ["- knocks", (s) => pc(s.byKind.knock)],
        ["- echo calls (interruptions in all)", (s) => `${pc(s.byKind.echo)} (${s.echoInterruptions})`],
        ["- control (silence; must be 0)", (s) => pc(s.byKind.control)],
        ["Held >= 0.5 s and resumed (not counted above); p50 hold ms", (s) => `${pc(s.held)}; ${ms(s.heldP50)}`],
        ["Premature answers on mid-sentence pauses", (s) => pc(s.premature)],
        ["- model asked inside the sentence", (s) => pc(s.askedEarly)],
        ["Barge-in stop latency p50 / p95 (ms)", (s) => `${ms(s.bargeStopP50)} / ${ms(s.bargeStopP95)}`],
        ["Barge-ins not stopped", (s) => pc(s.bargeMissed)],
        ["Barge-ins left silent (no reply)", (s) => pc(s.bargeSilent)],
        ["End of turn -> model request p50 / p95 (ms)", (s) => `${ms(s.turnToRequestP50)} / ${ms(s.turnToRequestP95)}`],
        ["End of turn -> first audio p50 / p95 (ms)", (s) => `${ms(s.turnToAudioP50)} / ${ms(s.turnToAudioP95)}`],
        ["Turns not answered", (s) => pc(s.turnsUnanswered)],
        ["Recognition after end of speech p50 (ms; LiveKit's non-streaming STT only)", (s) => ms(s.sttP50)],
    ];
    const names = Object.keys(columns);
    const lines = [`| | ${names.join(" | ")} |`, `|---|${names.map(() => "---").join("|")}|`];
    for (const [label, f] of rows) lines.push(`| ${label} | ${names.map((n) => f(columns[n])).join(" | ")} |`);
    return lines.join("\n");
}
