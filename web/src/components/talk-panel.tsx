'use client';

import * as React from 'react';
import Link from 'next/link';
import { Mic, MicOff, PhoneOff, Phone, X, ExternalLink } from 'lucide-react';
import type Vapi from '@sdk/index';
import { Button } from './ui/button';
import { Badge } from './ui/badge';
import { Alert } from './ui/alert';
import { cn } from '@/lib/utils';
import { api } from '@/lib/api';
import { describeEndedReason } from '@/lib/ended-reasons';

interface Line {
  role: 'user' | 'assistant';
  text: string;
}

function LevelBar({ label, value, testId }: { label: string; value: number; testId: string }) {
  const pct = Math.round(Math.min(1, Math.max(0, value)) * 100);
  return (
    <div className="flex items-center gap-2">
      <span className="w-16 shrink-0 text-xs text-muted-foreground">{label}</span>
      <div
        data-testid={testId}
        role="meter"
        aria-label={`${label} level`}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={pct}
        data-level={value.toFixed(3)}
        className="h-2 flex-1 overflow-hidden rounded-full bg-muted"
      >
        <div className="h-full rounded-full bg-primary transition-[width] duration-75" style={{ width: `${pct}%` }} />
      </div>
    </div>
  );
}

function Speaking({ who, active }: { who: string; active: boolean }) {
  return (
    <span
      data-testid={`speaking-${who.toLowerCase()}`}
      data-active={active ? 'true' : 'false'}
      className={cn(
        'inline-flex items-center gap-1.5 rounded-full border px-2 py-0.5 text-xs transition-colors',
        active ? 'border-primary/60 bg-primary/15 text-primary' : 'text-muted-foreground',
      )}
    >
      <span className={cn('size-2 rounded-full', active ? 'animate-pulse bg-primary' : 'bg-muted-foreground/40')} />
      {who} {active ? 'speaking' : 'quiet'}
    </span>
  );
}

type WebCallStatus = 'connecting' | 'live' | 'ended' | 'error';

/** Live input and output levels from the SDK's visualizer (web/sdk/src/visualizer.ts). */
function LevelVisualizer({ vapi, live }: { vapi: Vapi | null; live: boolean }) {
  const ref = React.useRef<HTMLCanvasElement>(null);
  React.useEffect(() => {
    if (!vapi || !ref.current) return;
    let viz: { start(): void; stop(): void } | null = null;
    let cancelled = false;
    void import('@sdk/visualizer').then(({ Visualizer }) => {
      if (cancelled || !ref.current) return;
      const css = getComputedStyle(ref.current);
      viz = new Visualizer(ref.current, vapi, { outputColor: css.color, inputColor: css.borderTopColor });
      if (live) viz.start();
      else viz.stop();
    });
    return () => {
      cancelled = true;
      viz?.stop();
    };
  }, [vapi, live]);
  return (
    <canvas
      ref={ref}
      data-testid="talk-visualizer"
      role="img"
      aria-label="Live voice levels: the assistant above the line, your microphone below"
      className="h-14 w-full border-muted-foreground/50 text-primary"
    />
  );
}

const statusVariant: Record<WebCallStatus, 'default' | 'secondary' | 'destructive' | 'warning'> = {
  connecting: 'warning',
  live: 'default',
  ended: 'secondary',
  error: 'destructive',
};

