// Voxa web call: microphone capture (AudioWorklet, runs on the audio thread).
//
// Collects the mono input into 20 ms frames (processorOptions.frameSamples: 320 at 16 kHz), converts
// them from Float32 to signed 16-bit little-endian PCM and posts each frame to the main
// thread as a transferred ArrayBuffer, with the frame's RMS (0..1):
//   port.postMessage({ pcm: ArrayBuffer(640), rms: number }, [pcm])
// Nothing is resampled: the call carries audio at the context's rate.
// Loaded by web/sdk/src/webcall.ts with audioWorklet.addModule('<baseUrl>/sdk/capture-worklet.js').
'use strict';

class VoxaCapture extends AudioWorkletProcessor {
  constructor(options) {
    super();
    const o = (options && options.processorOptions) || {};
    this.frameSamples = o.frameSamples > 0 ? o.frameSamples : Math.round(sampleRate / 50); // 20 ms
    this.frame = new Int16Array(this.frameSamples);
    this.fill = 0;
    this.sumSquares = 0;
    this.stopped = false;
    this.port.onmessage = (e) => {
      if (e.data && e.data.type === 'stop') this.stopped = true;
    };
  }

  process(inputs) {
    if (this.stopped) return false;
    const input = inputs[0];
    const ch = input && input[0];
    if (!ch) return true; // no input connected yet (or the track ended): nothing to send
    const ch2 = input.length > 1 ? input[1] : null; // a stereo device: average the channels
    for (let i = 0; i < ch.length; i++) {
      let v = ch2 ? (ch[i] + ch2[i]) * 0.5 : ch[i];
      if (v > 1) v = 1;
      else if (v < -1) v = -1;
      this.sumSquares += v * v;
      this.frame[this.fill++] = v < 0 ? Math.round(v * 32768) : Math.round(v * 32767);
      if (this.fill === this.frameSamples) {
        const pcm = this.frame.buffer;
        const rms = Math.sqrt(this.sumSquares / this.frameSamples);
        this.port.postMessage({ pcm, rms }, [pcm]);
        this.frame = new Int16Array(this.frameSamples);
        this.fill = 0;
        this.sumSquares = 0;
      }
    }
    return true;
  }
}

registerProcessor('voxa-capture', VoxaCapture);
