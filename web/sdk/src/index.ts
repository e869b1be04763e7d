// @voxa/web: the public API of @vapi-ai/web, over Voxa's WebSocket transport.
//
//   import Vapi from 'https://voxa.example.com/sdk/voxa-web.js';   // or the UMD bundle: window.Vapi
//   const vapi = new Vapi('<public key>', 'https://voxa.example.com');
//   vapi.on('call-start', () => ...); vapi.on('message', (m) => ...);
//   await vapi.start('<assistant id>');        // or an inline assistant, + overrides
//   vapi.send({ type: 'add-message', message: { role: 'system', content: '...' } });
//   vapi.say('Goodbye', true); vapi.setMuted(true); vapi.stop();
//
// What matches @vapi-ai/web (read from its source, v2.6): the constructor (publicKey,
// baseUrl), start(assistant, assistantOverrides, squad, workflow, workflowOverrides, options)
// resolving to the call (or null after an `error` event: start never throws once the call is
// asked for), stop(), end(), send(), say(message, endCallAfterSpoken, interruptionsEnabled,
// interruptAssistantEnabled), setMuted(), isMuted(), getLocalAudioLevel(), and the events:
//   call-start        the call's socket is open and audio flows
//   call-end          it closed (after a status-update "ended" message, made up as
//                     customer-ended-call when the server sent none, as Vapi does)
//   speech-start/-end the assistant's audio as played: above 0.01, and 1 s below it
//   volume-level      the assistant's level, 0..1 (RMS / 0.15, capped), every 50 ms
//   local-volume-level the microphone's level, 0..1, every 50 ms
//   message           every JSON message from the server (transcript, speech-update, ...)
//   error             {type, stage?, error: {message, name?}, timestamp}
//   call-start-progress / call-start-success / call-start-failed
// Daily-only parts (video, recording, network tests, device pickers) are absent.
// Without a key (the dashboard) the same-origin session cookie is used. The default base
// URL is the origin this script was loaded from.
import { startWebCall, type WebCall, type WebCallEvent } from './webcall';
import { Visualizer, type LevelSource, type VisualizerOptions } from './visualizer';

export { startWebCall, Visualizer };
export type { WebCall, WebCallEvent, LevelSource, VisualizerOptions };

type Listener = (...args: any[]) => void;

/** The part of Node's EventEmitter that @vapi-ai/web users call. */
class Emitter {
  private listeners = new Map<string, Listener[]>();

  on(event: string, fn: Listener): this {
    const l = this.listeners.get(event);
    if (l) l.push(fn);
    else this.listeners.set(event, [fn]);
    return this;
  }
  addListener(event: string, fn: Listener): this {
    return this.on(event, fn);
  }
  once(event: string, fn: Listener): this {
    const wrap: Listener = (...args) => {
      this.removeListener(event, wrap);
      fn(...args);
    };
    (wrap as any).listener = fn;
    return this.on(event, wrap);
  }
  removeListener(event: string, fn: Listener): this {
    const l = this.listeners.get(event);
    if (!l) return this;
    const i = l.findIndex((x) => x === fn || (x as any).listener === fn);
    if (i >= 0) l.splice(i, 1);
    return this;
  }
  off(event: string, fn: Listener): this {
    return this.removeListener(event, fn);
  }
  removeAllListeners(event?: string): this {
    if (event === undefined) this.listeners.clear();
    else this.listeners.delete(event);
    return this;
  }
  listenerCount(event: string): number {
    return this.listeners.get(event)?.length ?? 0;
  }
  emit(event: string, ...args: any[]): boolean {
    const l = this.listeners.get(event);
    if (!l || !l.length) return false;
    for (const fn of l.slice()) {
      try {
        fn(...args);
      } catch (err) {
        console.error(`vapi: a '${event}' listener threw`, err);
      }
    }
    return true;
  }
}

