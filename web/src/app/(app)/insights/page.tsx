'use client';

import * as React from 'react';
import dynamic from 'next/dynamic';
import Link from 'next/link';
import { BarChart3, PhoneCall, Clock, DollarSign, CheckCircle2, Gauge } from 'lucide-react';
import { PageHeader, EmptyState } from '@/components/page-header';
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card';
import { NativeSelect } from '@/components/ui/input';
import { Label } from '@/components/ui/label';
import { Alert } from '@/components/ui/alert';
import { Skeleton } from '@/components/ui/skeleton';
import { Button } from '@/components/ui/button';
import { Tabs, TabsContent, TabsList, TabsTrigger } from '@/components/ui/tabs';
import type { DayPoint, ReasonPoint, StagePoint } from '@/components/insights-charts';
import { api, errorMessage } from '@/lib/api';
import type { Call, TurnLatency } from '@/lib/types';
import { average, callDurationSeconds, formatCost, percentile } from '@/lib/utils';

const chartFallback = () => <Skeleton className="h-[220px] w-full" />;
const PerDayChart = dynamic(() => import('@/components/insights-charts').then((m) => m.PerDayChart), { ssr: false, loading: chartFallback });
const LatencyChart = dynamic(() => import('@/components/insights-charts').then((m) => m.LatencyChart), { ssr: false, loading: chartFallback });
const ReasonsChart = dynamic(() => import('@/components/insights-charts').then((m) => m.ReasonsChart), { ssr: false, loading: chartFallback });

interface AnalyticsResult {
  name: string;
  result: Array<Record<string, unknown>>;
}

interface Insights {
  source: 'analytics' | 'calls';
  /** the buckets of the per-period charts: hours for the last 24 hours, else days */
  step: 'hour' | 'day';
  analyticsError?: string;
  days: DayPoint[];
  reasons: ReasonPoint[];
  reasonKeys: string[];
  totals: { calls: number; minutes: number; cost: number };
  successRate: number | null;
  evaluated: number;
  turnAvg: number | null;
  turnP95: number | null;
  turns: number;
  stages: StagePoint[];
  sampled: number;
}

const STAGES: Array<[keyof TurnLatency, string]> = [
  ['transcriberLatency', 'Transcriber'],
  ['endpointingLatency', 'Endpointing'],
  ['modelLatency', 'Model'],
  ['voiceLatency', 'Voice'],
];

/** The UTC bucket an instant falls in, as the bucket's start (ISO). */
function bucketKey(iso: string, step: Insights['step']) {
  return step === 'hour' ? `${iso.slice(0, 13)}:00:00.000Z` : `${iso.slice(0, 10)}T00:00:00.000Z`;
}

function emptyBuckets(start: Date, end: Date, step: Insights['step']): DayPoint[] {
  const out: DayPoint[] = [];
  const d = new Date(bucketKey(start.toISOString(), step));
  while (d <= end) {
    out.push({ date: d.toISOString(), calls: 0, minutes: 0, cost: 0 });
    if (step === 'hour') d.setUTCHours(d.getUTCHours() + 1);
    else d.setUTCDate(d.getUTCDate() + 1);
  }
  return out;
}

const n = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : Number(v) || 0);

