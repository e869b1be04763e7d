// The turn-taking corpus (issue #14), made at test time from the project's own tools: flite
// speech and sox sounds, nothing downloaded. Not a test file; runner.mjs plays it.
//
// Every sound is raw s16le PCM, 16 kHz mono, with its voiced span measured (onset/offset of
// the first/last 20 ms frame above an RMS of 300), so the runner can time from the first or
// last sample that matters rather than from flite's leading/trailing silence.
//
// What is in it (buildCorpus(size)):
//   talkover  sounds played over a long assistant reply that must NOT stop it:
//     backchannel  "mm-hmm", "uh-huh", "okay", "right", "yeah", "I see" (flite voices slt,
//                  rms, awb), at caller level (speech normalised to -20 dBFS RMS)
//     noise        400 ms of pink, brown or white noise (sox synth), 10 ms fades, -22 dBFS RMS
//     cough        two shaped noise bursts (sox: pink noise band-passed around 1.1 kHz, 8 ms
//                  attack and a quarter-sine decay, 170 ms then 130 ms at -4 dB, 110 ms apart),
//                  -18 dBFS RMS over the bursts
//     knock        three damped clicks 170 ms apart (sox: a 2 ms white-noise impulse rung
//                  through a Q=6 band-pass at 320 Hz and a low-pass at 2 kHz, so it decays in
//                  ~40 ms), peak -6 dBFS
//     control      nothing (silence): the measure itself must read 0 here
//     echo         the assistant's own received audio sent back at -20 dB with 30/60/100 ms
//                  of delay for several seconds (done live by the runner, no file)
//   barge       real interruptions ("Wait, ...", "Actually, ...", "Stop, ...", "No, ...") at
//               several points of the reply (0.8 / 2 / 3.5 s in) and levels (0 / -6 / -12 dB
//               from caller level)
//   pause       a sentence with a 0.5-1.2 s pause inside it ("I would like to book ... an
//               appointment for Tuesday"): two flite halves with digital silence between
//   turn        complete short turns ("What time do you open on Saturday?")
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

import { rms } from "../../pcm.mjs";

const run = promisify(execFile);
export const RATE = 16000;
export const FRAME_BYTES = 640;           // 20 ms at 16 kHz s16le
export const LOUD = 300;                  // RMS of a "voiced" 20 ms frame (speech is ~1000-6000)
const REF_RMS = 3277;                     // caller speech level: -20 dBFS RMS

const RAW = ["-t", "raw", "-r", String(RATE), "-e", "signed", "-b", "16", "-c", "1"];

async function withTmp(fn) {
    const dir = await mkdtemp(join(tmpdir(), "voxa-turns-"));
    try {
        return await fn(dir);
    } finally {
        await rm(dir, { recursive: true, force: true });
    }
}

/** sox -n <raw out> <effects...>: a generated sound. */
async function soxSynth(effects) {
    return withTmp(async (dir) => {
        const out = join(dir, "s.raw");
        await run("sox", ["-n", ...RAW, out, ...effects]);
        return readFile(out);
    });
}

/** flite -> 16 kHz s16le. */
export async function speech(text, voice = "slt") {
    return withTmp(async (dir) => {
        const wav = join(dir, "t.wav");
        const out = join(dir, "t.raw");
        await run("flite", ["-voice", voice, "-t", text, "-o", wav]);
        await run("sox", [wav, ...RAW, out]);
        return readFile(out);
    });
}

/** Multiplies s16le samples by 10^(db/20) (clipped). */
export function gain(pcm, db) {
    const g = 10 ** (db / 20);
    const out = Buffer.alloc(pcm.length);
    for (let i = 0; i + 1 < pcm.length; i += 2)
        out.writeInt16LE(Math.max(-32768, Math.min(32767, Math.round(pcm.readInt16LE(i) * g))), i);
    return out;
}

/** RMS over the voiced frames only. */
function voicedRms(pcm) {
    let sum = 0, n = 0;
    for (let off = 0; off + FRAME_BYTES <= pcm.length; off += FRAME_BYTES) {
        const r = rms(pcm.subarray(off, off + FRAME_BYTES));
        if (r > LOUD) { sum += r * r; n++; }
    }
    return n ? Math.sqrt(sum / n) : 0;
}

