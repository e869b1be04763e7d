// Voxa web calls from the browser: microphone -> Voxa's WebSocket transport -> speaker.
// The engine under the SDK's Vapi class (index.ts) and the dashboard's Talk panel.
//
//   const call = await startWebCall({ assistantId, onEvent: (e) => ... });
//   call.setMuted(true); call.send({ type: 'say', message: 'Hi' }); await call.hangUp();
//
// Steps: getUserMedia (a denied or absent microphone rejects before any call exists), then
// POST <baseUrl>/call/web with the vapi.websocket transport (s16le at the AudioContext's
// rate), then the returned webCallUrl (a WebSocket URL with the call's one-time token).
// Audio runs in an AudioContext at 16 kHz (`sampleRate`) with two AudioWorklets served
// from <baseUrl>/sdk/ (this package's src/worklets/, copied there by the build):
// capture-worklet.js posts 20 ms frames of s16le that are sent as binary messages;
// playback-worklet.js is a jitter buffer (starts at 100 ms buffered, silence + re-buffer on
// underrun, capped at 2 s, flushed at once on barge-in). No resampling in the page, no
// dependencies: a browser that cannot feed a microphone into a 16 kHz context (Firefox) gets
// a context at its own rate, and the call asks the server for audio at that rate instead.
//
// Muting keeps sending frames, but silent ones (zeros): the server's turn-taking sees the
// caller go quiet, and the call's clock and recording stay continuous.
//
// For tests, window.__voxaWebCall holds counters of the latest call (see WebCallDebug).

export type WebCallStatus = 'connecting' | 'live' | 'ended' | 'error';

export type WebCallEvent =
  | { type: 'status'; status: WebCallStatus; error?: string; callId?: string }
  | { type: 'transcript'; role: 'user' | 'assistant'; transcriptType: 'partial' | 'final'; transcript: string }
  | { type: 'speech'; role: 'user' | 'assistant'; status: 'started' | 'stopped' }
  | { type: 'level'; input: number; output: number } // 0..1, ~20 times a second
  | { type: 'message'; message: any }; // every JSON message from the server

export interface WebCallOptions {
  assistantId?: string;
  assistant?: object;
  assistantOverrides?: object;
  squadId?: string;
  squad?: object;
  workflowId?: string; // refused by Voxa (workflows are retired), passed on for its message
  workflow?: object;
  workflowOverrides?: object;
  publicKey?: string; // Authorization: Bearer <publicKey>; else same-origin cookie credentials
  baseUrl?: string; // default window.location.origin
  sampleRate?: number; // preferred audio rate, one of SERVER_RATES (default 16000)
  workletBaseUrl?: string; // where capture-worklet.js and playback-worklet.js are (default <baseUrl>/sdk/)
  onEvent: (e: WebCallEvent) => void;
}

export interface WebCall {
  readonly id: string;
  readonly muted: boolean;
  /** The POST /call/web answer (the call record plus webCallUrl). */
  readonly record: Record<string, any>;
  /** The latest levels (0..1): the microphone's last 20 ms frame, the speaker's last ~48 ms. */
  readonly inputLevel: number;
  readonly outputLevel: number;
  setMuted(m: boolean): void;
  /** A JSON message to the server (say, add-message, control, end-call); false if not live. */
  send(message: object): boolean;
  hangUp(): Promise<void>;
}

// Counters of the latest call, on window.__voxaWebCall (harmless in production).
interface WebCallDebug {
  callId: string | null;
  status: WebCallStatus;
  error: string | null;
  muted: boolean;
  sampleRate: number;
  framesSent: number; // binary frames sent (20 ms each; silent ones while muted included)
  framesDropped: number; // capture frames not sent (socket not open or backed up)
  framesReceived: number; // binary messages received
  bytesReceived: number;
  messagesReceived: number; // JSON messages received
  samplesPlayed: number; // samples output from the jitter buffer (not the silence padding)
  loudSamples: number; // of those, above -60 dBFS
  playedRms: number; // RMS (0..1) of the played samples
  playedPeak: number;
  underruns: number; // the buffer ran dry mid-stream (new audio came < 400 ms later)
  drains: number; // the buffer ran dry (end of each reply included)
  bufferedMs: number;
  droppedSamples: number; // dropped by the 2 s cap
  flushes: number; // barge-in flushes
  flushedSamples: number;
  inputLevel: number;
  outputLevel: number;
  startedAt: number; // Date.now()
  liveAt: number | null;
  endedAt: number | null;
}