/** A live web call with an assistant, through the browser SDK (web/sdk: the API of @vapi-ai/web). */
export function TalkPanel({
  assistantId,
  squadId,
  onClose,
  stale,
}: {
  assistantId?: string;
  /** a squad instead of an assistant: the call starts with its first member */
  squadId?: string;
  onClose: () => void;
  stale?: boolean;
}) {
  const [status, setStatus] = React.useState<WebCallStatus | null>(null);
  const [error, setError] = React.useState<string | null>(null);
  const [callId, setCallId] = React.useState<string | null>(null);
  const [endedReason, setEndedReason] = React.useState<string | null>(null);
  const [lines, setLines] = React.useState<Line[]>([]);
  const [partial, setPartial] = React.useState<Line | null>(null);
  const [speaking, setSpeaking] = React.useState({ user: false, assistant: false });
  const [levels, setLevels] = React.useState({ input: 0, output: 0 });
  const [muted, setMuted] = React.useState(false);
  const [vapi, setVapi] = React.useState<Vapi | null>(null);
  const vapiRef = React.useRef<Vapi | null>(null);
  const scrollRef = React.useRef<HTMLDivElement>(null);
  const startedRef = React.useRef(false);

  // The server's messages, as @vapi-ai/web hands them to `message` listeners.
  const onMessage = React.useCallback((m: any) => {
    if (!m || typeof m !== 'object') return;
    const role = m.role === 'user' || m.role === 'assistant' ? (m.role as Line['role']) : null;
    if (m.type === 'transcript' && role) {
      const text = String(m.transcript ?? '');
      if (m.transcriptType === 'final') {
        setLines((l) => [...l, { role, text }]);
        setPartial((p) => (p && p.role === role ? null : p));
      } else {
        setPartial({ role, text });
      }
    } else if (m.type === 'status-update' && m.status === 'ended' && typeof m.endedReason === 'string') {
      setEndedReason(m.endedReason);
    } else if (m.type === 'speech-update' && role && (m.status === 'started' || m.status === 'stopped')) {
      setSpeaking((s) => ({ ...s, [role]: m.status === 'started' }));
    }
  }, []);

  // One SDK instance for the panel's life (the dashboard's session cookie: no key).
  const ensureVapi = React.useCallback(async (): Promise<Vapi> => {
    if (vapiRef.current) return vapiRef.current;
    const { default: VapiClass } = await import('@sdk/index');
    const v = new VapiClass('', window.location.origin);
    v.on('call-start', () => setStatus('live'));
    v.on('call-end', () => {
      setStatus((s) => (s === 'error' ? s : 'ended'));
      setSpeaking({ user: false, assistant: false });
      setLevels({ input: 0, output: 0 });
      setPartial(null);
    });
    v.on('error', (e: any) => {
      setStatus('error');
      setError(e?.error?.message || e?.message || 'The call failed');
    });
    v.on('message', onMessage);
    let input = 0;
    v.on('local-volume-level', (l: number) => {
      input = l;
    });
    v.on('volume-level', (l: number) => setLevels({ input, output: l }));
    vapiRef.current = v;
    setVapi(v);
    return v;
  }, [onMessage]);

  const start = React.useCallback(async () => {
    setError(null);
    setLines([]);
    setPartial(null);
    setCallId(null);
    setEndedReason(null);
    setMuted(false);
    setStatus('connecting');
    try {
      const v = await ensureVapi();
      v.setMuted(false);
      const call = squadId ? await v.start(undefined, undefined, squadId) : await v.start(assistantId);
      if (call && typeof call.id === 'string') setCallId(call.id);
      else setStatus((s) => (s === 'connecting' ? 'error' : s));
    } catch (e) {
      setStatus('error');
      setError((e as Error)?.message || 'The call could not be started');
    }
  }, [assistantId, squadId, ensureVapi]);

  // Why it ended, from the call record when the socket closed before the status-update.
  React.useEffect(() => {
    if ((status !== 'ended' && status !== 'error') || !callId || endedReason) return;
    let live = true;
    const timer = setTimeout(() => {
      api
        .get<{ endedReason?: string }>(`/call/${callId}`)
        .then((c) => live && c.endedReason && setEndedReason(c.endedReason))
        .catch(() => {});
    }, 500);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [status, callId, endedReason]);
  const ended = describeEndedReason(endedReason);

  React.useEffect(() => {
    if (startedRef.current) return;
    startedRef.current = true;
    void start();
  }, [start]);

  React.useEffect(
    () => () => {
      const v = vapiRef.current;
      if (v) void v.stop().finally(() => v.removeAllListeners());
    },
    [],
  );

  React.useEffect(() => {
    scrollRef.current?.scrollTo({ top: scrollRef.current.scrollHeight });
  }, [lines, partial]);

  const active = status === 'connecting' || status === 'live';
  const hangUp = async () => {
    try {
      await vapiRef.current?.stop();
    } catch (e) {
      setError((e as Error).message);
    }
  };

  return (
    <section
      aria-label={squadId ? 'Talk to the squad' : 'Talk to the assistant'}
      data-testid="talk-panel"
      className="fixed inset-x-2 bottom-2 z-40 flex max-h-[80vh] flex-col rounded-lg border bg-popover shadow-2xl animate-slide-up sm:inset-x-auto sm:right-4 sm:w-[26rem]"
    >
      <header className="flex items-center gap-2 border-b px-4 py-3">
        <Phone className="size-4 text-primary" aria-hidden />
        <h2 className="font-medium">Talk</h2>
        {status && (
          <Badge variant={statusVariant[status]} className="ml-1">
            <span data-testid="call-status">{status}</span>
          </Badge>
        )}
        <Button
          variant="ghost"
          size="icon"
          className="ml-auto size-8"
          onClick={async () => {
            if (active) await hangUp();
            onClose();
          }}
          aria-label="Close the call panel"
        >
          <X />
        </Button>
      </header>
      <div className="flex flex-col gap-3 p-4">
        {stale && <Alert variant="info">The call uses the saved version of this assistant.</Alert>}
        {error && (
          <div data-testid="call-error">
            <Alert testId="call-error-alert">{error}</Alert>
          </div>
        )}
        {ended && (status === 'ended' || status === 'error') && (
          <Alert variant={ended.error ? 'error' : 'info'} testId="call-ended-reason">
            <span title={endedReason ?? undefined}>{ended.text}</span>
            {ended.action && <span className="mt-1 block">{ended.action}</span>}
          </Alert>
        )}
        <div className="flex flex-wrap gap-2">
          <Speaking who="User" active={speaking.user} />
          <Speaking who="Assistant" active={speaking.assistant} />
        </div>
        <LevelVisualizer vapi={vapi} live={status === 'live'} />
        <div className="flex flex-col gap-1.5">
          <LevelBar label="Mic" value={levels.input} testId="volume-in" />
          <LevelBar label="Assistant" value={levels.output} testId="volume-out" />
        </div>
      </div>
      <div
        ref={scrollRef}
        data-testid="live-transcript"
        aria-live="polite"
        className="min-h-[8rem] flex-1 space-y-2 overflow-y-auto border-t px-4 py-3 text-sm"
      >
        {lines.length === 0 && !partial && (
          <p className="text-muted-foreground">{status === 'live' ? 'Say something…' : status === 'connecting' ? 'Connecting…' : 'No transcript.'}</p>
        )}
        {lines.map((l, i) => (
          <div key={i} className="flex gap-2">
            <span className="mt-0.5 w-7 shrink-0 text-[11px] font-medium uppercase text-muted-foreground">
              {l.role === 'assistant' ? 'AI' : 'You'}
            </span>
            <p data-testid="transcript-line" data-role={l.role} className={cn('min-w-0', l.role === 'assistant' ? 'text-foreground' : 'text-primary')}>
              {l.text}
            </p>
          </div>
        ))}
        {partial && (
          <div className="flex gap-2">
            <span className="mt-0.5 w-7 shrink-0 text-[11px] font-medium uppercase text-muted-foreground">
              {partial.role === 'assistant' ? 'AI' : 'You'}
            </span>
            <p data-testid="transcript-partial" data-role={partial.role} className="min-w-0 italic text-muted-foreground">
              {partial.text}
            </p>
          </div>
        )}
      </div>
      <footer className="flex flex-wrap items-center gap-2 border-t px-4 py-3">
        {active ? (
          <>
            <Button
              variant="outline"
              data-testid="mute"
              aria-pressed={muted}
              disabled={status !== 'live'}
              onClick={() => {
                const next = !muted;
                vapiRef.current?.setMuted(next);
                setMuted(next);
              }}
            >
              {muted ? <MicOff aria-hidden /> : <Mic aria-hidden />}
              {muted ? 'Unmute' : 'Mute'}
            </Button>
            <Button variant="destructive" data-testid="hang-up" onClick={hangUp} className="ml-auto">
              <PhoneOff aria-hidden /> Hang up
            </Button>
          </>
        ) : (
          <>
            {callId && (status === 'ended' || status === 'error') && (
              <Button asChild variant="outline">
                <Link href={`/calls/detail/?id=${callId}`} data-testid="call-detail-link">
                  <ExternalLink aria-hidden /> View call details
                </Link>
              </Button>
            )}
            <Button onClick={() => void start()} className="ml-auto" data-testid="call-again">
              <Phone aria-hidden /> Call again
            </Button>
          </>
        )}
      </footer>
    </section>
  );
}
