// Self-test for bridge.mjs: one call, real-time speech in, reply audio out,
// then talk-over (barge-in). Prints timings; exit 0 on pass, 1 on failure.
//
// Usage: node selftest.mjs [--wav FILE] [--timeout-s 30] [-- extra bridge args]
// Without --wav, makes one with flite + sox in a temp dir.

import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createInterface } from 'node:readline';
import WebSocket from 'ws';

const here = dirname(fileURLToPath(import.meta.url));
const { values: args, positionals } = parseArgs({
  options: {
    wav: { type: 'string' },
    'timeout-s': { type: 'string', default: '30' },
  },
  allowPositionals: true,
});
const bridgeExtra = positionals; // everything after "--"

// settings the expected-latency formula uses (read back from the bridge args)
function bridgeOpt(name, def) {
  const i = bridgeExtra.indexOf(`--${name}`);
  return i >= 0 ? bridgeExtra[i + 1] : def;
}
const S = {
  vadStop: Number(bridgeOpt('vad-stop-ms', 350)),
  stt: Number(bridgeOpt('stt-delay-ms', 100)),
  ttft: Number(bridgeOpt('llm-ttft-ms', 200)),
  gap: Number(bridgeOpt('llm-token-gap-ms', 10)),
  ttfb: Number(bridgeOpt('tts-ttfb-ms', 100)),
  interruptMin: Number(bridgeOpt('interrupt-min-ms', 200)),
  reply: bridgeOpt('reply', 'Sure, I can help with that. What day works best for you?'),
};
const words = S.reply.split(/\s+/).filter(Boolean);
let firstSentenceEnd = words.findIndex((w) => /[.!?]$/.test(w));
if (firstSentenceEnd < 0) firstSentenceEnd = words.length - 1;
const expectedMs = S.vadStop + S.stt + S.ttft + firstSentenceEnd * S.gap + S.ttfb;

// ------------------------------------------------------------------ audio

let tmpDir = null;
function makeWav() {
  tmpDir = mkdtempSync(join(tmpdir(), 'lk-selftest-'));
  const raw = join(tmpDir, 'utt.wav');
  const out = join(tmpDir, 'utt16.wav');
  execFileSync('flite', ['-t', 'I would like to book an appointment', '-o', raw]);
  execFileSync('sox', [raw, '-r', '16000', '-c', '1', '-b', '16', out]);
  return out;
}

function readWav(path) {
  const b = readFileSync(path);
  if (b.toString('ascii', 0, 4) !== 'RIFF' || b.toString('ascii', 8, 12) !== 'WAVE') {
    throw new Error(`${path}: not a RIFF/WAVE file`);
  }
  let off = 12;
  let fmt = null;
  while (off + 8 <= b.length) {
    const id = b.toString('ascii', off, off + 4);
    const size = b.readUInt32LE(off + 4);
    const body = off + 8;
    if (id === 'fmt ') {
      fmt = {
        format: b.readUInt16LE(body),
        channels: b.readUInt16LE(body + 2),
        rate: b.readUInt32LE(body + 4),
        bits: b.readUInt16LE(body + 14),
      };
    } else if (id === 'data') {
      if (!fmt || fmt.format !== 1 || fmt.channels !== 1 || fmt.rate !== 16000 || fmt.bits !== 16) {
        throw new Error(`${path}: need PCM s16 16 kHz mono, got ${JSON.stringify(fmt)}`);
      }
      const n = Math.floor(Math.min(size, b.length - body) / 2);
      const pcm = new Int16Array(n);
      for (let i = 0; i < n; i++) pcm[i] = b.readInt16LE(body + 2 * i);
      return pcm;
    }
    off = body + size + (size & 1);
  }
  throw new Error(`${path}: no data chunk`);
}

