// Benchmark bridge: LiveKit Agents for Node (voice.AgentSession) driven over a
// plain WebSocket, without a LiveKit server or room.
//
// One WebSocket connection = one AgentSession. Binary messages from the client
// are PCM s16le 16 kHz mono (the session's audio input); the session's audio
// output is re-framed to 640-byte (20 ms) frames and sent back paced by a
// 20 ms clock, only while the agent speaks. STT, LLM and TTS are deterministic
// fakes implemented on LiveKit's own plugin base classes, so the real
// AgentSession / AgentActivity code (VAD, StreamAdapters, sentence tokenizer,
// endpointing, interruption, playout tracking) drives them.
//
// Usage: node bridge.mjs --port 0 [--stt-delay-ms 100] [--transcript TEXT]
//        [--llm-ttft-ms 200] [--llm-token-gap-ms 10] [--reply TEXT]
//        [--tts-ttfb-ms 100] [--tts-ms-per-word 300] [--vad-stop-ms 350]
//        [--interrupt-min-ms 200] [--max-endpointing-ms 3000]
//        [--vad-share ort|load] [--log-level warn]
//        [--turn-defaults] [--llm-url URL] [--stt fake|pocketsphinx] [--tts sine|flite]
//        [--tts-voice kal16]
// Prints exactly one line "listening <port>" on stdout once ready.
//
// For the turn-taking bench (bench/turns): --turn-defaults keeps LiveKit's own defaults for
// turn handling (Silero minSilenceDuration 550 ms, endpointing minDelay 500 / maxDelay 3000,
// interruption minDuration 500 with resumeFalseInterruption after 2 s on an output that can
// pause, preemptive generation on); --llm-url streams chat completions from an
// OpenAI-compatible server (the call's ?call=ID goes in the body as call.id, as Voxa's
// custom-llm sends it); --stt pocketsphinx recognizes each VAD segment with
// pocketsphinx_continuous (the en-us model Voxa's embedded transcriber uses); --tts flite
// speaks with the flite voice --tts-voice (Voxa's embedded voice).

import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ReadableStream } from 'node:stream/web';

import {
  initializeLogger,
  llm,
  stt,
  tts,
  voice,
  DEFAULT_API_CONNECT_OPTIONS,
} from '@livekit/agents';
import * as silero from '@livekit/agents-plugin-silero';
import { AudioFrame, AudioResampler } from '@livekit/rtc-node';
import { InferenceSession } from 'onnxruntime-node';
import { pino } from 'pino';
import { WebSocketServer } from 'ws';

// ---------------------------------------------------------------- options

const { values: argv } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    'stt-delay-ms': { type: 'string', default: '100' },
    transcript: { type: 'string', default: 'I would like to book an appointment.' },
    'llm-ttft-ms': { type: 'string', default: '200' },
    'llm-token-gap-ms': { type: 'string', default: '10' },
    reply: {
      type: 'string',
      default: 'Sure, I can help with that. What day works best for you?',
    },
    'tts-ttfb-ms': { type: 'string', default: '100' },
    'tts-ms-per-word': { type: 'string', default: '300' },
    'vad-stop-ms': { type: 'string', default: '350' },
    'interrupt-min-ms': { type: 'string', default: '200' },
    'max-endpointing-ms': { type: 'string', default: '3000' },
    // ort: one onnxruntime InferenceSession per process, one light silero.VAD per call
    // load: one silero.VAD.load() per process shared by every call (leaks, see README)
    'vad-share': { type: 'string', default: 'ort' },
    'log-level': { type: 'string', default: 'warn' },
    'turn-defaults': { type: 'boolean', default: false },
    'llm-url': { type: 'string', default: '' },
    stt: { type: 'string', default: 'fake' },
    tts: { type: 'string', default: 'sine' },
    'tts-voice': { type: 'string', default: 'kal16' },
    'ps-recognizer': { type: 'string', default: '' },
  },
  strict: true,
});

const num = (k) => {
  const v = Number(argv[k]);
  if (!Number.isFinite(v) || v < 0) {
    process.stderr.write(`bad --${k}: ${argv[k]}\n`);
    process.exit(2);
  }
  return v;
};