const SAMPLE_RATE = 16000;
// The rates the WebSocket transport takes (docs/websocket.md); 20 ms is a whole number of
// samples at each.
const SERVER_RATES = [8000, 16000, 22050, 24000, 44100, 48000];
const MAX_WS_BUFFERED = 64 * 1024; // bytes queued on the socket before capture frames are dropped
const LEVEL_INTERVAL_MS = 50;

type PlaybackStats = {
  type: 'stats';
  level: number;
  samplesPlayed: number;
  loudSamples: number;
  playedRms: number;
  peak: number;
  underruns: number;
  drains: number;
  bufferedMs: number;
  droppedSamples: number;
  flushedSamples: number;
  flushes: number;
  receivedSamples: number;
};

function apiMessage(body: unknown, status: number): string {
  if (body && typeof body === 'object') {
    const m = (body as { message?: unknown }).message;
    if (typeof m === 'string' && m) return m;
    if (Array.isArray(m) && m.length) return m.map(String).join('; ');
    const e = (body as { error?: unknown }).error;
    if (typeof e === 'string' && e) return e;
  }
  return `The call could not be started (HTTP ${status})`;
}

function micError(err: unknown): Error {
  const name = err && typeof err === 'object' ? String((err as { name?: unknown }).name ?? '') : '';
  const detail = err instanceof Error && err.message ? ` (${err.message})` : '';
  if (name === 'NotAllowedError' || name === 'SecurityError' || name === 'PermissionDeniedError')
    return new Error('Microphone access was denied. Allow the microphone for this site and try again.');
  if (name === 'NotFoundError' || name === 'DevicesNotFoundError' || name === 'OverconstrainedError')
    return new Error('No microphone was found. Connect a microphone and try again.');
  if (name === 'NotReadableError' || name === 'TrackStartError')
    return new Error('The microphone is in use by another application or could not be started.');
  return new Error(`Microphone access failed${detail}.`);
}

function setDebug(d: WebCallDebug): void {
  if (typeof window !== 'undefined') (window as unknown as { __voxaWebCall?: WebCallDebug }).__voxaWebCall = d;
}