async function load(days: number): Promise<Insights> {
  const end = new Date();
  const start = new Date(end.getTime() - days * 86400000);
  // One day in day buckets is a line between two points: the last 24 hours go by the hour.
  const step: Insights['step'] = days <= 1 ? 'hour' : 'day';
  const dayKey = (iso: string) => bucketKey(iso, step);
  const timeRange = { start: start.toISOString(), end: end.toISOString(), step, timezone: 'UTC' };

  const callsP = api.get<Call[]>('/call', { limit: 1000, createdAtGe: start.toISOString() });
  const analyticsP = api.post<AnalyticsResult[]>('/analytics', {
    queries: [
      {
        table: 'call',
        name: 'perDay',
        operations: [
          { operation: 'count', column: 'id', alias: 'calls' },
          { operation: 'sum', column: 'duration', alias: 'minutes' },
          { operation: 'sum', column: 'cost', alias: 'cost' },
        ],
        timeRange,
      },
      {
        table: 'call',
        name: 'reasons',
        operations: [{ operation: 'count', column: 'id', alias: 'calls' }],
        groupBy: ['endedReason'],
        timeRange,
      },
    ],
  });
  const [callsR, analyticsR] = await Promise.allSettled([callsP, analyticsP]);
  if (callsR.status === 'rejected' && analyticsR.status === 'rejected') throw callsR.reason;
  const calls = callsR.status === 'fulfilled' ? callsR.value : [];

  const dayList = emptyBuckets(start, end, step);
  const byDay = new Map(dayList.map((d) => [d.date, d]));
  const reasonsByDay = new Map<string, ReasonPoint>(dayList.map((d) => [d.date, { date: d.date }]));
  const reasonKeys = new Set<string>();
  let source: Insights['source'] = 'calls';
  let analyticsError: string | undefined;

  if (analyticsR.status === 'fulfilled') {
    source = 'analytics';
    const perDay = analyticsR.value.find((q) => q.name === 'perDay')?.result ?? [];
    for (const row of perDay) {
      const k = dayKey(String(row.date));
      const p = byDay.get(k) ?? { date: k, calls: 0, minutes: 0, cost: 0 };
      p.calls += n(row.calls ?? row.countId);
      p.minutes += n(row.minutes ?? row.sumDuration);
      p.cost += n(row.cost ?? row.sumCost);
      byDay.set(k, p);
    }
    const reasons = analyticsR.value.find((q) => q.name === 'reasons')?.result ?? [];
    for (const row of reasons) {
      const k = dayKey(String(row.date));
      const reason = String(row.endedReason ?? 'unknown') || 'unknown';
      reasonKeys.add(reason);
      const p = reasonsByDay.get(k) ?? { date: k };
      p[reason] = n(p[reason]) + n(row.calls ?? row.countId);
      reasonsByDay.set(k, p);
    }
  } else {
    analyticsError = errorMessage(analyticsR.reason);
    for (const c of calls) {
      const k = dayKey(c.createdAt);
      const p = byDay.get(k) ?? { date: k, calls: 0, minutes: 0, cost: 0 };
      p.calls += 1;
      p.minutes += (callDurationSeconds(c) ?? 0) / 60;
      p.cost += n(c.cost);
      byDay.set(k, p);
      const reason = c.endedReason || (c.status === 'ended' ? 'unknown' : c.status ?? 'unknown');
      reasonKeys.add(reason);
      const r = reasonsByDay.get(k) ?? { date: k };
      r[reason] = n(r[reason]) + 1;
      reasonsByDay.set(k, r);
    }
  }

  const daysOut = Array.from(byDay.values()).sort((a, b) => a.date.localeCompare(b.date));
  const reasonsOut = Array.from(reasonsByDay.values()).sort((a, b) => String(a.date).localeCompare(String(b.date)));
  for (const r of reasonsOut) for (const k of reasonKeys) if (r[k] === undefined) r[k] = 0;
  const totals = daysOut.reduce((t, d) => ({ calls: t.calls + d.calls, minutes: t.minutes + d.minutes, cost: t.cost + d.cost }), { calls: 0, minutes: 0, cost: 0 });

  // success and latency come from the call records themselves
  let pass = 0;
  let evaluated = 0;
  const turnTotals: number[] = [];
  const stageValues: Record<string, number[]> = {};
  for (const c of calls) {
    const s = c.analysis?.successEvaluation;
    if (s !== undefined && s !== null && s !== '') {
      const str = String(s).toLowerCase();
      const num = Number(str);
      if (str === 'true' || str === 'pass') {
        pass += 1;
        evaluated += 1;
      }
      else if (str === 'false' || str === 'fail') evaluated += 1;
      else if (!Number.isNaN(num)) {
        evaluated += 1;
        if (num >= (num > 10 ? 70 : num > 5 ? 7 : 3)) pass += 1;
      }
    }
    for (const t of c.artifact?.performanceMetrics?.turnLatencies ?? []) {
      if (typeof t.turnLatency === 'number') turnTotals.push(t.turnLatency);
      for (const [k] of STAGES) if (typeof t[k] === 'number') (stageValues[k] ??= []).push(t[k] as number);
    }
  }

  return {
    source,
    step,
    analyticsError,
    days: daysOut,
    reasons: reasonsOut,
    reasonKeys: Array.from(reasonKeys).sort(),
    totals,
    successRate: evaluated ? pass / evaluated : null,
    evaluated,
    turnAvg: average(turnTotals),
    turnP95: percentile(turnTotals, 95),
    turns: turnTotals.length,
    stages: STAGES.map(([k, label]) => ({ stage: label, avg: Math.round(average(stageValues[k] ?? []) ?? 0), p95: Math.round(percentile(stageValues[k] ?? [], 95) ?? 0) })),
    sampled: calls.length,
  };
}