// The origin this script came from: the default base URL (the SDK is served by Voxa).
const scriptOrigin: string | null = (() => {
  try {
    const src = (import.meta as { url?: string }).url;
    if (src) return new URL(src).origin;
  } catch {
    /* not an ES module */
  }
  try {
    const cur = typeof document !== 'undefined' ? (document.currentScript as HTMLScriptElement | null) : null;
    if (cur && cur.src) return new URL(cur.src).origin;
  } catch {
    /* no document */
  }
  return null;
})();

const SPEAKING_LEVEL = 0.01;
const SPEECH_END_MS = 1000;

function serializeError(err: unknown): { message: string; name?: string } {
  if (err instanceof Error) return { message: err.message, name: err.name };
  if (typeof err === 'string') return { message: err };
  return { message: String(err) };
}

export interface StartCallOptions {
  roomDeleteOnUserLeaveEnabled?: boolean; // accepted for compatibility; a socket has no room
}

export default class Vapi extends Emitter {
  private readonly key: string;
  private readonly baseUrl: string;
  private call: WebCall | null = null;
  private started = false;
  private live = false;
  private mutedWanted = false;
  private speaking = false;
  private speakingTimer: ReturnType<typeof setTimeout> | null = null;
  private endedStatusSeen = false;

  constructor(publicKey: string, baseUrl?: string, ..._daily: unknown[]) {
    super();
    this.key = publicKey || '';
    const base = baseUrl || scriptOrigin || (typeof window !== 'undefined' ? window.location.origin : '');
    this.baseUrl = base.replace(/\/+$/, '');
  }

  /**
   * Starts a call with an assistant id or an inline assistant (or a squad: the third
   * argument). Resolves to the call record (with webCallUrl), or null when a call is already
   * running or the start failed (an `error` event says why).
   */
  async start(
    assistant?: object | string,
    assistantOverrides?: object,
    squad?: object | string,
    workflow?: object | string,
    workflowOverrides?: object,
    _options?: StartCallOptions,
  ): Promise<Record<string, any> | null> {
    const t0 = Date.now();
    if (!assistant && !squad && !workflow) {
      const err = new Error('Assistant or Squad or Workflow must be provided.');
      this.emit('error', { type: 'validation-error', stage: 'input-validation', error: serializeError(err), timestamp: new Date().toISOString() });
      throw err;
    }
    if (this.started) {
      this.emit('call-start-progress', { stage: 'validation', status: 'failed', timestamp: new Date().toISOString(), metadata: { reason: 'already-started' } });
      return null;
    }
    this.started = true;
    this.endedStatusSeen = false;
    this.emit('call-start-progress', { stage: 'web-call-creation', status: 'started', timestamp: new Date().toISOString() });
    const body: Record<string, unknown> = {};
    if (typeof assistant === 'string') body.assistantId = assistant;
    else if (assistant) body.assistant = assistant;
    if (assistantOverrides) body.assistantOverrides = assistantOverrides;
    if (typeof squad === 'string') body.squadId = squad;
    else if (squad) body.squad = squad;
    if (typeof workflow === 'string') body.workflowId = workflow;
    else if (workflow) body.workflow = workflow;
    if (workflowOverrides) body.workflowOverrides = workflowOverrides;
    try {
      const call = await startWebCall({
        ...body,
        publicKey: this.key || undefined,
        baseUrl: this.baseUrl,
        onEvent: (e) => this.onCallEvent(e),
      });
      if (!this.started) {
        // stop() was called while the call was being set up.
        await call.hangUp();
        return null;
      }
      this.call = call;
      call.setMuted(this.mutedWanted);
      this.emit('call-start-success', { totalDuration: Date.now() - t0, callId: call.id, timestamp: new Date().toISOString() });
      return call.record;
    } catch (err) {
      const error = serializeError(err);
      this.started = false;
      this.emit('call-start-failed', { stage: 'unknown', totalDuration: Date.now() - t0, error: error.message, timestamp: new Date().toISOString(), context: {} });
      this.emit('error', { type: 'start-method-error', stage: 'unknown', error, totalDuration: Date.now() - t0, timestamp: new Date().toISOString() });
      return null;
    }
  }