const wavPath = args.wav ?? makeWav();
const utt = readWav(wavPath);
const FRAME = 320;
const uttFrames = [];
for (let i = 0; i < utt.length; i += FRAME) {
  const f = new Int16Array(FRAME);
  f.set(utt.subarray(i, Math.min(i + FRAME, utt.length)));
  uttFrames.push(f);
}
const rms = (f) => Math.sqrt(f.reduce((a, s) => a + s * s, 0) / f.length);
const VOICED_RMS = 300;
const voiced = uttFrames.map((f) => rms(f) > VOICED_RMS);
const firstVoiced = voiced.indexOf(true);
const lastVoiced = voiced.lastIndexOf(true);
if (firstVoiced < 0) throw new Error('utterance has no voiced frame');
const ZERO = new Int16Array(FRAME);

// ------------------------------------------------------------------ bridge

const bridge = spawn(process.execPath, [join(here, 'bridge.mjs'), '--port', '0', ...bridgeExtra], {
  stdio: ['ignore', 'pipe', 'inherit'],
  env: process.env,
});
let finished = false;
function finish(code, msg) {
  if (finished) return;
  finished = true;
  if (msg) console.log(msg);
  try {
    bridge.kill('SIGTERM');
  } catch {
    // gone already
  }
  if (tmpDir) rmSync(tmpDir, { recursive: true, force: true });
  setTimeout(() => process.exit(code), 200);
}
bridge.on('exit', (code) => {
  if (!finished) finish(1, `FAIL: bridge exited early (code ${code})`);
});
const port = await new Promise((resolve, reject) => {
  const rl = createInterface({ input: bridge.stdout });
  rl.once('line', (line) => {
    const m = /^listening (\d+)$/.exec(line);
    if (m) resolve(Number(m[1]));
    else reject(new Error(`unexpected first line from bridge: ${line}`));
  });
  setTimeout(() => reject(new Error('bridge did not start in 30 s')), 30000).unref();
});
setTimeout(() => finish(1, 'FAIL: timeout'), Number(args['timeout-s']) * 1000).unref();

// ------------------------------------------------------------------ call

const t0 = performance.now();
const ms = (t) => (t - t0).toFixed(1);
if (process.env.VOXA_BRIDGE_TRACE) console.log(`selftest t0 (bridge trace clock differs)`);
const ws = new WebSocket(`ws://127.0.0.1:${port}/selftest`, { perMessageDeflate: false });
await new Promise((res, rej) => {
  ws.once('open', res);
  ws.once('error', rej);
});

// send plan: 0.5 s zeros, utterance, zeros... then (later) utterance again
const plan = [];
for (let i = 0; i < 25; i++) plan.push({ pcm: ZERO });
uttFrames.forEach((pcm, i) => plan.push({ pcm, mark: i === lastVoiced ? 'lastVoiced1' : undefined }));
let planHead = 0;
const marks = {};
let talkOverQueued = false;

const recv = []; // arrival times of reply frames
const badSizes = [];
const texts = [];
ws.on('message', (data, isBinary) => {
  const now = performance.now();
  if (!isBinary) {
    texts.push({ t: now, msg: data.toString() });
    return;
  }
  if (data.length !== 640) badSizes.push(data.length);
  recv.push(now);
});

// real-time sender: one frame per 20 ms by a clock, catching up if late
let nextDue = performance.now();
function sendTick() {
  if (finished || ws.readyState !== WebSocket.OPEN) return;
  const now = performance.now();
  while (nextDue <= now + 1) {
    let item = planHead < plan.length ? plan[planHead++] : { pcm: ZERO };
    ws.send(Buffer.from(item.pcm.buffer, 0, FRAME * 2));
    if (item.mark) marks[item.mark] = nextDue; // the frame's scheduled send time
    nextDue += 20;
  }
  onTick(now);
  setTimeout(sendTick, Math.max(0, nextDue - performance.now()));
}

function onTick(now) {
  // after reply audio played for 1 s, talk over it
  if (!talkOverQueued && recv.length > 0 && now - recv[0] >= 1000) {
    talkOverQueued = true;
    plan.length = planHead; // drop the pending zeros (there are none queued)
    uttFrames.forEach((pcm, i) =>
      plan.push({ pcm, mark: i === firstVoiced ? 'talkOverOnset' : undefined }),
    );
  }
  if (talkOverQueued && marks.talkOverOnset !== undefined && !finishedAnalysis) {
    // reply "stopped" = no frame for 200 ms after the talk-over began
    const last = recv[recv.length - 1];
    if (now - last >= 200 && now - marks.talkOverOnset >= 200) analyse(now);
  }
}
let finishedAnalysis = false;