function StatCard({ testId, icon, label, value, sub }: { testId: string; icon: React.ReactNode; label: string; value: React.ReactNode; sub?: React.ReactNode }) {
  return (
    <Card data-testid={testId}>
      <CardContent className="flex items-start gap-3 p-4">
        <span className="rounded-md bg-primary/15 p-2 text-primary [&_svg]:size-4">{icon}</span>
        <div className="min-w-0">
          <p className="text-xs uppercase tracking-wide text-muted-foreground">{label}</p>
          <p className="mt-0.5 text-2xl font-semibold tabular-nums">{value}</p>
          {sub && <p className="text-xs text-muted-foreground">{sub}</p>}
        </div>
      </CardContent>
    </Card>
  );
}

export default function InsightsPage() {
  const [days, setDays] = React.useState(7);
  const [metric, setMetric] = React.useState<'calls' | 'minutes' | 'cost'>('calls');
  const [data, setData] = React.useState<Insights | null>(null);
  const [error, setError] = React.useState<string | null>(null);
  const [loading, setLoading] = React.useState(true);

  React.useEffect(() => {
    let alive = true;
    setLoading(true);
    setError(null);
    load(days)
      .then((d) => alive && setData(d))
      .catch((e) => alive && setError(errorMessage(e)))
      .finally(() => alive && setLoading(false));
    return () => {
      alive = false;
    };
  }, [days]);

  return (
    <>
      <PageHeader
        title="Insights"
        description="Volume, cost, quality and latency of your calls."
        actions={
          <div className="flex items-center gap-2">
            <Label htmlFor="range" className="text-muted-foreground">
              Range
            </Label>
            <NativeSelect id="range" value={days} onChange={(e) => setDays(Number(e.target.value))} className="w-auto min-w-[10.5rem] pr-8">
              <option value={1}>Last 24 hours</option>
              <option value={7}>Last 7 days</option>
              <option value={30}>Last 30 days</option>
              <option value={90}>Last 90 days</option>
            </NativeSelect>
          </div>
        }
      />
      {error && <Alert className="mb-4">{error}</Alert>}
      {data?.analyticsError && (
        <Alert variant="info" className="mb-4">
          Analytics are unavailable ({data.analyticsError}); the charts are computed from the latest {data.sampled} calls.
        </Alert>
      )}
      {!data && loading && (
        <div className="grid gap-4 sm:grid-cols-2 lg:grid-cols-5">
          {Array.from({ length: 5 }).map((_, i) => (
            <Skeleton key={i} className="h-24" />
          ))}
        </div>
      )}
      {data && (
        <div className={loading ? 'opacity-60 transition-opacity' : undefined}>
          <div className="grid gap-4 sm:grid-cols-2 lg:grid-cols-5">
            <StatCard testId="stat-calls" icon={<PhoneCall />} label="Calls" value={data.totals.calls.toLocaleString()} />
            <StatCard testId="stat-minutes" icon={<Clock />} label="Minutes" value={data.totals.minutes.toFixed(1)} />
            <StatCard testId="stat-cost" icon={<DollarSign />} label="Cost" value={formatCost(data.totals.cost)} />
            <StatCard
              testId="stat-success"
              icon={<CheckCircle2 />}
              label="Success rate"
              value={data.successRate === null ? '—' : `${Math.round(data.successRate * 100)}%`}
              sub={data.evaluated ? `${data.evaluated} evaluated` : 'no evaluations'}
            />
            <StatCard
              testId="stat-latency"
              icon={<Gauge />}
              label="Turn latency"
              value={data.turnAvg === null ? '—' : `${Math.round(data.turnAvg)} ms`}
              sub={data.turnP95 === null ? 'no turns yet' : `p95 ${Math.round(data.turnP95)} ms · ${data.turns} turns`}
            />
          </div>

          {data.totals.calls === 0 ? (
            <Card className="mt-6">
              <EmptyState
                icon={<BarChart3 />}
                title="No calls in this range"
                description="Talk to an assistant to see volume, cost and latency here."
                action={
                  <Button asChild>
                    <Link href="/assistants/">Go to assistants</Link>
                  </Button>
                }
              />
            </Card>
          ) : (
            <div className="mt-6 grid gap-6 lg:grid-cols-2">
              <Card className="lg:col-span-2">
                {/* The tabs own the chart (a tab panel each), so every tab's aria-controls names a panel. */}
                <Tabs value={metric} onValueChange={(v) => setMetric(v as typeof metric)}>
                  <CardHeader className="flex-row flex-wrap items-center justify-between gap-2">
                    <div>
                      <CardTitle>{data.step === 'hour' ? 'Per hour' : 'Per day'}</CardTitle>
                      <CardDescription>
                        {data.source === 'analytics' ? 'From POST /analytics' : 'Computed from call records'} (UTC {data.step === 'hour' ? 'hours' : 'days'})
                      </CardDescription>
                    </div>
                    <TabsList>
                      <TabsTrigger value="calls">Calls</TabsTrigger>
                      <TabsTrigger value="minutes">Minutes</TabsTrigger>
                      <TabsTrigger value="cost">Cost</TabsTrigger>
                    </TabsList>
                  </CardHeader>
                  <CardContent>
                    {(['calls', 'minutes', 'cost'] as const).map((m) => (
                      <TabsContent key={m} value={m} forceMount hidden={metric !== m}>
                        {metric === m && (
                          <div data-testid="per-period-chart" data-step={data.step} data-buckets={data.days.length}>
                            <PerDayChart data={data.days} metric={m} hourly={data.step === 'hour'} />
                          </div>
                        )}
                      </TabsContent>
                    ))}
                  </CardContent>
                </Tabs>
              </Card>
              <Card>
                <CardHeader>
                  <CardTitle>Latency per stage</CardTitle>
                  <CardDescription>
                    Average and p95 over {data.turns} turns of {data.sampled} calls
                  </CardDescription>
                </CardHeader>
                <CardContent>
                  {data.turns ? <LatencyChart data={data.stages} /> : <p className="text-sm text-muted-foreground">No measured turns yet.</p>}
                </CardContent>
              </Card>
              <Card>
                <CardHeader>
                  <CardTitle>Ended reasons</CardTitle>
                  <CardDescription>Calls per {data.step} by how they ended</CardDescription>
                </CardHeader>
                <CardContent>
                  <ReasonsChart data={data.reasons} reasons={data.reasonKeys} hourly={data.step === 'hour'} />
                </CardContent>
              </Card>
            </div>
          )}
        </div>
      )}
    </>
  );
}
