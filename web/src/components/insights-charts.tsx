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

export function PerDayChart({ data, metric }: { data: DayPoint[]; metric: 'calls' | 'minutes' | 'cost' }) {
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
        <XAxis dataKey="date" tickFormatter={shortDate} {...axis} minTickGap={16} />
        <YAxis {...axis} allowDecimals={metric !== 'calls'} tickFormatter={fmt} width={56} />
        <Tooltip {...tooltipStyle} labelFormatter={(l) => shortDate(String(l))} formatter={(v) => [fmt(Number(v)), metric]} />
        <Area type="monotone" dataKey={metric} stroke="hsl(var(--primary))" strokeWidth={2} fill={`url(#fill-${metric})`} />
      </AreaChart>
    </ResponsiveContainer>
  );
}

export function LatencyChart({ data }: { data: StagePoint[] }) {
  return (
    <ResponsiveContainer width="100%" height={240}>
      <BarChart data={data} margin={{ top: 8, right: 8, left: -12, bottom: 0 }}>
        <CartesianGrid stroke="hsl(var(--border))" strokeDasharray="3 3" vertical={false} />
        <XAxis dataKey="stage" {...axis} />
        <YAxis {...axis} tickFormatter={(v) => `${v}`} unit=" ms" width={64} />
        <Tooltip {...tooltipStyle} formatter={(v, n) => [`${Math.round(Number(v))} ms`, n === 'avg' ? 'average' : 'p95']} />
        <Legend wrapperStyle={{ fontSize: 12 }} formatter={(v) => (v === 'avg' ? 'average' : 'p95')} />
        <Bar dataKey="avg" fill="#14b8a6" radius={[4, 4, 0, 0]} />
        <Bar dataKey="p95" fill="#38bdf8" radius={[4, 4, 0, 0]} />
      </BarChart>
    </ResponsiveContainer>
  );
}

export function ReasonsChart({ data, reasons }: { data: ReasonPoint[]; reasons: string[] }) {
  return (
    <ResponsiveContainer width="100%" height={260}>
      <BarChart data={data} margin={{ top: 8, right: 8, left: -12, bottom: 0 }}>
        <CartesianGrid stroke="hsl(var(--border))" strokeDasharray="3 3" vertical={false} />
        <XAxis dataKey="date" tickFormatter={shortDate} {...axis} minTickGap={16} />
        <YAxis {...axis} allowDecimals={false} width={40} />
        <Tooltip {...tooltipStyle} labelFormatter={(l) => shortDate(String(l))} />
        <Legend wrapperStyle={{ fontSize: 12 }} />
        {reasons.map((r, i) => (
          <Bar key={r} dataKey={r} stackId="reasons" fill={PALETTE[i % PALETTE.length]} />
        ))}
      </BarChart>
    </ResponsiveContainer>
  );
}
