// The embeddable call widget: one script tag puts a floating call button on any page.
//
//   <script src="https://voxa.example.com/sdk/widget.js"
//           data-assistant-id="..." data-public-key="..."></script>
//
// Attributes (Vapi's widget names, as data-*): data-public-key (required), data-assistant-id
// (or data-assistant: an inline assistant as JSON), data-assistant-overrides (JSON),
// data-base-url (default: the origin widget.js came from), data-position (bottom-right,
// bottom-left, top-right, top-left), data-title (the button's label, "Talk to us"),
// data-accent-color (CSS color), data-theme (light | dark).
// Vapi's script snippet works too: window.vapiSDK.run({ apiKey, assistant, config }).
// The button opens a small panel with the call's state, a live visualizer of both voices,
// the latest line of the transcript, mute and hang-up. Everything lives in a shadow root,
// so the page's styles and the widget's do not mix. window.voxaWidget is the live widget
// (its `vapi` is the SDK instance: listen to its events).
import Vapi from './index';
import { Visualizer } from './visualizer';

interface WidgetConfig {
  publicKey: string;
  assistant: string | object;
  assistantOverrides?: object;
  baseUrl?: string;
  position?: string;
  title?: string;
  accentColor?: string;
  theme?: string;
}

const script = document.currentScript as HTMLScriptElement | null;
const scriptOrigin = (() => {
  try {
    return script && script.src ? new URL(script.src).origin : undefined;
  } catch {
    return undefined;
  }
})();

const MIC =
  '<svg viewBox="0 0 24 24" width="22" height="22" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><rect x="9" y="2" width="6" height="12" rx="3"/><path d="M5 10a7 7 0 0 0 14 0M12 17v4"/></svg>';
const HANGUP =
  '<svg viewBox="0 0 24 24" width="22" height="22" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><path d="M3 15c5-4 13-4 18 0l-2 3-4-1v-3c-2-.6-4-.6-6 0v3l-4 1z"/></svg>';

function css(accent: string, dark: boolean, pos: string): string {
  const [v, h] = pos.split('-');
  const bg = dark ? '#0f172a' : '#ffffff';
  const fg = dark ? '#e2e8f0' : '#0f172a';
  const muted = dark ? '#94a3b8' : '#475569';
  const border = dark ? '#334155' : '#e2e8f0';
  return `:host{all:initial}
.root{position:fixed;${v === 'top' ? 'top' : 'bottom'}:20px;${h === 'left' ? 'left' : 'right'}:20px;z-index:2147483000;display:flex;flex-direction:column;align-items:${h === 'left' ? 'flex-start' : 'flex-end'};gap:10px;font:14px/1.4 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;color:${fg}}
.panel{width:min(300px,calc(100vw - 40px));background:${bg};border:1px solid ${border};border-radius:14px;box-shadow:0 10px 30px rgba(0,0,0,.2);padding:12px;display:none;flex-direction:column;gap:8px}
.root[data-open=true] .panel{display:flex}
.head{display:flex;align-items:center;gap:8px;font-weight:600}
.status{margin-left:auto;font-weight:400;font-size:12px;color:${muted}}
canvas{width:100%;height:56px;display:block}
.line{min-height:1.4em;font-size:13px;color:${muted};overflow:hidden;text-overflow:ellipsis;display:-webkit-box;-webkit-line-clamp:2;-webkit-box-orient:vertical}
.row{display:flex;gap:8px}
.row button{flex:1;border:1px solid ${border};background:transparent;color:${fg};border-radius:8px;padding:6px 10px;font:inherit;cursor:pointer}
.row button:focus-visible,.fab:focus-visible{outline:3px solid ${accent};outline-offset:2px}
.fab{display:flex;align-items:center;gap:8px;border:0;border-radius:999px;padding:12px 18px 12px 14px;background:${accent};color:#fff;font:600 15px/1 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;box-shadow:0 6px 20px rgba(0,0,0,.25);cursor:pointer}
.fab[data-state=live]{background:#dc2626}
.fab[data-state=connecting]{opacity:.85;cursor:progress}
.error{color:#dc2626;font-size:13px}`;
}

export class VoxaWidget {
  readonly vapi: Vapi;
  private readonly host: HTMLElement;
  private readonly root: HTMLElement;
  private readonly fab: HTMLButtonElement;
  private readonly statusEl: HTMLElement;
  private readonly lineEl: HTMLElement;
  private readonly muteBtn: HTMLButtonElement;
  private readonly viz: Visualizer;
  private state: 'idle' | 'connecting' | 'live' = 'idle';
  private readonly title: string;

