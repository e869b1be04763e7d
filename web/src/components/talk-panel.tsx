'use client';

import * as React from 'react';
import Link from 'next/link';
import { Mic, MicOff, PhoneOff, Phone, X, ExternalLink } from 'lucide-react';
import type { WebCall, WebCallEvent, WebCallStatus } from '@/lib/webcall';
import { Button } from './ui/button';
import { Badge } from './ui/badge';
import { Alert } from './ui/alert';
import { cn } from '@/lib/utils';

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

const statusVariant: Record<WebCallStatus, 'default' | 'secondary' | 'destructive' | 'warning'> = {
  connecting: 'warning',
  live: 'default',
  ended: 'secondary',
  error: 'destructive',
};

/** A live web call with an assistant, using the web-call library (lib/webcall). */
export function TalkPanel({ assistantId, onClose, stale }: { assistantId: string; onClose: () => void; stale?: boolean }) {
  const [status, setStatus] = React.useState<WebCallStatus | null>(null);
  const [error, setError] = React.useState<string | null>(null);
  const [callId, setCallId] = React.useState<string | null>(null);
  const [lines, setLines] = React.useState<Line[]>([]);
  const [partial, setPartial] = React.useState<Line | null>(null);
  const [speaking, setSpeaking] = React.useState({ user: false, assistant: false });
  const [levels, setLevels] = React.useState({ input: 0, output: 0 });
  const [muted, setMuted] = React.useState(false);
  const callRef = React.useRef<WebCall | null>(null);
  const scrollRef = React.useRef<HTMLDivElement>(null);
  const startedRef = React.useRef(false);

  const onEvent = React.useCallback((e: WebCallEvent) => {
    switch (e.type) {
      case 'status':
        setStatus(e.status);
        if (e.callId) setCallId(e.callId);
        if (e.error) setError(e.error);
        if (e.status === 'ended' || e.status === 'error') {
          setSpeaking({ user: false, assistant: false });
          setLevels({ input: 0, output: 0 });
          setPartial(null);
        }
        break;
      case 'transcript':
        if (e.transcriptType === 'final') {
          setLines((l) => [...l, { role: e.role, text: e.transcript }]);
          setPartial((p) => (p && p.role === e.role ? null : p));
        } else {
          setPartial({ role: e.role, text: e.transcript });
        }
        break;
      case 'speech':
        setSpeaking((s) => ({ ...s, [e.role]: e.status === 'started' }));
        break;
      case 'level':
        setLevels({ input: e.input, output: e.output });
        break;
      default:
        break;
    }
  }, []);

  const start = React.useCallback(async () => {
    setError(null);
    setLines([]);
    setPartial(null);
    setCallId(null);
    setMuted(false);
    setStatus('connecting');
    try {
      const { startWebCall } = await import('@/lib/webcall');
      const call = await startWebCall({ assistantId, onEvent });
      callRef.current = call;
      if (call.id) setCallId(call.id);
    } catch (e) {
      setStatus('error');
      setError((e as Error)?.message || 'The call could not be started');
    }
  }, [assistantId, onEvent]);

  React.useEffect(() => {
    if (startedRef.current) return;
    startedRef.current = true;
    void start();
  }, [start]);

  React.useEffect(
    () => () => {
      void callRef.current?.hangUp().catch(() => {});
    },
    [],
  );

  React.useEffect(() => {
    scrollRef.current?.scrollTo({ top: scrollRef.current.scrollHeight });
  }, [lines, partial]);

  const active = status === 'connecting' || status === 'live';
  const hangUp = async () => {
    try {
      await callRef.current?.hangUp();
    } catch (e) {
      setError((e as Error).message);
    }
  };

  return (
    <section
      aria-label="Talk to the assistant"
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
        <div className="flex flex-wrap gap-2">
          <Speaking who="User" active={speaking.user} />
          <Speaking who="Assistant" active={speaking.assistant} />
        </div>
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
                callRef.current?.setMuted(next);
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