/** Scales so the voiced part is at `dbfs` RMS. */
function level(pcm, dbfs) {
    const r = voicedRms(pcm);
    return r ? gain(pcm, dbfs - 20 * Math.log10(r / 32768)) : pcm;
}

/** {onsetMs, offsetMs}: start of the first and end of the last loud 20 ms frame. */
export function span(pcm) {
    let first = -1, last = -1;
    for (let off = 0, i = 0; off + FRAME_BYTES <= pcm.length; off += FRAME_BYTES, i++)
        if (rms(pcm.subarray(off, off + FRAME_BYTES)) > LOUD) {
            if (first < 0) first = i;
            last = i;
        }
    return first < 0 ? { onsetMs: 0, offsetMs: 0 } : { onsetMs: first * 20, offsetMs: (last + 1) * 20 };
}

/** Pads to whole 20 ms frames. */
function frames(pcm) {
    const n = Math.ceil(pcm.length / FRAME_BYTES) * FRAME_BYTES;
    return n === pcm.length ? pcm : Buffer.concat([pcm, Buffer.alloc(n - pcm.length)]);
}

function sound(pcm, extra) {
    const p = frames(pcm);
    return { pcm: p, ms: (p.length / FRAME_BYTES) * 20, ...span(p), ...extra };
}

// ---- the sounds ----------------------------------------------------------------------------

export async function noiseBurst(color, ms = 400, dbfs = -22) {
    const pcm = await soxSynth(["synth", String(ms / 1000), `${color}noise`, "fade", "t", "0.01", String(ms / 1000), "0.01"]);
    return level(pcm, dbfs);
}

export async function cough(dbfs = -18) {
    const burst = (s, db) => soxSynth(["synth", String(s), "pinknoise", "sinc", "500-2200", "fade", "q", "0.008", String(s), String(s - 0.01),
                                       "gain", String(db)]);
    const a = await burst(0.17, 0), b = await burst(0.13, -4);
    const gap = Buffer.alloc(Math.round(RATE * 0.11) * 2);
    return level(Buffer.concat([a, gap, b]), dbfs);
}

export async function knock() {
    // One click rung through a resonant band-pass (a damped ~320 Hz ring), three times.
    const one = await soxSynth(["synth", "0.002", "whitenoise", "pad", "0", "0.168", "bandpass", "320", "6q",
                                "lowpass", "2000", "gain", "-n", "-6"]);
    return Buffer.concat([one, one, one]);
}

export const BACKCHANNELS = ["mm-hmm", "uh-huh", "okay", "right", "yeah", "I see"];
// Spellings flite says as the backchannel (check with `flite -t TEXT -ps`): it spells "mm-hmm"
// and "mhm" as letters ("eh m ey ch eh m", M-H-M), "umhum" is the dictionary's "mhm" (ah m hh
// ax m); "uh huh" is "uh-huh" (ah hh ah).
const SAY = { "mm-hmm": "umhum", "uh-huh": "uh huh" };
export const BARGE_INS = ["Wait, I have a question about my card.", "Actually, can you repeat the Saturday hours?",
                          "Stop, I need to change my booking.", "No, that is not what I asked."];
export const PAUSED = [["I would like to book", "an appointment for Tuesday."],
                       ["Can you tell me", "what time the library opens on Saturday?"],
                       ["I need to change", "the address on my account."],
                       ["My card number is five five", "two one eight nine."]];
export const TURNS = ["What time do you open on Saturday?", "Can I renew my books online?", "Do you have parking?",
                      "Thank you, that is all."];
export const TRIGGER = "Tell me about the library please.";
/** The long assistant reply everything is played over (~40 s with kal16). */
export const LONG = "Welcome to the city library information line. Our opening hours are nine to five from Monday to Friday. " +
    "On Saturdays we open at ten and close at two in the afternoon. You can renew your books online or by calling this number at any time. " +
    "Members may borrow up to twelve items at once, and most loans last three weeks. Late returns cost ten cents a day for each item. " +
    "The children's reading room is on the second floor, next to the study rooms, which you can book for two hours at a time. " +
    "We also lend laptops, museum passes and board games, and we run free computer classes every Wednesday morning. " +
    "Parking is free for the first hour in the garage behind the building.";
export const SHORT = "Okay, noted.";

const sayVoices = ["slt", "rms", "awb"];