  constructor(private readonly cfg: WidgetConfig) {
    this.vapi = new Vapi(cfg.publicKey, cfg.baseUrl || scriptOrigin);
    this.title = cfg.title || 'Talk to us';
    this.host = document.createElement('div');
    this.host.setAttribute('data-voxa-widget', '');
    const shadow = this.host.attachShadow({ mode: 'open' });
    const dark = cfg.theme === 'dark';
    const pos = /^(top|bottom)-(left|right)$/.test(cfg.position || '') ? cfg.position! : 'bottom-right';
    const style = document.createElement('style');
    style.textContent = css(cfg.accentColor || '#4f46e5', dark, pos);
    this.root = document.createElement('div');
    this.root.className = 'root';
    this.root.innerHTML = `<section class="panel" part="panel" aria-label="Voice call" data-testid="widget-panel">
  <div class="head"><span class="title"></span><span class="status" data-testid="widget-status" role="status">Ready</span></div>
  <canvas data-testid="widget-visualizer" role="img" aria-label="Live voice levels: the assistant above, you below"></canvas>
  <div class="line" data-testid="widget-transcript" aria-live="polite"></div>
  <div class="row"><button type="button" data-testid="widget-mute" aria-pressed="false">Mute</button></div>
</section>
<button type="button" class="fab" part="button" data-testid="widget-button" data-state="idle"></button>`;
    shadow.append(style, this.root);
    (this.root.querySelector('.title') as HTMLElement).textContent = this.title;
    this.fab = this.root.querySelector('.fab') as HTMLButtonElement;
    this.statusEl = this.root.querySelector('.status') as HTMLElement;
    this.lineEl = this.root.querySelector('.line') as HTMLElement;
    this.muteBtn = this.root.querySelector('[data-testid=widget-mute]') as HTMLButtonElement;
    this.viz = new Visualizer(this.root.querySelector('canvas') as HTMLCanvasElement, this.vapi, {
      outputColor: cfg.accentColor || '#4f46e5',
      inputColor: dark ? '#94a3b8' : '#64748b',
    });
    this.render();
    this.fab.addEventListener('click', () => void this.toggle());
    this.muteBtn.addEventListener('click', () => {
      const m = !this.vapi.isMuted();
      this.vapi.setMuted(m);
      this.muteBtn.textContent = m ? 'Unmute' : 'Mute';
      this.muteBtn.setAttribute('aria-pressed', String(m));
    });
    this.vapi.on('call-start', () => {
      this.state = 'live';
      this.status('Connected');
      this.viz.start();
      this.render();
    });
    this.vapi.on('call-end', () => {
      this.state = 'idle';
      this.status('Call ended');
      this.viz.stop();
      this.render();
    });
    this.vapi.on('message', (m: any) => {
      if (m && m.type === 'transcript' && typeof m.transcript === 'string')
        this.lineEl.textContent = (m.role === 'user' ? 'You: ' : '') + m.transcript;
    });
    this.vapi.on('error', (e: any) => {
      const msg = (e && e.error && e.error.message) || (e && e.message) || 'The call failed';
      this.status(msg, true);
    });
    const mount = () => document.body.appendChild(this.host);
    if (document.body) mount();
    else document.addEventListener('DOMContentLoaded', mount, { once: true });
  }

  private status(text: string, error = false): void {
    this.statusEl.textContent = text;
    this.statusEl.classList.toggle('error', error);
  }

  private render(): void {
    const s = this.state;
    this.fab.dataset.state = s;
    this.fab.innerHTML = (s === 'live' ? HANGUP : MIC) + '<span></span>';
    (this.fab.lastChild as HTMLElement).textContent = s === 'live' ? 'End call' : s === 'connecting' ? 'Connecting…' : this.title;
    this.fab.setAttribute('aria-label', s === 'live' ? 'End the call' : `${this.title}: start a voice call`);
    this.fab.disabled = s === 'connecting';
    this.muteBtn.disabled = s !== 'live';
    if (s !== 'live') {
      this.muteBtn.textContent = 'Mute';
      this.muteBtn.setAttribute('aria-pressed', 'false');
    }
  }

  /** Starts a call, or ends the live one. */
  async toggle(): Promise<void> {
    if (this.state === 'live') return this.vapi.stop();
    if (this.state === 'connecting') return;
    this.state = 'connecting';
    this.root.dataset.open = 'true';
    this.lineEl.textContent = '';
    this.status('Connecting…');
    this.render();
    const call = await this.vapi.start(this.cfg.assistant, this.cfg.assistantOverrides);
    if (!call && this.state === 'connecting') {
      this.state = 'idle';
      this.render();
    }
  }

  /** Removes the widget (ending a live call). */
  destroy(): void {
    void this.vapi.stop();
    this.viz.stop();
    this.host.remove();
  }
}

function json(v: string | null | undefined): object | undefined {
  if (!v) return undefined;
  try {
    const o = JSON.parse(v);
    return o && typeof o === 'object' ? o : undefined;
  } catch {
    console.error('voxa widget: an attribute is not valid JSON');
    return undefined;
  }
}

declare global {
  interface Window {
    voxaWidget?: VoxaWidget;
    vapiSDK?: { run(o: { apiKey: string; assistant: string | object; config?: Record<string, any> }): VoxaWidget };
  }
}

window.vapiSDK = {
  run({ apiKey, assistant, config = {} }) {
    window.voxaWidget?.destroy();
    window.voxaWidget = new VoxaWidget({
      publicKey: apiKey,
      assistant,
      baseUrl: config.baseUrl,
      position: config.position,
      title: config.title,
      accentColor: config.accentColor,
      theme: config.theme,
    });
    return window.voxaWidget;
  },
};

if (script) {
  const d = script.dataset;
  const assistant = d.assistantId || json(d.assistant);
  if (d.publicKey && assistant) {
    window.voxaWidget = new VoxaWidget({
      publicKey: d.publicKey,
      assistant,
      assistantOverrides: json(d.assistantOverrides),
      baseUrl: d.baseUrl,
      position: d.position,
      title: d.title,
      accentColor: d.accentColor,
      theme: d.theme,
    });
  } else if (d.publicKey || d.assistantId) {
    console.error('voxa widget: data-public-key and data-assistant-id are both required');
  }
}
