// A live audio visualizer: the caller's and the assistant's levels as two rows of bars that
// scroll right to left, on a <canvas>.
//
//   const viz = new Visualizer(canvas, vapi);   // anything with getLocalAudioLevel() and
//   viz.start();                                 // getRemoteAudioLevel(), 0..1
//   viz.stop();                                  // on call-end (also stops drawing)
//
// Cheap enough for a phone: the levels come from the capture and playback worklets (no
// AnalyserNode, no FFT); one requestAnimationFrame loop samples them every `stepMs` into two
// preallocated ring buffers and redraws only when something changed; nothing is allocated
// per frame. The canvas keeps the size CSS gives it (times devicePixelRatio, read on resize).
// `canvas.dataset.input` / `dataset.output` hold the peak level of the bars on screen
// (tests and screen readers: give the canvas role="img" and a label).

export interface LevelSource {
  getLocalAudioLevel(): number;
  getRemoteAudioLevel(): number;
}

export interface VisualizerOptions {
  bars?: number; // per row (default 28)
  stepMs?: number; // one new bar this often (default 50)
  inputColor?: string; // default '#64748b'
  outputColor?: string; // default '#6366f1'
  gain?: number; // level -> bar height (default 4: speech RMS ~0.05-0.2 fills it)
}

export class Visualizer {
  private readonly ctx: CanvasRenderingContext2D | null;
  private readonly bars: number;
  private readonly stepMs: number;
  private readonly gain: number;
  private readonly inColor: string;
  private readonly outColor: string;
  private readonly input: Float32Array;
  private readonly output: Float32Array;
  private head = 0; // next slot to write
  private nonZero = 0; // bars with a level above 0
  private shownIn = -1; // the peaks in the dataset, in hundredths
  private shownOut = -1;
  private raf = 0;
  private lastStep = 0;
  private dirty = true;
  private width = 0;
  private height = 0;

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly source: LevelSource,
    opts: VisualizerOptions = {},
  ) {
    this.ctx = canvas.getContext('2d');
    this.bars = Math.max(4, Math.min(128, opts.bars ?? 28));
    this.stepMs = Math.max(16, opts.stepMs ?? 50);
    this.gain = opts.gain ?? 4;
    this.inColor = opts.inputColor ?? '#64748b';
    this.outColor = opts.outputColor ?? '#6366f1';
    this.input = new Float32Array(this.bars);
    this.output = new Float32Array(this.bars);
    this.frame = this.frame.bind(this);
  }

  start(): void {
    if (this.raf) return;
    this.lastStep = 0;
    this.dirty = true;
    this.raf = requestAnimationFrame(this.frame);
  }

  /** Stops sampling, clears the bars and draws the empty state once. */
  stop(): void {
    if (this.raf) cancelAnimationFrame(this.raf);
    this.raf = 0;
    this.input.fill(0);
    this.output.fill(0);
    this.nonZero = 0;
    this.dirty = true;
    this.draw();
  }

  private frame(now: number): void {
    this.raf = requestAnimationFrame(this.frame);
    if (now - this.lastStep >= this.stepMs) {
      this.lastStep = now;
      const i = Math.min(1, Math.max(0, this.source.getLocalAudioLevel() * this.gain));
      const o = Math.min(1, Math.max(0, this.source.getRemoteAudioLevel() * this.gain));
      // Silence on an empty screen scrolls nothing and draws nothing.
      if (i > 0 || o > 0 || this.nonZero > 0) {
        const slot = this.head;
        if (this.input[slot] > 0 || this.output[slot] > 0) this.nonZero--;
        this.input[slot] = i;
        this.output[slot] = o;
        if (i > 0 || o > 0) this.nonZero++;
        this.head = (slot + 1) % this.bars;
        this.dirty = true;
      }
    }
    if (this.dirty) this.draw();
  }

  private draw(): void {
    this.dirty = false;
    const ctx = this.ctx;
    if (!ctx) return;
    const c = this.canvas;
    const dpr = typeof devicePixelRatio === 'number' && devicePixelRatio > 0 ? devicePixelRatio : 1;
    const w = Math.max(1, Math.round(c.clientWidth * dpr));
    const h = Math.max(1, Math.round(c.clientHeight * dpr));
    if (w !== this.width || h !== this.height) {
      this.width = c.width = w;
      this.height = c.height = h;
    }
    ctx.clearRect(0, 0, w, h);
    const n = this.bars;
    const gap = Math.max(1, Math.floor(w / n / 4));
    const bw = Math.max(1, (w - gap * (n - 1)) / n);
    const mid = h / 2;
    const half = mid - Math.max(1, dpr);
    let peakIn = 0;
    let peakOut = 0;
    // Oldest at the left: slot head is the oldest.
    for (let k = 0; k < n; k++) {
      const s = (this.head + k) % n;
      const x = k * (bw + gap);
      const vo = this.output[s];
      const vi = this.input[s];
      if (vo > peakOut) peakOut = vo;
      if (vi > peakIn) peakIn = vi;
      const ho = Math.max(dpr, vo * half); // the assistant above the middle line
      const hi = Math.max(dpr, vi * half); // the caller below it
      ctx.fillStyle = this.outColor;
      ctx.fillRect(x, mid - ho, bw, ho);
      ctx.fillStyle = this.inColor;
      ctx.fillRect(x, mid + 1, bw, hi);
    }
    const pi = Math.round(peakIn * 100);
    const po = Math.round(peakOut * 100);
    if (pi !== this.shownIn) c.dataset.input = String((this.shownIn = pi) / 100);
    if (po !== this.shownOut) c.dataset.output = String((this.shownOut = po) / 100);
  }
}