export async function startWebCall(opts: WebCallOptions): Promise<WebCall> {
  if (typeof window === 'undefined') throw new Error('Web calls run in a browser');
  const emit = (e: WebCallEvent) => {
    try {
      opts.onEvent(e);
    } catch (err) {
      console.error('webcall: onEvent threw', err);
    }
  };
  const baseUrl = (opts.baseUrl || window.location.origin).replace(/\/+$/, '');

  const dbg: WebCallDebug = {
    callId: null, status: 'connecting', error: null, muted: false, sampleRate: 0,
    framesSent: 0, framesDropped: 0, framesReceived: 0, bytesReceived: 0, messagesReceived: 0,
    samplesPlayed: 0, loudSamples: 0, playedRms: 0, playedPeak: 0, underruns: 0, drains: 0,
    bufferedMs: 0, droppedSamples: 0, flushes: 0, flushedSamples: 0, inputLevel: 0, outputLevel: 0,
    startedAt: Date.now(), liveAt: null, endedAt: null,
  };
  setDebug(dbg);

  let status: WebCallStatus = 'connecting';
  let ctx: AudioContext | null = null;
  let stream: MediaStream | null = null;
  let ws: WebSocket | null = null;
  let capture: AudioWorkletNode | null = null;
  let playback: AudioWorkletNode | null = null;
  let levelTimer: ReturnType<typeof setInterval> | null = null;
  let muted = false;
  let inputLevel = 0; // max RMS of the frames since the last level event
  let outputLevel = 0;
  let liveIn = 0; // the latest frame's level (for visualizers)
  let liveOut = 0;
  let carry: number | null = null; // odd trailing byte of a binary message
  let callId = '';

  const setStatus = (s: WebCallStatus, error?: string) => {
    if (status === s || status === 'ended' || status === 'error') return;
    status = s;
    dbg.status = s;
    if (error) dbg.error = error;
    if (s === 'live') dbg.liveAt = Date.now();
    if (s === 'ended' || s === 'error') dbg.endedAt = Date.now();
    const e: WebCallEvent = { type: 'status', status: s };
    if (error) e.error = error;
    if (callId) e.callId = callId;
    emit(e);
  };

  const teardown = async () => {
    liveIn = 0;
    liveOut = 0;
    if (levelTimer !== null) clearInterval(levelTimer);
    levelTimer = null;
    capture?.port.postMessage({ type: 'stop' });
    playback?.port.postMessage({ type: 'stop' });
    try {
      capture?.disconnect();
      playback?.disconnect();
    } catch {
      /* already disconnected */
    }
    stream?.getTracks().forEach((t) => t.stop());
    stream = null;
    if (ctx && ctx.state !== 'closed') {
      try {
        await ctx.close();
      } catch {
        /* closing twice */
      }
    }
  };

  const fail = async (err: Error): Promise<never> => {
    setStatus('error', err.message);
    if (ws && (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING)) ws.close(1000);
    await teardown();
    throw err;
  };

  emit({ type: 'status', status: 'connecting' });

  // The AudioContext is created before the first await, while the click that started the
  // call still counts as a user gesture (autoplay policies), and resumed right away.
  const preferred = opts.sampleRate ?? SAMPLE_RATE;
  if (!SERVER_RATES.includes(preferred))
    return fail(new Error(`sampleRate must be one of ${SERVER_RATES.join(', ')}`));
  try {
    ctx = new AudioContext({ sampleRate: preferred, latencyHint: 'interactive' });
  } catch {
    ctx = null;  // no such rate here: the device's own rate, below
  }
  let resumed = ctx ? ctx.resume().catch(() => undefined) : Promise.resolve(undefined);

  // 1. The microphone. Nothing is created on the server before it is granted.
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia)
    return fail(new Error('Microphone access is not available here (the page must be served over https or from localhost).'));
  try {
    stream = await navigator.mediaDevices.getUserMedia({
      audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true, channelCount: 1 },
    });
  } catch (err) {
    return fail(micError(err));
  }

  // 2. The audio graph (before the call, so a browser that cannot run it creates no call).
  // Firefox refuses to connect a microphone to a context at another rate than the device's:
  // then a context at the device's rate is used, and the call carries that rate.
  let source: MediaStreamAudioSourceNode;
  try {
    try {
      if (!ctx) throw new DOMException('no context at the preferred rate', 'NotSupportedError');
      source = ctx.createMediaStreamSource(stream);
    } catch (err) {
      if (!(err instanceof DOMException) || err.name !== 'NotSupportedError') throw err;
      if (ctx) await ctx.close().catch(() => undefined);
      ctx = new AudioContext({ latencyHint: 'interactive' });
      resumed = ctx.resume().catch(() => undefined);
      source = ctx.createMediaStreamSource(stream);
    }
    if (!SERVER_RATES.includes(ctx.sampleRate))
      throw new Error(`the audio device runs at ${ctx.sampleRate} Hz, which calls do not support`);
    dbg.sampleRate = ctx.sampleRate;
    await resumed;
    const worklets = (opts.workletBaseUrl || baseUrl + '/sdk/').replace(/\/*$/, '/');
    await ctx.audioWorklet.addModule(worklets + 'capture-worklet.js');
    await ctx.audioWorklet.addModule(worklets + 'playback-worklet.js');
    capture = new AudioWorkletNode(ctx, 'voxa-capture', {
      numberOfInputs: 1, numberOfOutputs: 1, outputChannelCount: [1],
      processorOptions: { frameSamples: ctx.sampleRate / 50 },
    });
    playback = new AudioWorkletNode(ctx, 'voxa-playback', { numberOfInputs: 0, numberOfOutputs: 1, outputChannelCount: [1] });
    playback.connect(ctx.destination);
    // The capture node outputs silence; a muted path to the destination keeps it pulled.
    const sink = ctx.createGain();
    sink.gain.value = 0;
    capture.connect(sink);
    sink.connect(ctx.destination);
  } catch (err) {
    return fail(new Error(`Audio could not be started: ${err instanceof Error ? err.message : String(err)}`));
  }

  // 3. The call.
  const body: Record<string, unknown> = {
    transport: {
      provider: 'vapi.websocket',
      audioFormat: { format: 'pcm_s16le', container: 'raw', sampleRate: ctx.sampleRate },
    },
  };
  if (opts.assistantId) body.assistantId = opts.assistantId;
  else if (opts.assistant) body.assistant = opts.assistant;
  if (opts.assistantOverrides) body.assistantOverrides = opts.assistantOverrides;
  if (opts.squadId) body.squadId = opts.squadId;
  else if (opts.squad) body.squad = opts.squad;
  if (opts.workflowId) body.workflowId = opts.workflowId;
  else if (opts.workflow) body.workflow = opts.workflow;
  if (opts.workflowOverrides) body.workflowOverrides = opts.workflowOverrides;
  const headers: Record<string, string> = { 'Content-Type': 'application/json' };
  if (opts.publicKey) headers.Authorization = `Bearer ${opts.publicKey}`;
  let call: { id?: string; webCallUrl?: string; transport?: { websocketCallUrl?: string } };
  try {
    const res = await fetch(`${baseUrl}/call/web`, {
      method: 'POST',
      headers,
      body: JSON.stringify(body),
      credentials: opts.publicKey ? 'omit' : 'include',
    });
    const text = await res.text();
    let parsed: unknown = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = null;
    }
    if (!res.ok) return fail(new Error(apiMessage(parsed, res.status)));
    call = (parsed || {}) as typeof call;
  } catch (err) {
    return fail(new Error(`The server could not be reached: ${err instanceof Error ? err.message : String(err)}`));
  }
  const url = call.webCallUrl || call.transport?.websocketCallUrl;
  if (!call.id || !url) return fail(new Error('The server did not return a webCallUrl for the call'));
  callId = call.id;
  dbg.callId = callId;

  // 4. The socket.
  const socket = new WebSocket(url);
  ws = socket;
  socket.binaryType = 'arraybuffer';
  let hangingUp = false;

  const onMessage = (ev: MessageEvent) => {
    if (typeof ev.data === 'string') {
      let msg: any;
      try {
        msg = JSON.parse(ev.data);
      } catch {
        return;
      }
      dbg.messagesReceived++;
      emit({ type: 'message', message: msg });
      if (!msg || typeof msg !== 'object') return;
      if (msg.type === 'transcript' && (msg.role === 'user' || msg.role === 'assistant')) {
        emit({
          type: 'transcript',
          role: msg.role,
          transcriptType: msg.transcriptType === 'final' ? 'final' : 'partial',
          transcript: String(msg.transcript ?? ''),
        });
      } else if (msg.type === 'speech-update' && (msg.role === 'user' || msg.role === 'assistant') &&
                 (msg.status === 'started' || msg.status === 'stopped')) {
        const reason = String(msg.reason ?? msg.stoppedReason ?? '');
        if (msg.role === 'assistant' && msg.status === 'stopped' && (msg.interrupted === true || /interrupt/i.test(reason)))
          playback?.port.postMessage({ type: 'flush' });
        emit({ type: 'speech', role: msg.role, status: msg.status });
      } else if (msg.type === 'user-interrupted') {
        playback?.port.postMessage({ type: 'flush' }); // barge-in: drop what is queued at once
      }
      return;
    }
    if (!(ev.data instanceof ArrayBuffer)) return;
    let bytes = new Uint8Array(ev.data);
    dbg.framesReceived++;
    dbg.bytesReceived += bytes.length;
    if (carry !== null) {
      const joined = new Uint8Array(bytes.length + 1);
      joined[0] = carry;
      joined.set(bytes, 1);
      bytes = joined;
      carry = null;
    }
    if (bytes.length & 1) {
      carry = bytes[bytes.length - 1];
      bytes = bytes.subarray(0, bytes.length - 1);
    }
    if (!bytes.length) return;
    const pcm = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
      ? (bytes.buffer as ArrayBuffer) : bytes.slice().buffer;
    playback?.port.postMessage({ type: 'pcm', pcm }, [pcm]);
  };

  const opened = new Promise<void>((resolve, reject) => {
    socket.onopen = () => resolve();
    socket.onerror = () => reject(new Error('The call connection could not be opened'));
    socket.onclose = (ev) => reject(new Error(`The call connection closed before it opened (code ${ev.code})`));
  });
  try {
    await opened;
  } catch (err) {
    return fail(err as Error);
  }

  socket.onmessage = onMessage;
  socket.onerror = null;
  socket.onclose = (ev) => {
    const clean = hangingUp || ev.code === 1000 || ev.code === 1001 || ev.code === 1005;
    if (clean) setStatus('ended');
    else setStatus('error', `The call connection was lost (code ${ev.code}${ev.reason ? `: ${ev.reason}` : ''})`);
    void teardown();
  };

  const zeros = new ArrayBuffer((ctx.sampleRate / 50) * 2);  // one silent 20 ms frame
  capture.port.onmessage = (ev: MessageEvent) => {
    const d = ev.data as { pcm: ArrayBuffer; rms: number };
    if (!d || !d.pcm) return;
    if (socket.readyState !== WebSocket.OPEN || socket.bufferedAmount > MAX_WS_BUFFERED) {
      dbg.framesDropped++;
      return;
    }
    socket.send(muted ? zeros : d.pcm);
    dbg.framesSent++;
    const level = muted ? 0 : Math.min(1, d.rms);
    liveIn = level;
    if (level > inputLevel) inputLevel = level;
  };
  playback.port.onmessage = (ev: MessageEvent) => {
    const s = ev.data as PlaybackStats;
    if (!s || s.type !== 'stats') return;
    liveOut = s.level;
    if (s.level > outputLevel) outputLevel = s.level;
    dbg.samplesPlayed = s.samplesPlayed;
    dbg.loudSamples = s.loudSamples;
    dbg.playedRms = s.playedRms;
    dbg.playedPeak = s.peak;
    dbg.underruns = s.underruns;
    dbg.drains = s.drains;
    dbg.bufferedMs = s.bufferedMs;
    dbg.droppedSamples = s.droppedSamples;
    dbg.flushes = s.flushes;
    dbg.flushedSamples = s.flushedSamples;
  };
  stream.getAudioTracks().forEach((t) => {
    t.onended = () => {
      if (status === 'live') void hangUpImpl('The microphone stopped');
    };
  });

  // Start capturing only now that frames can be sent.
  source.connect(capture);
  levelTimer = setInterval(() => {
    dbg.inputLevel = inputLevel;
    dbg.outputLevel = outputLevel;
    emit({ type: 'level', input: inputLevel, output: outputLevel });
    inputLevel = 0;
    outputLevel = 0;
  }, LEVEL_INTERVAL_MS);
  setStatus('live');

  let hangUpPromise: Promise<void> | null = null;
  async function hangUpImpl(error?: string): Promise<void> {
    if (hangUpPromise) return hangUpPromise;
    hangingUp = true;
    hangUpPromise = (async () => {
      if (socket.readyState === WebSocket.OPEN) {
        try {
          socket.send(JSON.stringify({ type: 'end-call' }));
        } catch {
          /* closing */
        }
        // Queued messages go out before the close frame.
        socket.close(1000, 'hang-up');
      } else if (socket.readyState === WebSocket.CONNECTING) {
        socket.close(1000);
      }
      if (error) setStatus('error', error);
      else setStatus('ended');
      await teardown();
    })();
    return hangUpPromise;
  }

  return {
    get id() {
      return callId;
    },
    get muted() {
      return muted;
    },
    get record() {
      return call as Record<string, any>;
    },
    get inputLevel() {
      return liveIn;
    },
    get outputLevel() {
      return liveOut;
    },
    send(message: object) {
      if (socket.readyState !== WebSocket.OPEN) return false;
      socket.send(JSON.stringify(message));
      return true;
    },
    setMuted(m: boolean) {
      muted = !!m;
      dbg.muted = muted;
    },
    hangUp: () => hangUpImpl(),
  };
}
