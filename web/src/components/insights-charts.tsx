'use client';

// Loaded with next/dynamic from the insights page only, so Recharts stays out of other pages.
import {
  Area,
  AreaChart,
  Bar,
  BarChart,
  CartesianGrid,
  Legend,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';

export interface DayPoint {
  date: string;
  calls: number;
  minutes: number;
  cost: number;
}

export interface StagePoint {
  stage: string;
  avg: number;
  p95: number;
}

export type ReasonPoint = { date: string } & Record<string, number | string>;

const PALETTE = ['#14b8a6', '#38bdf8', '#a78bfa', '#f59e0b', '#f43f5e', '#22c55e', '#e879f9', '#94a3b8'];

const axis = { stroke: 'hsl(var(--muted-foreground))', fontSize: 12, tickLine: false, axisLine: false } as const;
const tooltipStyle = {
  contentStyle: {
    background: 'hsl(var(--popover))',
    border: '1px solid hsl(var(--border))',
    borderRadius: 8,
    color: 'hsl(var(--popover-foreground))',
    fontSize: 12,
  },
  cursor: { fill: 'hsl(var(--muted) / 0.4)' },
};

function shortDate(d: string) {
  const x = new Date(d);
  return Number.isNaN(x.getTime()) ? d : x.toLocaleDateString(undefined, { month: 'short', day: 'numeric', timeZone: 'UTC' });
}

function shortHour(d: string) {
  const x = new Date(d);
  return Number.isNaN(x.getTime()) ? d : x.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', timeZone: 'UTC', hour12: false });
}

function longHour(d: string) {
  const x = new Date(d);
  return Number.isNaN(x.getTime()) ? d : `${shortDate(d)}, ${shortHour(d)} UTC`;
}

export function PerDayChart({ data, metric, hourly }: { data: DayPoint[]; metric: 'calls' | 'minutes' | 'cost'; hourly?: boolean }) {
  const fmt = (v: number) => (metric === 'cost' ? `$${v.toFixed(2)}` : metric === 'minutes' ? v.toFixed(1) : String(v));
  return (
    <ResponsiveContainer width="100%" height={220}>
      <AreaChart data={data} margin={{ top: 8, right: 8, left: -12, bottom: 0 }}>
        <defs>
          <linearGradient id={`fill-${metric}`} x1="0" y1="0" x2="0" y2="1">
            <stop offset="0%" stopColor="hsl(var(--primary))" stopOpacity={0.45} />
            <stop offset="100%" stopColor="hsl(var(--primary))" stopOpacity={0} />
          </linearGradient>
        </defs>
        <CartesianGrid stroke="hsl(var(--border))" strokeDasharray="3 3" vertical={false} />
        <XAxis dataKey="date" tickFormatter={hourly ? shortHour : shortDate} {...axis} minTickGap={16} />
        <YAxis {...axis} allowDecimals={metric !== 'calls'} tickFormatter={fmt} width={56} />
        <Tooltip {...tooltipStyle} labelFormatter={(l) => (hourly ? longHour : shortDate)(String(l))} formatter={(v) => [fmt(Number(v)), metric]} />
        <Area type="monotone" dataKey={metric} stroke="hsl(var(--primary))" strokeWidth={2} fill={`url(#fill-${metric})`} />
      </AreaChart>
    </ResponsiveContainer>
  );
}

/** A stage's name on one line (recharts' own tick wraps it into the bar's narrow slot). */
function StageTick(p: { x?: number | string; y?: number | string; payload?: { value?: unknown } }) {
  return (
    <text x={p.x} y={p.y} dy={12} textAnchor="middle" fill="hsl(var(--muted-foreground))" fontSize={12} data-testid="stage-tick">
      {String(p.payload?.value ?? '')}
    </text>
  );
}

export function LatencyChart({ data }: { data: StagePoint[] }) {
  return (
    <ResponsiveContainer width="100%" height={240}>
      <BarChart data={data} margin={{ top: 8, right: 8, left: -12, bottom: 0 }}>
        <CartesianGrid stroke="hsl(var(--border))" strokeDasharray="3 3" vertical={false} />
        <XAxis dataKey="stage" {...axis} interval={0} tick={StageTick} />
        <YAxis {...axis} tickFormatter={(v) => `${v}`} unit=" ms" width={64} />
        <Tooltip {...tooltipStyle} formatter={(v, n) => [`${Math.round(Number(v))} ms`, n === 'avg' ? 'average' : 'p95']} />
        <Legend wrapperStyle={{ fontSize: 12 }} formatter={(v) => (v === 'avg' ? 'average' : 'p95')} />
        <Bar dataKey="avg" fill="#14b8a6" radius={[4, 4, 0, 0]} />
        <Bar dataKey="p95" fill="#38bdf8" radius={[4, 4, 0, 0]} />
      </BarChart>
    </ResponsiveContainer>
  );
}

export function ReasonsChart({ data, reasons, hourly }: { data: ReasonPoint[]; reasons: string[]; hourly?: boolean }) {
  return (
    <ResponsiveContainer width="100%" height={260}>
      <BarChart data={data} margin={{ top: 8, right: 8, left: -12, bottom: 0 }}>
        <CartesianGrid stroke="hsl(var(--border))" strokeDasharray="3 3" vertical={false} />
        <XAxis dataKey="date" tickFormatter={hourly ? shortHour : shortDate} {...axis} minTickGap={16} />
        <YAxis {...axis} allowDecimals={false} width={40} />
        <Tooltip {...tooltipStyle} labelFormatter={(l) => (hourly ? longHour : shortDate)(String(l))} />
        <Legend wrapperStyle={{ fontSize: 12 }} />
        {reasons.map((r, i) => (
          <Bar key={r} dataKey={r} stackId="reasons" fill={PALETTE[i % PALETTE.length]} />
        ))}
      </BarChart>
    </ResponsiveContainer>
  );
}
