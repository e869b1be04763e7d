'use client';

import * as React from 'react';
import Link from 'next/link';
import { useSearchParams } from 'next/navigation';
import { Download, Bot, User, Wrench, Circle } from 'lucide-react';
import { Badge } from '@/components/ui/badge';
import { Card, CardContent, CardHeader, CardTitle, CardDescription } from '@/components/ui/card';
import { Alert } from '@/components/ui/alert';
import { Skeleton } from '@/components/ui/skeleton';
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from '@/components/ui/table';
import { CallStatusBadge, EndedReason } from '@/components/call-status';
import { BackIconButton, LoadFailure } from '@/components/back-link';
import { api, errorMessage } from '@/lib/api';
import { useFetch } from '@/lib/use-fetch';
import { WebhookLogList, type WebhookLog } from '@/components/webhook-logs';
import type { Assistant, Call, CallMessage, TurnLatency } from '@/lib/types';
import { average, callDurationSeconds, cn, formatCost, formatDate, formatDuration, formatMs, showValue as show } from '@/lib/utils';


function clock(seconds?: number) {
  if (seconds == null || !Number.isFinite(seconds)) return '';
  const s = Math.max(0, seconds);
  const m = Math.floor(s / 60);
  return `${m}:${(s % 60).toFixed(1).padStart(4, '0')}`;
}

function Stat({ label, children, wide }: { label: string; children: React.ReactNode; wide?: boolean }) {
  return (
    <div className={cn('min-w-0', wide && 'col-span-2')}>
      <dt className="text-xs uppercase tracking-wide text-muted-foreground">{label}</dt>
      <dd className={cn('mt-1 text-sm font-medium', !wide && 'truncate')}>{children}</dd>
    </div>
  );
}

/** Messages in the order they were said (a reply is recorded when it ends, after a caller
 * line spoken during it): by secondsFromStart, then time, keeping the record's order on ties. */
function bySpokenTime(messages: CallMessage[]): CallMessage[] {
  // One clock for all: secondsFromStart when every message has it, else time.
  const seconds = messages.every((m) => typeof m.secondsFromStart === 'number');
  const at = (m: CallMessage) => (seconds ? m.secondsFromStart : typeof m.time === 'number' ? m.time / 1000 : undefined);
  return messages
    .map((m, i) => ({ m, i, t: at(m) }))
    .sort((a, b) => (a.t !== undefined && b.t !== undefined && a.t !== b.t ? a.t - b.t : a.i - b.i))
    .map((x) => x.m);
}

function Transcript({ messages }: { messages: CallMessage[] }) {
  const shown = bySpokenTime(messages.filter((m) => m.role !== 'system'));
  const system = messages.find((m) => m.role === 'system');
  if (shown.length === 0) return <p className="text-sm text-muted-foreground">Nothing was said on this call.</p>;
  return (
    <div className="flex flex-col gap-3">
      {system?.message && (
        <details className="rounded-md border bg-muted/30 px-3 py-2 text-xs text-muted-foreground">
          <summary className="cursor-pointer select-none">System prompt</summary>
          <p className="mt-2 whitespace-pre-wrap">{system.message}</p>
        </details>
      )}
      {shown.map((m, i) => {
        const isUser = m.role === 'user';
        const isBot = m.role === 'bot' || m.role === 'assistant';
        if (!isUser && !isBot) {
          const label =
            m.role === 'tool_calls'
              ? `Tool call: ${((m.toolCalls as Array<{ function?: { name?: string; arguments?: unknown } }> | undefined) ?? [])
                  .map((t) => `${t.function?.name ?? '?'}(${typeof t.function?.arguments === 'string' ? t.function.arguments : JSON.stringify(t.function?.arguments ?? {})})`)
                  .join(', ')}`
              : m.role === 'tool_call_result'
                ? `Tool result${m.name ? ` (${m.name})` : ''}: ${m.error ? `error: ${m.error}` : typeof m.result === 'string' ? m.result : JSON.stringify(m.result)}`
                : `${m.role}: ${m.message ?? ''}`;
          return (
            <div key={i} className="mx-auto flex max-w-[90%] items-center gap-2 rounded-md border border-dashed px-3 py-1.5 text-xs text-muted-foreground" data-role={m.role}>
              <Wrench className="size-3.5 shrink-0" aria-hidden />
              <span className="break-all">{label}</span>
              <span className="ml-auto shrink-0 tabular-nums">{clock(m.secondsFromStart)}</span>
            </div>
          );
        }
        return (
          <div key={i} className={cn('flex gap-2', isUser && 'flex-row-reverse')} data-role={isUser ? 'user' : 'assistant'} data-testid="transcript-message">
            <span className={cn('mt-1 flex size-7 shrink-0 items-center justify-center rounded-full', isUser ? 'bg-primary/20 text-primary' : 'bg-secondary text-foreground')}>
              {isUser ? <User className="size-4" aria-label="User" /> : <Bot className="size-4" aria-label="Assistant" />}
            </span>
            <div className={cn('max-w-[80%] rounded-lg px-3 py-2 text-sm', isUser ? 'rounded-tr-sm bg-primary/15' : 'rounded-tl-sm bg-secondary')}>
              <p className="whitespace-pre-wrap">{m.message}</p>
              <p className="mt-1 text-[11px] tabular-nums text-muted-foreground">
                {clock(m.secondsFromStart)}
                {m.duration ? ` · ${(m.duration / 1000).toFixed(1)} s` : ''}
              </p>
            </div>
          </div>
        );
      })}
    </div>
  );
}