  private onCallEvent(e: WebCallEvent): void {
    switch (e.type) {
      case 'status':
        if (e.status === 'live') {
          this.live = true;
          this.emit('call-start');
        } else if (e.status === 'ended' || e.status === 'error') {
          if (!this.live) return; // a start that failed: start() reports it
          if (e.status === 'error' && e.error)
            this.emit('error', { type: 'connection-error', error: { message: e.error }, timestamp: new Date().toISOString() });
          this.finish();
        }
        break;
      case 'message': {
        const m = e.message;
        if (m && m.type === 'status-update' && m.status === 'ended') this.endedStatusSeen = true;
        this.emit('message', m);
        break;
      }
      case 'level': {
        this.emit('volume-level', Math.min(1, e.output / 0.15));
        this.emit('local-volume-level', Math.min(1, e.input));
        if (e.output > SPEAKING_LEVEL) {
          if (this.speakingTimer) clearTimeout(this.speakingTimer);
          else if (!this.speaking) {
            this.speaking = true;
            this.emit('speech-start');
          }
          this.speakingTimer = setTimeout(() => {
            this.speakingTimer = null;
            this.speaking = false;
            this.emit('speech-end');
          }, SPEECH_END_MS);
        }
        break;
      }
      default:
        break;
    }
  }

  private finish(): void {
    const wasLive = this.live;
    this.live = false;
    this.started = false;
    this.call = null;
    if (this.speakingTimer) {
      clearTimeout(this.speakingTimer);
      this.speakingTimer = null;
    }
    if (this.speaking) {
      this.speaking = false;
      this.emit('speech-end');
    }
    if (!wasLive) return;
    this.emit('call-end');
    if (!this.endedStatusSeen) {
      this.endedStatusSeen = true;
      this.emit('message', { type: 'status-update', status: 'ended', endedReason: 'customer-ended-call' });
    }
  }

  /** Hangs up: the socket closes (the call ends with customer-ended-call). */
  async stop(): Promise<void> {
    const call = this.call;
    this.started = false;
    if (call) await call.hangUp();
  }

  /** Asks the server to end the call (end-call), then hangs up. */
  end(): void {
    this.send({ type: 'end-call' });
    void this.stop();
  }

  /** add-message, control, say or end-call, as JSON to the server (docs/websocket.md). */
  send(message: object): void {
    this.call?.send(message);
  }

  say(message: string, endCallAfterSpoken?: boolean, interruptionsEnabled?: boolean, interruptAssistantEnabled?: boolean): void {
    this.send({
      type: 'say',
      message,
      endCallAfterSpoken,
      interruptionsEnabled: interruptionsEnabled ?? false,
      interruptAssistantEnabled: interruptAssistantEnabled ?? false,
    });
  }

  /** Muting sends silence (the server hears the caller go quiet). */
  setMuted(mute: boolean): void {
    this.mutedWanted = !!mute;
    this.call?.setMuted(this.mutedWanted);
  }

  isMuted(): boolean {
    return this.call ? this.call.muted : false;
  }

  /** The microphone's latest level, 0..1 (0 without a call). */
  getLocalAudioLevel(): number {
    return this.call ? this.call.inputLevel : 0;
  }

  /** The assistant's latest level as played, 0..1 (0 without a call). Voxa's addition. */
  getRemoteAudioLevel(): number {
    return this.call ? this.call.outputLevel : 0;
  }

  /** The live call's id (null without one). Voxa's addition. */
  get callId(): string | null {
    return this.call ? this.call.id : null;
  }

  /** Not possible here: a webCallUrl's token works once. */
  async reconnect(_webCall: unknown): Promise<void> {
    throw new Error('reconnect is not supported: a webCallUrl can be joined once; start a new call');
  }
}

export { Vapi };