const OPT = {
  port: num('port'),
  sttDelayMs: num('stt-delay-ms'),
  transcript: argv.transcript,
  llmTtftMs: num('llm-ttft-ms'),
  llmTokenGapMs: num('llm-token-gap-ms'),
  reply: argv.reply,
  ttsTtfbMs: num('tts-ttfb-ms'),
  ttsMsPerWord: num('tts-ms-per-word'),
  vadStopMs: num('vad-stop-ms'),
  interruptMinMs: num('interrupt-min-ms'),
  maxEndpointingMs: num('max-endpointing-ms'),
  vadShare: argv['vad-share'],
  logLevel: argv['log-level'],
  turnDefaults: argv['turn-defaults'],
  llmUrl: argv['llm-url'].replace(/\/+$/, ''),
  stt: argv.stt,
  tts: argv.tts,
  ttsVoice: argv['tts-voice'],
  psRecognizer: argv['ps-recognizer'],
};
if (OPT.turnDefaults && !process.argv.includes('--vad-stop-ms')) OPT.vadStopMs = 550; // the plugin's default
if (OPT.vadShare !== 'ort' && OPT.vadShare !== 'load') {
  process.stderr.write(`bad --vad-share: ${OPT.vadShare}\n`);
  process.exit(2);
}

const SAMPLE_RATE = 16000;
const FRAME_SAMPLES = 320; // 20 ms
const FRAME_MS = 20;

// ---------------------------------------------------------------- logging
// initializeLogger() sets the options the framework reads; its pino logger
// writes to stdout, which must carry only the "listening" line, so the global
// logger is then replaced by one writing to stderr (same global slot that
// initializeLogger fills).
initializeLogger({ pretty: false, level: OPT.logLevel });
globalThis[Symbol.for('@livekit/agents:logger')] = pino(
  { level: OPT.logLevel, serializers: { error: pino.stdSerializers.err } },
  pino.destination({ fd: 2, sync: false }),
);
const logger = globalThis[Symbol.for('@livekit/agents:logger')];

// VOXA_BRIDGE_TRACE=1: per-stage timestamps on stderr (for latency breakdowns)
const TRACE = Boolean(process.env.VOXA_BRIDGE_TRACE);
const traceT0 = performance.now();
const trace = TRACE
  ? (what) => process.stderr.write(`trace ${(performance.now() - traceT0).toFixed(1)} ${what}\n`)
  : () => {};

// ---------------------------------------------------------------- fake STT

class FakeSTT extends stt.STT {
  label = 'voxa-bench.FakeSTT';

  constructor() {
    super({ streaming: false, interimResults: false });
  }

  async _recognize(_frames, abortSignal) {
    trace('stt.recognize called');
    await sleep(OPT.sttDelayMs, undefined, abortSignal ? { signal: abortSignal } : undefined);
    return {
      type: stt.SpeechEventType.FINAL_TRANSCRIPT,
      requestId: 'fake-stt',
      alternatives: [
        {
          language: 'en',
          text: OPT.transcript,
          startTime: 0,
          endTime: 0,
          confidence: 1,
        },
      ],
    };
  }

  stream() {
    throw new Error('FakeSTT is not streaming; AgentSession wraps it in stt.StreamAdapter');
  }
}

// ---------------------------------------------------------------- fake LLM

function replyTokens(text) {
  const words = text.split(/\s+/).filter((w) => w.length > 0);
  return words.map((w, i) => (i < words.length - 1 ? `${w} ` : w));
}

class FakeLLMStream extends llm.LLMStream {
  label = 'voxa-bench.FakeLLMStream';

  async run() {
    const signal = this.abortController.signal;
    const tokens = replyTokens(OPT.reply);
    const id = `fake-llm-${Date.now()}`;
    try {
      for (let i = 0; i < tokens.length; i++) {
        await sleep(i === 0 ? OPT.llmTtftMs : OPT.llmTokenGapMs, undefined, { signal });
        if (signal.aborted) return;
        trace(`llm token ${i} ${JSON.stringify(tokens[i])}`);
        this.queue.put({ id, delta: { role: 'assistant', content: tokens[i] } });
      }
    } catch (e) {
      if (signal.aborted) return; // cancelled: stop quietly
      throw e;
    }
  }
}

class FakeLLM extends llm.LLM {
  label() {
    return 'voxa-bench.FakeLLM';
  }

