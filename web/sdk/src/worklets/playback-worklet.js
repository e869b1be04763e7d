// Voxa web call: playback of the assistant's audio (AudioWorklet, runs on the audio thread).
//
// A jitter buffer between the WebSocket (bursty, 20 ms frames of s16le at 16 kHz) and the
// audio clock:
//   - playing starts once `prebufferMs` (default 100 ms) is buffered;
//   - an underrun (buffer empty while playing) outputs silence and waits for `prebufferMs`
//     again before resuming;
//   - the buffer is capped at `maxBufferMs` (default 2 s): past it the oldest audio is dropped;
//   - {type:'flush'} drops everything at once (barge-in).
// Messages in (port): {type:'pcm', pcm: ArrayBuffer (s16le)}, {type:'flush'}, {type:'stop'},
//                     {type:'config', prebufferMs, maxBufferMs}
// Messages out: {type:'stats', ...} about every 48 ms (6 render quanta): the output RMS of
// that period plus running counters, see postStats().
// Nothing is resampled: the server sends audio at the context's rate.
'use strict';

const QUIET = 0.001; // a |sample| above -60 dBFS counts as "loud" (real energy)
// A drain followed by new audio within this many ms is a glitch (an underrun) rather than the
// end of an utterance.
const GLITCH_MS = 400;

class VoxaPlayback extends AudioWorkletProcessor {
  constructor() {
    super();
    this.rate = sampleRate; // AudioWorkletGlobalScope
    this.prebuffer = Math.round(this.rate * 0.1);
    this.maxBuffer = Math.round(this.rate * 2);
    this.chunks = []; // Float32Array[]
    this.head = 0; // read offset into chunks[0]
    this.buffered = 0; // samples queued
    this.playing = false;
    this.stopped = false;
    this.drainedAtFrame = -1; // currentFrame when the buffer last ran dry while playing
    // counters
    this.samplesPlayed = 0; // samples taken from the buffer and output
    this.loudSamples = 0;
    this.sumSquares = 0; // over all played samples
    this.peak = 0;
    this.underruns = 0;
    this.drains = 0;
    this.dropped = 0; // samples dropped by the cap
    this.flushed = 0; // samples dropped by flushes
    this.flushes = 0;
    this.received = 0; // samples received
    // level of the current stats period
    this.periodSquares = 0;
    this.periodSamples = 0;
    this.quanta = 0;
    this.port.onmessage = (e) => this.onMessage(e.data);
  }

  onMessage(m) {
    if (!m) return;
    if (m.type === 'pcm') {
      const s16 = new Int16Array(m.pcm);
      if (!s16.length) return;
      const f = new Float32Array(s16.length);
      for (let i = 0; i < s16.length; i++) f[i] = s16[i] / 32768;
      if (this.drainedAtFrame >= 0) {
        const gapMs = ((currentFrame - this.drainedAtFrame) / this.rate) * 1000;
        if (gapMs < GLITCH_MS) this.underruns++;
        this.drainedAtFrame = -1;
      }
      this.chunks.push(f);
      this.buffered += f.length;
      this.received += f.length;
      this.enforceCap();
    } else if (m.type === 'flush') {
      this.flushes++;
      this.flushed += this.buffered;
      this.chunks = [];
      this.head = 0;
      this.buffered = 0;
      this.playing = false;
      this.drainedAtFrame = -1;
      this.postStats(true);
    } else if (m.type === 'config') {
      if (m.prebufferMs > 0) this.prebuffer = Math.round((this.rate * m.prebufferMs) / 1000);
      if (m.maxBufferMs > 0) this.maxBuffer = Math.round((this.rate * m.maxBufferMs) / 1000);
    } else if (m.type === 'stop') {
      this.stopped = true;
    }
  }

  enforceCap() {
    let excess = this.buffered - this.maxBuffer;
    while (excess > 0 && this.chunks.length) {
      const c = this.chunks[0];
      const left = c.length - this.head;
      if (left <= excess) {
        this.chunks.shift();
        this.head = 0;
        this.buffered -= left;
        this.dropped += left;
        excess -= left;
      } else {
        this.head += excess;
        this.buffered -= excess;
        this.dropped += excess;
        excess = 0;
      }
    }
  }

  process(_inputs, outputs) {
    if (this.stopped) return false;
    const out = outputs[0];
    const ch = out[0];
    const n = ch.length;
    let i = 0;
    if (!this.playing && this.buffered >= this.prebuffer) this.playing = true;
    if (this.playing) {
      while (i < n && this.buffered > 0) {
        const c = this.chunks[0];
        const take = Math.min(n - i, c.length - this.head);
        for (let k = 0; k < take; k++) {
          const v = c[this.head + k];
          ch[i + k] = v;
          const a = v < 0 ? -v : v;
          this.sumSquares += v * v;
          this.periodSquares += v * v;
          if (a > QUIET) this.loudSamples++;
          if (a > this.peak) this.peak = a;
        }
        i += take;
        this.head += take;
        this.buffered -= take;
        this.samplesPlayed += take;
        if (this.head >= c.length) {
          this.chunks.shift();
          this.head = 0;
        }
      }
      if (this.buffered === 0) {
        // Ran dry: silence until prebufferMs is queued again.
        this.playing = false;
        this.drains++;
        this.drainedAtFrame = currentFrame + i;
      }
    }
    for (; i < n; i++) ch[i] = 0;
    for (let c = 1; c < out.length; c++) out[c].set(ch);
    this.periodSamples += n;
    if (++this.quanta % 6 === 0) this.postStats(false);
    return true;
  }

  postStats(flush) {
    const level = this.periodSamples ? Math.sqrt(this.periodSquares / this.periodSamples) : 0;
    this.periodSquares = 0;
    this.periodSamples = 0;
    this.port.postMessage({
      type: 'stats',
      level: flush ? 0 : Math.min(1, level),
      samplesPlayed: this.samplesPlayed,
      loudSamples: this.loudSamples,
      playedRms: this.samplesPlayed ? Math.sqrt(this.sumSquares / this.samplesPlayed) : 0,
      peak: this.peak,
      underruns: this.underruns,
      drains: this.drains,
      bufferedMs: (this.buffered / this.rate) * 1000,
      droppedSamples: this.dropped,
      flushedSamples: this.flushed,
      flushes: this.flushes,
      receivedSamples: this.received,
    });
  }
}

registerProcessor('voxa-playback', VoxaPlayback);