const STAGES: Array<[keyof TurnLatency, string]> = [
  ['transcriberLatency', 'Transcriber'],
  ['endpointingLatency', 'Endpointing'],
  ['modelLatency', 'Model'],
  ['voiceLatency', 'Voice'],
  ['turnLatency', 'Total'],
];

function LatencyTable({ call }: { call: Call }) {
  const pm = call.artifact?.performanceMetrics;
  const turns = pm?.turnLatencies ?? [];
  if (turns.length === 0) return <p className="text-sm text-muted-foreground">No completed turns were measured on this call.</p>;
  const avgOf = (k: keyof TurnLatency) => {
    const fromServer = pm?.[`${k}Average` as keyof typeof pm] as number | undefined;
    return fromServer ?? average(turns.map((t) => t[k]).filter((x): x is number => typeof x === 'number'));
  };
  return (
    <Table>
      <TableHeader>
        <TableRow>
          <TableHead>Turn</TableHead>
          {STAGES.map(([k, label]) => (
            <TableHead key={k} className="text-right">
              {label}
            </TableHead>
          ))}
        </TableRow>
      </TableHeader>
      <TableBody>
        {turns.map((t, i) => (
          <TableRow key={i}>
            <TableCell>{i + 1}</TableCell>
            {STAGES.map(([k]) => (
              <TableCell key={k} className={cn('text-right tabular-nums', k === 'turnLatency' && 'font-medium')}>
                {formatMs(t[k])}
              </TableCell>
            ))}
          </TableRow>
        ))}
        <TableRow className="bg-muted/30 font-medium">
          <TableCell>Average</TableCell>
          {STAGES.map(([k]) => (
            <TableCell key={k} className="text-right tabular-nums">
              {formatMs(avgOf(k))}
            </TableCell>
          ))}
        </TableRow>
      </TableBody>
    </Table>
  );
}

function costLabel(c: Record<string, unknown>): string {
  const sub = (o: unknown) => {
    const x = o as { provider?: string; model?: string } | undefined;
    return x ? [x.provider, x.model].filter(Boolean).join(' / ') : '';
  };
  switch (c.type) {
    case 'transcriber':
      return sub(c.transcriber);
    case 'model':
      return sub(c.model);
    case 'voice':
      return sub(c.voice);
    case 'transport':
      return String(c.provider ?? '');
    case 'vapi':
      return String(c.subType ?? '');
    case 'analysis':
      return String(c.analysisType ?? '');
    default:
      return '';
  }
}

function costUsage(c: Record<string, unknown>): string {
  const parts: string[] = [];
  if (typeof c.minutes === 'number') parts.push(`${c.minutes.toFixed(2)} min`);
  if (typeof c.promptTokens === 'number') parts.push(`${c.promptTokens} prompt tok`);
  if (typeof c.completionTokens === 'number') parts.push(`${c.completionTokens} completion tok`);
  if (typeof c.characters === 'number') parts.push(`${c.characters} chars`);
  return parts.join(' · ');
}