function stats(xs) {
  const n = xs.length;
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / n);
  const sorted = [...xs].sort((a, b) => a - b);
  const q = (p) => sorted[Math.min(n - 1, Math.floor(p * n))];
  return { n, mean, sd, min: sorted[0], p50: q(0.5), p99: q(0.99), max: sorted[n - 1] };
}

function analyse(now) {
  finishedAnalysis = true;
  // frames of the first reply: everything received before the stop gap
  const onset = marks.talkOverOnset;
  let lastIdx = recv.length - 1;
  const firstReply = recv.slice(0, lastIdx + 1);
  const stopAt = recv[lastIdx];
  const latency = recv[0] - marks.lastVoiced1;
  const ia = [];
  for (let i = 1; i < firstReply.length; i++) ia.push(firstReply[i] - firstReply[i - 1]);
  const st = stats(ia);
  const bargeIn = stopAt - onset;
  // arrival jitter vs an ideal 20 ms clock anchored at the first frame
  const dev = firstReply.map((t, i) => t - (firstReply[0] + 20 * i));
  const minDev = Math.min(...dev);
  const jit = dev.map((d) => d - minDev);

  console.log(`wav: ${wavPath} (${(utt.length / 16).toFixed(0)} ms, voiced frames ${firstVoiced}..${lastVoiced})`);
  console.log(`last voiced frame sent at t=${ms(marks.lastVoiced1)} ms; first reply frame at t=${ms(recv[0])} ms`);
  console.log(
    `reply latency (last voiced frame -> first reply frame): ${latency.toFixed(1)} ms; ` +
      `expected floor ${expectedMs} ms (vad ${S.vadStop} + stt ${S.stt} + ttft ${S.ttft} + ` +
      `${firstSentenceEnd}x${S.gap} tokens + ttfb ${S.ttfb}); overhead ${(latency - expectedMs).toFixed(1)} ms`,
  );
  console.log(
    `talk-over onset (first voiced frame) at t=${ms(onset)} ms; last reply frame at t=${ms(stopAt)} ms; ` +
      `barge-in stop ${bargeIn.toFixed(1)} ms after onset (interrupt-min ${S.interruptMin} ms)`,
  );
  console.log(
    `reply frames before stop: ${firstReply.length} (${(firstReply.length * 20).toFixed(0)} ms of audio); ` +
      `inter-arrival ms: mean ${st.mean.toFixed(2)} sd ${st.sd.toFixed(2)} min ${st.min.toFixed(2)} ` +
      `p50 ${st.p50.toFixed(2)} p99 ${st.p99.toFixed(2)} max ${st.max.toFixed(2)}; ` +
      `drift vs 20 ms clock: max ${Math.max(...jit).toFixed(2)} ms`,
  );
  console.log(`text messages: ${texts.map((x) => x.msg).join(' ')}`);
  const fails = [];
  if (badSizes.length) fails.push(`${badSizes.length} reply messages not 640 bytes (${badSizes.slice(0, 5)})`);
  if (!(latency > 0 && latency < 5000)) fails.push(`reply latency ${latency.toFixed(0)} ms out of range`);
  if (!(bargeIn > 0 && bargeIn < 1500)) fails.push(`barge-in ${bargeIn.toFixed(0)} ms out of range`);
  if (firstReply.length < 50) fails.push('reply stopped before the talk-over');
  const result = {
    latency_ms: +latency.toFixed(1),
    expected_floor_ms: expectedMs,
    overhead_ms: +(latency - expectedMs).toFixed(1),
    barge_in_stop_ms: +bargeIn.toFixed(1),
    interarrival_sd_ms: +st.sd.toFixed(2),
    interarrival_max_ms: +st.max.toFixed(2),
    frames: firstReply.length,
  };
  console.log(`result ${JSON.stringify(result)}`);
  ws.close();
  if (fails.length) finish(1, `FAIL: ${fails.join('; ')}`);
  else finish(0, 'PASS');
}

sendTick();