/**
 * The corpus as call plans. size "small" (make test: one of each kind, ~18 events) or "full"
 * (make bench: every variant, `reps` times). Each plan is one call:
 *   {kind: "talkover"|"echo"|"barge"|"pause"|"turns", trigger?, events: [...]}
 */
export async function buildCorpus(size = "small", { reps = 1 } = {}) {
    const full = size === "full";
    const cache = new Map();
    const memo = (key, fn) => (cache.has(key) ? cache.get(key) : (cache.set(key, fn()), cache.get(key)));
    const say = (text, voice = "slt", db = 0) =>
        memo(`say:${voice}:${db}:${text}`, async () => sound(gain(level(await speech(SAY[text] ?? text, voice), -20), db),
                                                             { text, voice, db }));
    const plans = [];
    const trigger = await say(TRIGGER, "slt");
    for (let r = 0; r < reps; r++) {
        // Backchannels: small = one voice, full = three voices.
        for (const voice of full ? sayVoices : ["slt"]) {
            const events = [];
            for (const text of BACKCHANNELS)
                events.push({ kind: "backchannel", label: `"${text}" ${voice}`, at: 1500, sound: await say(text, voice) });
            plans.push({ kind: "talkover", trigger, events });
        }
        const noises = [];
        for (const color of ["pink", "brown", "white"])
            noises.push({ kind: "noise", label: `${color} 400 ms`, at: 1500,
                          sound: sound(await memo(`n:${color}`, () => noiseBurst(color)), { color }) });
        noises.push({ kind: "cough", label: "cough", at: 1500, sound: sound(await memo("cough", () => cough())) });
        noises.push({ kind: "knock", label: "knock x3", at: 1500, sound: sound(await memo("knock", () => knock())) });
        noises.push({ kind: "control", label: "silence", at: 1500, sound: sound(Buffer.alloc(FRAME_BYTES * 20)) });
        if (full) {
            // Louder noise, and the sounds again at another point of the reply.
            for (const color of ["pink", "brown"])
                noises.push({ kind: "noise", label: `${color} 400 ms -12 dBFS`, at: 2500,
                              sound: sound(await memo(`n12:${color}`, () => noiseBurst(color, 400, -12)), { color }) });
            noises.push({ kind: "cough", label: "cough -10 dBFS", at: 2500, sound: sound(await memo("cough10", () => cough(-10))) });
        }
        plans.push({ kind: "talkover", trigger, events: noises });
        for (const delayMs of full ? [30, 60, 100] : [60])
            plans.push({ kind: "echo", trigger, events: [{ kind: "echo", label: `echo -20 dB ${delayMs} ms`, at: 500,
                                                            delayMs, db: -20, durationMs: 6000 }] });
        const barges = [];
        const points = [800, 2000, 3500], levels = [0, -6, -12];
        const combos = full ? points.flatMap((at) => levels.map((db) => ({ at, db }))) : points.map((at, i) => ({ at, db: levels[i] }));
        for (const [i, { at, db }] of combos.entries()) {
            const text = BARGE_INS[i % BARGE_INS.length];
            barges.push({ kind: "barge", label: `"${text.split(",")[0]}" at ${at} ms, ${db} dB`, at, sound: await say(text, "slt", db) });
        }
        // One call per three barge-ins keeps calls short and two at once.
        for (let i = 0; i < barges.length; i += 3) plans.push({ kind: "barge", trigger, events: barges.slice(i, i + 3) });
        const pauses = [];
        const lengths = full ? [500, 800, 1200] : [500, 800, 1200];
        const sentences = full ? PAUSED : PAUSED.slice(0, 3);
        for (const [i, [a, b]] of sentences.entries())
            for (const [j, pauseMs] of lengths.entries()) {
                if (!full && j !== i) continue;
                pauses.push({ kind: "pause", label: `"${a} ... ${b}" ${pauseMs} ms`, pauseMs,
                              first: await say(a), second: await say(b) });
            }
        for (let i = 0; i < pauses.length; i += 3) plans.push({ kind: "pause", trigger: await say(TURNS[0]), events: pauses.slice(i, i + 3) });
        const turns = [];
        for (const text of full ? TURNS : TURNS.slice(1, 3)) turns.push({ kind: "turn", label: `"${text}"`, sound: await say(text) });
        plans.push({ kind: "turns", trigger: await say(TURNS[0]), events: turns });
    }
    return plans;
}