  chat({ chatCtx, toolCtx, connOptions = DEFAULT_API_CONNECT_OPTIONS }) {
    trace('llm.chat called');
    return new FakeLLMStream(this, { chatCtx, toolCtx, connOptions });
  }
}

// ---------------------------------------------------------------- fake TTS

const countWords = (text) => text.split(/\s+/).filter((w) => w.length > 0).length;

class FakeChunkedStream extends tts.ChunkedStream {
  label = 'voxa-bench.FakeChunkedStream';

  async run() {
    const signal = this.abortSignal;
    const text = this.inputText;
    const total = Math.round((countWords(text) * OPT.ttsMsPerWord * SAMPLE_RATE) / 1000);
    const chunk = SAMPLE_RATE / 10; // at most 100 ms per pushed frame
    const requestId = `fake-tts-${Date.now()}`;
    try {
      await sleep(OPT.ttsTtfbMs, undefined, { signal });
    } catch (e) {
      if (signal.aborted) return;
      throw e;
    }
    for (let off = 0; off < total && !signal.aborted; off += chunk) {
      const n = Math.min(chunk, total - off);
      const pcm = new Int16Array(n);
      for (let j = 0; j < n; j++) {
        pcm[j] = Math.round(8000 * Math.sin((2 * Math.PI * 220 * (off + j)) / SAMPLE_RATE));
      }
      this.queue.put({
        requestId,
        segmentId: requestId,
        frame: new AudioFrame(pcm, SAMPLE_RATE, 1, n),
        final: off + n >= total,
      });
    }
  }
}

class FakeTTS extends tts.TTS {
  label = 'voxa-bench.FakeTTS';

  constructor() {
    super(SAMPLE_RATE, 1, { streaming: false });
  }

  synthesize(text, connOptions, abortSignal) {
    trace(`tts.synthesize ${JSON.stringify(text)}`);
    return new FakeChunkedStream(text, this, connOptions, abortSignal);
  }

  stream() {
    throw new Error('FakeTTS is not streaming; AgentSession wraps it in tts.StreamAdapter');
  }
}

// ------------------------------------- turn-taking bench: real words, a model over HTTP

const run = promisify(execFile);
const PS_MODEL = '/usr/share/pocketsphinx/model/en-us';