function CostSection({ call }: { call: Call }) {
  const costs = call.costs ?? [];
  const breakdown = Object.entries(call.costBreakdown ?? {}).filter(([, v]) => typeof v === 'number');
  return (
    <div className="space-y-4">
      <p className="text-2xl font-semibold tabular-nums">{formatCost(call.cost)}</p>
      {costs.length > 0 && (
        <Table>
          <TableHeader>
            <TableRow>
              <TableHead>Item</TableHead>
              <TableHead>Usage</TableHead>
              <TableHead className="text-right">Cost</TableHead>
            </TableRow>
          </TableHeader>
          <TableBody>
            {costs.map((c, i) => (
              <TableRow key={i}>
                <TableCell>
                  <span className="font-medium">{String(c.type)}</span>
                  <span className="block text-xs text-muted-foreground">{costLabel(c)}</span>
                </TableCell>
                <TableCell className="text-xs text-muted-foreground">{costUsage(c)}</TableCell>
                <TableCell className="text-right tabular-nums">{formatCost(c.cost as number)}</TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
      {breakdown.length > 0 && (
        <dl className="grid grid-cols-2 gap-x-4 gap-y-1 text-sm">
          {breakdown.map(([k, v]) => (
            <React.Fragment key={k}>
              <dt className="text-muted-foreground">{k}</dt>
              <dd className="text-right tabular-nums">{/Tokens|Characters/.test(k) ? String(v) : formatCost(v as number)}</dd>
            </React.Fragment>
          ))}
        </dl>
      )}
    </div>
  );
}


function AnalysisSection({ call }: { call: Call }) {
  const a = call.analysis;
  if (!a || Object.keys(a).length === 0) return <p className="text-sm text-muted-foreground">No analysis for this call (yet).</p>;
  const { summary, successEvaluation, structuredData, ...rest } = a;
  const success = typeof successEvaluation === 'string' ? successEvaluation : successEvaluation == null ? undefined : JSON.stringify(successEvaluation);
  return (
    <div className="space-y-4 text-sm">
      <div>
        <h3 className="text-xs uppercase tracking-wide text-muted-foreground">Summary</h3>
        <p className="mt-1 whitespace-pre-wrap">{show(summary)}</p>
      </div>
      <div>
        <h3 className="text-xs uppercase tracking-wide text-muted-foreground">Success evaluation</h3>
        <p className="mt-1">
          {success === 'true' ? <Badge variant="success">pass</Badge> : success === 'false' ? <Badge variant="destructive">fail</Badge> : show(success)}
        </p>
      </div>
      {structuredData !== undefined && (
        <div>
          <h3 className="text-xs uppercase tracking-wide text-muted-foreground">Structured data</h3>
          <pre className="mt-1 overflow-x-auto rounded-md bg-muted/50 p-2 font-mono text-xs">{show(structuredData)}</pre>
        </div>
      )}
      {Object.keys(rest).length > 0 && (
        <dl className="grid grid-cols-[auto_1fr] gap-x-4 gap-y-1">
          {Object.entries(rest).map(([k, v]) => (
            <React.Fragment key={k}>
              <dt className="text-muted-foreground">{k}</dt>
              <dd className="break-words">{show(v)}</dd>
            </React.Fragment>
          ))}
        </dl>
      )}
    </div>
  );
}

function Webhooks({ callId }: { callId: string }) {
  const { data, error, loading } = useFetch(
    (signal) => api.get<{ results?: WebhookLog[] }>('/logs', { type: 'Webhook', callId, limit: 100 }, signal),
    [callId],
  );
  if (loading) return <Skeleton className="h-20 w-full" />;
  if (error) return <Alert>{error}</Alert>;
  const logs = data?.results ?? [];
  if (logs.length === 0)
    return (
      <p className="text-sm text-muted-foreground">
        No webhook deliveries. Set a server URL on the assistant or in Settings to receive server messages.
      </p>
    );
  return <WebhookLogList logs={logs} />;
}

interface TimelineEvent {
  at: number | null; // seconds from start
  label: string;
  detail?: string;
  kind: 'start' | 'user' | 'assistant' | 'tool' | 'end';
}

function buildTimeline(call: Call): TimelineEvent[] {
  const ev: TimelineEvent[] = [];
  const start = call.startedAt ? Date.parse(call.startedAt) : null;
  ev.push({ at: null, label: 'Created', detail: formatDate(call.createdAt), kind: 'start' });
  if (call.startedAt) ev.push({ at: 0, label: 'Started', detail: formatDate(call.startedAt), kind: 'start' });
  const messages = bySpokenTime(call.messages ?? call.artifact?.messages ?? []);
  let turn = 0;
  for (const m of messages) {
    if (m.role === 'system') continue;
    const at = m.secondsFromStart ?? (start && m.time ? (m.time - start) / 1000 : null);
    if (m.role === 'user') {
      turn += 1;
      ev.push({ at, label: `Turn ${turn}: user spoke`, detail: m.message, kind: 'user' });
    } else if (m.role === 'bot' || m.role === 'assistant') {
      ev.push({ at, label: 'Assistant replied', detail: m.message, kind: 'assistant' });
    } else {
      ev.push({ at, label: m.role === 'tool_calls' ? 'Tool call' : m.role === 'tool_call_result' ? 'Tool result' : m.role, detail: m.message ?? m.name, kind: 'tool' });
    }
  }
  if (call.endedAt) {
    const at = start ? (Date.parse(call.endedAt) - start) / 1000 : null;
    ev.push({ at, label: 'Ended', detail: call.endedReason, kind: 'end' });
  }
  return ev;
}

function Timeline({ call }: { call: Call }) {
  const events = buildTimeline(call);
  const color: Record<TimelineEvent['kind'], string> = {
    start: 'text-primary',
    user: 'text-sky-400',
    assistant: 'text-foreground',
    tool: 'text-warning',
    end: 'text-muted-foreground',
  };
  return (
    <ol className="relative ml-2 border-l pl-5 text-sm">
      {events.map((e, i) => (
        <li key={i} className="mb-3 last:mb-0" data-testid="timeline-event">
          <Circle className={cn('absolute -left-[7px] mt-1 size-3 fill-current', color[e.kind])} aria-hidden />
          <div className="flex items-baseline gap-2">
            <span className="font-medium">{e.label}</span>
            {e.at != null && <span className="text-xs tabular-nums text-muted-foreground">+{clock(e.at)}</span>}
          </div>
          {e.detail && <p className="line-clamp-2 text-xs text-muted-foreground">{e.detail}</p>}
        </li>
      ))}
    </ol>
  );
}

function Section({ title, description, testId, children, className }: { title: string; description?: string; testId: string; children: React.ReactNode; className?: string }) {
  return (
    <Card data-testid={testId} className={className}>
      <CardHeader>
        <CardTitle>{title}</CardTitle>
        {description && <CardDescription>{description}</CardDescription>}
      </CardHeader>
      <CardContent>{children}</CardContent>
    </Card>
  );
}

function CallDetail() {
  const id = useSearchParams().get('id');
  const { data: call, error, loading, reload } = useFetch(
    (signal) => (id ? api.get<Call>(`/call/${encodeURIComponent(id)}`, undefined, signal) : Promise.reject(new Error('No call id in the address.'))),
    [id],
  );
  const [assistant, setAssistant] = React.useState<Assistant | null>(null);
  const [assistantGone, setAssistantGone] = React.useState(false);  // 404: deleted since
  React.useEffect(() => {
    if (call?.assistantId)
      api
        .get<Assistant>(`/assistant/${call.assistantId}`)
        .then(setAssistant)
        .catch((e) => {
          setAssistant(null);
          setAssistantGone((e as { status?: number })?.status === 404);
        });
  }, [call?.assistantId]);

  // a call still running: refresh until it ends; a call that just ended: until its analysis is in
  const polls = React.useRef(0);
  React.useEffect(() => {
    if (!call) return;
    const justEnded =
      call.status === 'ended' && !call.analysis && call.endedAt && Date.now() - Date.parse(call.endedAt) < 60000 && polls.current < 10;
    if (call.status === 'ended' && !justEnded) return;
    polls.current += 1;
    const t = setTimeout(reload, call.status === 'ended' ? 2000 : 3000);
    return () => clearTimeout(t);
  }, [call, reload]);

  if (error) {
    return <LoadFailure title="Cannot open this call" error={errorMessage(error)} href="/calls/" back="Back to calls" />;
  }
  if (!call || (loading && !call)) {
    return (
      <div className="space-y-4" aria-busy="true">
        <Skeleton className="h-24 w-full" />
        <div className="grid gap-4 lg:grid-cols-3">
          <Skeleton className="h-72 lg:col-span-2" />
          <Skeleton className="h-72" />
        </div>
      </div>
    );
  }

  const duration = callDurationSeconds(call);
  const messages = call.messages ?? call.artifact?.messages ?? [];
  const recording = `/call/${call.id}/stereo-recording`;

  return (
    <div className="space-y-6">
      <div className="flex items-center gap-2">
        <BackIconButton href="/calls/" label="Back to calls" />
        <div className="min-w-0">
          <h1 className="text-xl font-semibold">Call</h1>
          <p className="truncate font-mono text-xs text-muted-foreground">{call.id}</p>
        </div>
      </div>
      <Card>
        <CardContent className="pt-5">
          <dl className="grid grid-cols-2 gap-4 sm:grid-cols-3 lg:grid-cols-6" data-testid="call-header">
            <Stat label="Status">
              <CallStatusBadge status={call.status} />
            </Stat>
            <Stat label="Ended reason" wide>
              <EndedReason reason={call.endedReason} detailed />
            </Stat>
            <Stat label="Duration">{formatDuration(duration)}</Stat>
            <Stat label="Cost">{formatCost(call.cost)}</Stat>
            <Stat label="Assistant">
              {call.assistantId && assistantGone ? (
                <span className="italic text-muted-foreground" data-testid="assistant-deleted" title={call.assistantId}>
                  deleted assistant
                </span>
              ) : call.assistantId ? (
                <Link href={`/assistants/edit/?id=${call.assistantId}`} className="text-primary hover:underline">
                  {assistant?.name || call.assistantId.slice(0, 8)}
                </Link>
              ) : (
                '—'
              )}
            </Stat>
            <Stat label="Started">{formatDate(call.startedAt ?? call.createdAt)}</Stat>
          </dl>
        </CardContent>
      </Card>

      <div className="grid gap-6 lg:grid-cols-3">
        <div className="min-w-0 space-y-6 lg:col-span-2">
          <Section title="Transcript" testId="transcript">
            <Transcript messages={messages} />
          </Section>
          <Section title="Latency per turn" description="Milliseconds from the end of the caller's speech to the assistant's first audio." testId="latency-table">
            <LatencyTable call={call} />
          </Section>
          <Section title="Webhook deliveries" testId="webhooks">
            <Webhooks callId={call.id} />
          </Section>
        </div>
        <div className="min-w-0 space-y-6">
          <Card>
            <CardHeader>
              <CardTitle>Recording</CardTitle>
              <CardDescription>Stereo: caller left, assistant right.</CardDescription>
            </CardHeader>
            <CardContent className="space-y-2">
              {call.status === 'ended' ? (
                <>
                  {/* eslint-disable-next-line jsx-a11y/media-has-caption */}
                  <audio data-testid="recording" controls preload="metadata" src={recording} className="w-full">
                    <a href={recording}>Download the recording</a>
                  </audio>
                  <a href={recording} download={`call-${call.id}.wav`} className="inline-flex items-center gap-1 text-xs text-muted-foreground hover:text-foreground">
                    <Download className="size-3.5" aria-hidden /> Download WAV
                  </a>
                </>
              ) : (
                <p className="text-sm text-muted-foreground" data-testid="recording">
                  The recording is available when the call ends.
                </p>
              )}
            </CardContent>
          </Card>
          <Section title="Analysis" testId="analysis">
            <AnalysisSection call={call} />
          </Section>
          <Section title="Cost" testId="cost">
            <CostSection call={call} />
          </Section>
          <Section title="Timeline" testId="timeline">
            <Timeline call={call} />
          </Section>
        </div>
      </div>
      <details className="rounded-lg border p-4 text-sm">
        <summary className="cursor-pointer select-none font-medium">Raw call JSON</summary>
        <pre className="mt-3 max-h-[32rem] overflow-auto font-mono text-xs">{JSON.stringify(call, null, 2)}</pre>
      </details>
    </div>
  );
}

export default function CallDetailPage() {
  return (
    <React.Suspense fallback={<Skeleton className="h-24 w-full" />}>
      <CallDetail />
    </React.Suspense>
  );
}