async function withTmp(fn) {
  const dir = await mkdtemp(join(tmpdir(), 'voxa-bridge-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * --ps-recognizer PATH (ps-recognizer.c): two decoders that stay loaded; a segment goes to the
 * one with the shorter queue. Without it, pocketsphinx_continuous runs per segment (loading
 * the model every time: seconds on a busy machine).
 */
class PsPool {
  #procs = [];

  constructor(path, n = 2) {
    for (let i = 0; i < n; i++) {
      const proc = spawn(path, [], { stdio: ['pipe', 'pipe', 'inherit'] });
      const p = { proc, waiting: [], buf: '' };
      proc.stdout.setEncoding('utf8');
      proc.stdout.on('data', (d) => {
        p.buf += d;
        let nl;
        while ((nl = p.buf.indexOf('\n')) >= 0) {
          const line = p.buf.slice(0, nl);
          p.buf = p.buf.slice(nl + 1);
          p.waiting.shift()?.(line);
        }
      });
      proc.on('exit', (code) => {
        process.stderr.write(`ps-recognizer exited (${code})\n`);
        for (const w of p.waiting.splice(0)) w('');
      });
      this.#procs.push(p);
    }
  }

  recognize(pcm) {
    const p = this.#procs.reduce((a, b) => (b.waiting.length < a.waiting.length ? b : a));
    return new Promise((resolve) => {
      p.waiting.push(resolve);
      const len = Buffer.alloc(4);
      len.writeUInt32LE(pcm.length);
      p.proc.stdin.write(Buffer.concat([len, pcm]));
    });
  }

  close() {
    for (const p of this.#procs) p.proc.kill('SIGTERM');
  }
}
let psPool = null;

/** Non-streaming STT: pocketsphinx (Voxa's embedded engine and model) per VAD segment. */
class PocketsphinxSTT extends stt.STT {
  label = 'voxa-bench.PocketsphinxSTT';

  constructor(onTime) {
    super({ streaming: false, interimResults: false });
    this.onTime = onTime;   // (ms) => void: how long the segment took to recognize
  }

  async _recognize(frames, abortSignal) {
    const list = Array.isArray(frames) ? frames : [frames];
    const pcm = Buffer.concat(list.map((f) => Buffer.from(f.data.buffer, f.data.byteOffset, f.data.byteLength)));
    const rate = list[0]?.sampleRate ?? SAMPLE_RATE;
    const t0 = performance.now();
    if (OPT.psRecognizer && rate === SAMPLE_RATE) {
      psPool ??= new PsPool(OPT.psRecognizer);
      const text = (await psPool.recognize(pcm)).trim().toLowerCase();
      this.onTime?.(performance.now() - t0);
      trace(`stt.recognize ${(performance.now() - t0).toFixed(0)} ms ${JSON.stringify(text)}`);
      return {
        type: stt.SpeechEventType.FINAL_TRANSCRIPT,
        requestId: 'pocketsphinx',
        alternatives: [{ language: 'en', text, startTime: 0, endTime: 0, confidence: text ? 1 : 0 }],
      };
    }
    const text = await withTmp(async (dir) => {
      const raw = join(dir, 'in.raw');
      const wav = join(dir, 'in.wav');
      await writeFile(raw, pcm);
      await run('sox', ['-t', 'raw', '-r', String(rate), '-c', '1', '-e', 'signed', '-b', '16', raw,
                        '-r', '16000', '-c', '1', '-b', '16', '-e', 'signed', wav], { signal: abortSignal });
      const { stdout } = await run('pocketsphinx_continuous', ['-infile', wav, '-hmm', `${PS_MODEL}/en-us`,
        '-lm', `${PS_MODEL}/en-us.lm.bin`, '-dict', `${PS_MODEL}/cmudict-en-us.dict`, '-logfn', '/dev/null'],
      { maxBuffer: 1 << 20, signal: abortSignal });
      return stdout.replace(/\s+/g, ' ').trim().toLowerCase();
    });
    trace(`stt.recognize ${(performance.now() - t0).toFixed(0)} ms ${JSON.stringify(text)}`);
    return {
      type: stt.SpeechEventType.FINAL_TRANSCRIPT,
      requestId: 'pocketsphinx',
      alternatives: [{ language: 'en', text, startTime: 0, endTime: 0, confidence: text ? 1 : 0 }],
    };
  }

  stream() {
    throw new Error('PocketsphinxSTT is not streaming; AgentSession wraps it in stt.StreamAdapter');
  }
}

/** Chat completions streamed from an OpenAI-compatible server (--llm-url). */
class HttpLLMStream extends llm.LLMStream {
  label = 'voxa-bench.HttpLLMStream';

  constructor(owner, opts) {
    super(owner, opts);
    this.owner = owner;
  }

  async run() {
    const signal = this.abortController.signal;
    const messages = [];
    for (const item of this.chatCtx.items) {
      if (item.type !== 'message' || !['system', 'developer', 'user', 'assistant'].includes(item.role)) continue;
      messages.push({ role: item.role === 'developer' ? 'system' : item.role, content: item.textContent ?? '' });
    }
    const id = `http-llm-${Date.now()}`;
    try {
      const res = await fetch(`${OPT.llmUrl}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'turns', stream: true, messages, call: { id: this.owner.callId } }),
        signal,
      });
      const decoder = new TextDecoder();
      let buf = '';
      for await (const chunk of res.body) {
        buf += decoder.decode(chunk, { stream: true });
        let nl;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl).trim();
          buf = buf.slice(nl + 1);
          if (!line.startsWith('data:')) continue;
          const data = line.slice(5).trim();
          if (data === '[DONE]') return;
          const delta = JSON.parse(data).choices?.[0]?.delta?.content;
          if (delta) this.queue.put({ id, delta: { role: 'assistant', content: delta } });
        }
      }
    } catch (e) {
      if (signal.aborted) return;
      throw e;
    }
  }
}

class HttpLLM extends llm.LLM {
  constructor(callId) {
    super();
    this.callId = callId;
  }

  label() {
    return 'voxa-bench.HttpLLM';
  }

  chat({ chatCtx, toolCtx, connOptions = DEFAULT_API_CONNECT_OPTIONS }) {
    trace('llm.chat called');
    return new HttpLLMStream(this, { chatCtx, toolCtx, connOptions });
  }
}

/** flite CLI per sentence (Voxa's embedded voice is flite too). */
class FliteChunkedStream extends tts.ChunkedStream {
  label = 'voxa-bench.FliteChunkedStream';

  async run() {
    const signal = this.abortSignal;
    const requestId = `flite-${Date.now()}`;
    let pcm;
    try {
      pcm = await withTmp(async (dir) => {
        const wav = join(dir, 'o.wav');
        const raw = join(dir, 'o.raw');
        await run('flite', ['-voice', OPT.ttsVoice, '-t', this.inputText, '-o', wav], { signal });
        await run('sox', [wav, '-t', 'raw', '-r', String(SAMPLE_RATE), '-e', 'signed', '-b', '16', '-c', '1', raw], { signal });
        return readFile(raw);
      });
    } catch (e) {
      if (signal.aborted) return;
      throw e;
    }
    const total = pcm.length >> 1;
    const chunk = SAMPLE_RATE / 10;
    for (let off = 0; off < total && !signal.aborted; off += chunk) {
      const n = Math.min(chunk, total - off);
      const data = new Int16Array(n);
      new Uint8Array(data.buffer).set(pcm.subarray(off * 2, (off + n) * 2));
      this.queue.put({ requestId, segmentId: requestId, frame: new AudioFrame(data, SAMPLE_RATE, 1, n), final: off + n >= total });
    }
  }
}

class FliteTTS extends tts.TTS {
  label = 'voxa-bench.FliteTTS';

  constructor() {
    super(SAMPLE_RATE, 1, { streaming: false });
  }

  synthesize(text, connOptions, abortSignal) {
    trace(`tts.synthesize ${JSON.stringify(text)}`);
    return new FliteChunkedStream(text, this, connOptions, abortSignal);
  }

  stream() {
    throw new Error('FliteTTS is not streaming; AgentSession wraps it in tts.StreamAdapter');
  }
}

// ---------------------------------------------------------------- audio I/O

/** Session audio input fed by the WebSocket's binary messages. */
class WsAudioInput extends voice.AudioInput {
  #controller = null;
  #carry = null; // odd trailing byte of the previous message
  #closed = false;

  constructor() {
    super();
    const readable = new ReadableStream({
      start: (controller) => {
        this.#controller = controller;
      },
    });
    this.multiStream.addInputStream(readable);
  }

  push(buf) {
    if (this.#closed) return;
    let bytes = buf;
    if (this.#carry !== null) {
      bytes = Buffer.concat([this.#carry, buf]);
      this.#carry = null;
    }
    if (bytes.length % 2 === 1) {
      this.#carry = Buffer.from(bytes.subarray(bytes.length - 1));
      bytes = bytes.subarray(0, bytes.length - 1);
    }
    const samples = bytes.length / 2;
    if (samples === 0) return;
    // copy into a fresh (aligned) buffer; ws Buffers may share a pool at odd offsets
    const pcm = new Int16Array(samples);
    new Uint8Array(pcm.buffer).set(bytes);
    this.#controller.enqueue(new AudioFrame(pcm, SAMPLE_RATE, 1, samples));
  }

  async close() {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#controller.close();
    } catch {
      // already closed/cancelled by the consumer
    }
    await super.close();
  }
}

/**
 * Session audio output: re-frames to 20 ms, sends one frame per 20 ms tick of
 * a clock (catching up after a late timer), nothing while idle. Reports
 * playback started / finished to the AgentSession like RoomIO's
 * ParticipantAudioOutput does (finished when the last frame of a flushed
 * segment has been sent, or at clearBuffer() with interrupted=true and the
 * duration actually sent).
 */
class WsAudioOutput extends voice.AudioOutput {
  #send; // (Buffer) => void
  #queue = []; // Int16Array(320) frames waiting for the clock
  #qHead = 0;
  #partial = new Int16Array(FRAME_SAMPLES);
  #partialLen = 0;
  #resampler = null;
  #resamplerRate = 0;

  // current playback segment
  #segOpen = false; // frames captured since the last finished segment
  #segFlushed = false;
  #segSentFrames = 0;
  #segCapturedSamples = 0;
  #segStarted = false;
  #segDone = null; // {promise, resolve} resolved when the segment finishes

  // clock
  #timer = null;
  #nextDue = 0;
  #closed = false;

  // stats
  framesSent = 0;

  #paused = false;

  constructor(send, { pause = false } = {}) {
    super(SAMPLE_RATE, undefined, { pause });
    this.#send = send;
  }

  // --turn-defaults: LiveKit pauses the audio on a possible interruption and resumes it when
  // no words came (resumeFalseInterruption); the clock stops and keeps what is queued.
  pause() {
    super.pause?.();
    this.#paused = true;
    if (this.#timer !== null) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
  }

  resume() {
    super.resume?.();
    this.#paused = false;
    if (this.#pending() === 0 && this.#segOpen && this.#segFlushed) this.#finish(false);
    else this.#kick();
  }

  async captureFrame(frame) {
    // a new segment must wait until the previous flushed one played out
    // (same as ParticipantAudioOutput, which waits on its flush task)
    while (this.#segOpen && this.#segFlushed && this.#segDone) {
      await this.#segDone.promise;
    }
    if (this.#closed) return;
    await super.captureFrame(frame);
    if (!this.#segOpen) {
      this.#segOpen = true;
      this.#segFlushed = false;
      this.#segSentFrames = 0;
      this.#segCapturedSamples = 0;
      this.#segStarted = false;
      let resolve;
      const promise = new Promise((r) => (resolve = r));
      this.#segDone = { promise, resolve };
    }
    for (const f of this.#toOutputRate(frame)) this.#reframe(f);
    this.#kick();
  }

  #toOutputRate(frame) {
    if (frame.sampleRate === SAMPLE_RATE && frame.channels === 1) return [frame];
    if (!this.#resampler || this.#resamplerRate !== frame.sampleRate) {
      this.#resampler = new AudioResampler(frame.sampleRate, SAMPLE_RATE, 1);
      this.#resamplerRate = frame.sampleRate;
    }
    let f = frame;
    if (frame.channels !== 1) {
      const mono = new Int16Array(frame.samplesPerChannel);
      for (let i = 0; i < mono.length; i++) mono[i] = frame.data[i * frame.channels];
      f = new AudioFrame(mono, frame.sampleRate, 1, mono.length);
    }
    return this.#resampler.push(f);
  }

  #reframe(frame) {
    const d = frame.data;
    const n = frame.samplesPerChannel;
    this.#segCapturedSamples += n;
    let i = 0;
    while (i < n) {
      const take = Math.min(FRAME_SAMPLES - this.#partialLen, n - i);
      this.#partial.set(d.subarray(i, i + take), this.#partialLen);
      this.#partialLen += take;
      i += take;
      if (this.#partialLen === FRAME_SAMPLES) {
        this.#queue.push(this.#partial);
        this.#partial = new Int16Array(FRAME_SAMPLES);
        this.#partialLen = 0;
      }
    }
  }

  #pending() {
    return this.#queue.length - this.#qHead;
  }

  #kick() {
    if (this.#timer !== null || this.#pending() === 0 || this.#closed || this.#paused) return;
    // start (or restart after an underrun) the clock: first frame now
    this.#nextDue = performance.now();
    this.#tick();
  }

  #tick = () => {
    this.#timer = null;
    if (this.#closed || this.#paused) return;
    const now = performance.now();
    // send every frame that is due (catch up after a late timer, never ahead)
    while (this.#pending() > 0 && this.#nextDue <= now + 1) {
      const f = this.#queue[this.#qHead];
      this.#queue[this.#qHead++] = undefined;
      if (this.#qHead > 256 && this.#qHead * 2 > this.#queue.length) {
        this.#queue = this.#queue.slice(this.#qHead);
        this.#qHead = 0;
      }
      if (!this.#segStarted) {
        trace('output first frame sent');
        this.#segStarted = true;
        this.onPlaybackStarted(Date.now());
      }
      this.#send(Buffer.from(f.buffer, f.byteOffset, f.byteLength));
      this.framesSent++;
      this.#segSentFrames++;
      this.#nextDue += FRAME_MS;
    }
    if (this.#pending() > 0) {
      this.#timer = setTimeout(this.#tick, Math.max(0, this.#nextDue - performance.now()));
      return;
    }
    if (this.#segOpen && this.#segFlushed) {
      // the last frame is on the wire; report the end when it has played
      // (i.e. one frame period after it was sent)
      this.#timer = setTimeout(() => {
        this.#timer = null;
        if (this.#segOpen && this.#segFlushed && this.#pending() === 0) this.#finish(false);
        else this.#kick();
      }, Math.max(0, this.#nextDue - performance.now()));
    }
    // else: underrun while the segment is still being captured; captureFrame kicks again
  };

  flush() {
    super.flush();
    if (!this.#segOpen || this.#segFlushed) return;
    this.#segFlushed = true;
    if (this.#partialLen > 0) {
      // pad the last partial frame of the segment with zeros
      this.#partial.fill(0, this.#partialLen);
      this.#queue.push(this.#partial);
      this.#partial = new Int16Array(FRAME_SAMPLES);
      this.#partialLen = 0;
    }
    if (this.#timer === null) {
      if (this.#pending() > 0) this.#kick();
      else this.#finish(false);
    }
  }

  clearBuffer() {
    // stop at once, drop everything queued
    if (this.#timer !== null) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
    this.#queue = [];
    this.#qHead = 0;
    this.#partialLen = 0;
    this.#paused = false;
    if (this.#segOpen) {
      super.flush();
      this.#finish(true);
    }
  }

  #finish(interrupted) {
    if (!this.#segOpen) return;
    const sentSamples = Math.min(this.#segSentFrames * FRAME_SAMPLES, this.#segCapturedSamples);
    this.#segOpen = false;
    this.#segFlushed = false;
    const done = this.#segDone;
    this.#segDone = null;
    this.onPlaybackFinished({ playbackPosition: sentSamples / SAMPLE_RATE, interrupted });
    done?.resolve();
  }

  close() {
    this.clearBuffer();
    this.#closed = true;
    this.#resampler?.close?.();
    this.#resampler = null;
  }
}

// ---------------------------------------------------------------- VAD sharing

const vadOptions = {
  // silero plugin defaults (VAD.load() defaults) except minSilenceDuration
  minSpeechDuration: 50,
  minSilenceDuration: OPT.vadStopMs,
  prefixPaddingDuration: 500,
  maxBufferedSpeech: 60000,
  activationThreshold: 0.5,
  sampleRate: SAMPLE_RATE,
  forceCPU: true,
};

let sharedVad = null; // --vad-share load
let sharedOrt = null; // --vad-share ort

async function loadVad() {
  if (OPT.vadShare === 'load') {
    sharedVad = await silero.VAD.load({ minSilenceDuration: OPT.vadStopMs });
    return;
  }
  // The silero plugin's own model file, opened with the same session options
  // its loader uses; one InferenceSession serves every call.
  const modelPath = fileURLToPath(
    new URL('silero_vad.onnx', import.meta.resolve('@livekit/agents-plugin-silero')),
  );
  sharedOrt = await InferenceSession.create(modelPath, {
    interOpNumThreads: 1,
    intraOpNumThreads: 1,
    executionMode: 'sequential',
    executionProviders: [{ name: 'cpu' }],
  });
}

function vadForSession() {
  const vad = sharedVad ?? new silero.VAD(sharedOrt, { ...vadOptions });
  if (TRACE && !vad.__traced) {
    const orig = vad.stream.bind(vad);
    vad.stream = () => (trace('vad.stream created'), orig());
    vad.__traced = true;
  }
  return vad;
}

// ---------------------------------------------------------------- sessions

let activeSessions = 0;
let totalSessions = 0;

async function runCall(ws, callId) {
  activeSessions++;
  totalSessions++;
  const sendJson = (obj) => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(obj));
  };
  const input = new WsAudioInput();
  const output = new WsAudioOutput((buf) => {
    if (ws.readyState === ws.OPEN) ws.send(buf, { binary: true });
  }, { pause: OPT.turnDefaults });

  const session = new voice.AgentSession({
    vad: vadForSession(),
    // (the recognition time goes to the client as {"type":"bench-stt","ms"}: bench/turns
    // reports it, since this STT decodes after the end of speech and Voxa's while it is spoken)
    stt: OPT.stt === 'pocketsphinx' ? new PocketsphinxSTT((ms) => sendJson({ type: 'bench-stt', ms })) : new FakeSTT(),
    llm: OPT.llmUrl ? new HttpLLM(callId) : new FakeLLM(),
    tts: OPT.tts === 'flite' ? new FliteTTS() : new FakeTTS(),
    aecWarmupDuration: null,
    userAwayTimeout: null,
    // LiveKit's defaults, with VAD interruptions (the adaptive detector is off outside
    // LiveKit Cloud / dev mode anyway)
    turnHandling: OPT.turnDefaults ? { interruption: { mode: 'vad' } } : {
      turnDetection: 'vad',
      endpointing: { mode: 'fixed', minDelay: 0, maxDelay: OPT.maxEndpointingMs },
      interruption: {
        enabled: true,
        mode: 'vad',
        minDuration: OPT.interruptMinMs,
        minWords: 0,
        resumeFalseInterruption: false,
      },
      preemptiveGeneration: { enabled: false },
    },
  });

  session.on(voice.AgentSessionEventTypes.AgentStateChanged, (ev) => {
    if (ev.newState === 'speaking') {
      sendJson({ type: 'speech-update', role: 'assistant', status: 'started' });
    } else if (ev.oldState === 'speaking') {
      sendJson({ type: 'speech-update', role: 'assistant', status: 'stopped' });
    }
  });
  if (TRACE) {
    session.on(voice.AgentSessionEventTypes.UserStateChanged, (ev) => trace(`user ${ev.newState}`));
    session.on(voice.AgentSessionEventTypes.AgentStateChanged, (ev) => trace(`agent ${ev.newState}`));
    session.on(voice.AgentSessionEventTypes.ConversationItemAdded, (ev) =>
      trace(`item ${ev.item.role} interrupted=${ev.item.interrupted} ${JSON.stringify(ev.item.textContent)}`),
    );
    output.on(voice.AudioOutput.EVENT_PLAYBACK_FINISHED, (ev) => trace(`playback finished ${JSON.stringify(ev)}`));
    session.on(voice.AgentSessionEventTypes.UserInputTranscribed, (ev) =>
      trace(`transcribed final=${ev.isFinal}`),
    );
  }
  session.on(voice.AgentSessionEventTypes.Error, (ev) => {
    logger.warn({ error: ev.error }, 'session error');
  });

  let closed = false;
  let started = null;
  const cleanup = async () => {
    if (closed) return;
    closed = true;
    try {
      await started;
    } catch {
      // start failed; close anyway
    }
    try {
      await session.close();
    } catch (e) {
      logger.warn({ error: e }, 'session.close failed');
    }
    output.close();
    await input.close().catch(() => {});
    session.removeAllListeners();
    activeSessions--;
  };

  ws.on('message', (data, isBinary) => {
    if (!isBinary || closed) return;
    input.push(Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data));
  });
  ws.on('close', () => void cleanup());
  ws.on('error', () => void cleanup());

  // No room: the session's I/O is set before start(); start() without a room
  // keeps input.audio / output.audio as given.
  session.input.audio = input;
  session.output.audio = output;
  session.output.transcription = null;
  started = session.start({
    agent: new voice.Agent({ instructions: 'Voxa benchmark agent (fake LLM).' }),
  });
  try {
    await started;
  } catch (e) {
    logger.error({ error: e }, 'session.start failed');
    ws.close(1011, 'session start failed');
  }
}

// ---------------------------------------------------------------- server

await loadVad();
if (OPT.stt === 'pocketsphinx' && OPT.psRecognizer) psPool = new PsPool(OPT.psRecognizer);

const wss = new WebSocketServer({ host: '127.0.0.1', port: OPT.port, perMessageDeflate: false });
wss.on('connection', (ws, req) => {
  req.socket.setNoDelay(true);
  const callId = new URL(req.url ?? '/', 'ws://x').searchParams.get('call') ?? `bridge-${totalSessions + 1}`;
  void runCall(ws, callId);
});
wss.on('listening', () => {
  process.stdout.write(`listening ${wss.address().port}\n`);
});

if (process.env.VOXA_BRIDGE_STATS) {
  // run node with --expose-gc to report post-GC numbers
  setInterval(() => {
    globalThis.gc?.();
    const m = process.memoryUsage();
    process.stderr.write(
      `stats active=${activeSessions} total=${totalSessions} rss_mb=${(m.rss / 1048576).toFixed(1)} heap_mb=${(m.heapUsed / 1048576).toFixed(1)} ext_mb=${((m.external + m.arrayBuffers) / 1048576).toFixed(1)}\n`,
    );
  }, Number(process.env.VOXA_BRIDGE_STATS) || 5000).unref();
}

const shutdown = () => {
  psPool?.close();
  for (const c of wss.clients) c.terminate();
  wss.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
};
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
