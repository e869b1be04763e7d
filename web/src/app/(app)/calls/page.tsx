'use client';

import * as React from 'react';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { PhoneCall, RotateCcw } from 'lucide-react';
import { PageHeader, EmptyState } from '@/components/page-header';
import { Button } from '@/components/ui/button';
import { Input, NativeSelect } from '@/components/ui/input';
import { Label } from '@/components/ui/label';
import { Card } from '@/components/ui/card';
import { TableSkeleton, Spinner } from '@/components/ui/skeleton';
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from '@/components/ui/table';
import { CallStatusBadge, EndedReason } from '@/components/call-status';
import { ListError } from '@/components/list-parts';
import { api, errorMessage } from '@/lib/api';
import type { Assistant, Call } from '@/lib/types';
import { callDurationSeconds, formatCost, formatDate, formatDuration } from '@/lib/utils';

const PAGE = 50;
const STATUSES = ['queued', 'ringing', 'in-progress', 'forwarding', 'ended'];

function dayStartIso(d: string) {
  return d ? new Date(`${d}T00:00:00`).toISOString() : undefined;
}
function dayEndIso(d: string) {
  return d ? new Date(`${d}T23:59:59.999`).toISOString() : undefined;
}

export default function CallsPage() {
  const router = useRouter();
  const [assistants, setAssistants] = React.useState<Assistant[] | null>(null);  // null: loading
  const [assistantId, setAssistantId] = React.useState('');
  const [status, setStatus] = React.useState('');
  const [reason, setReason] = React.useState('');
  const [from, setFrom] = React.useState('');
  const [to, setTo] = React.useState('');
  const [calls, setCalls] = React.useState<Call[] | null>(null);
  const [more, setMore] = React.useState(false);
  const [loading, setLoading] = React.useState(true);
  const [error, setError] = React.useState<string | null>(null);

  React.useEffect(() => {
    api
      .get<Assistant[]>('/assistant', { limit: 1000 })
      .then(setAssistants)
      .catch(() => {});
  }, []);

  const fetchPage = React.useCallback(
    async (before?: string) => {
      setLoading(true);
      setError(null);
      try {
        const page = await api.get<Call[]>('/call', {
          limit: PAGE,
          assistantId: assistantId || undefined,
          createdAtGe: dayStartIso(from),
          createdAtLe: dayEndIso(to),
          createdAtLt: before,
        });
        page.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
        setCalls((prev) => (before ? [...(prev ?? []), ...page] : page));
        setMore(page.length === PAGE);
      } catch (e) {
        setError(errorMessage(e));
      } finally {
        setLoading(false);
      }
    },
    [assistantId, from, to],
  );

  React.useEffect(() => {
    setCalls(null);
    void fetchPage();
  }, [fetchPage]);

  const names = React.useMemo(() => new Map((assistants ?? []).map((a) => [a.id, a.name || 'Unnamed'])), [assistants]);
  const reasons = React.useMemo(() => Array.from(new Set((calls ?? []).map((c) => c.endedReason).filter(Boolean) as string[])).sort(), [calls]);
  const visible = React.useMemo(
    () => (calls ?? []).filter((c) => (!status || c.status === status) && (!reason || c.endedReason === reason)),
    [calls, status, reason],
  );
  const filtered = !!(assistantId || status || reason || from || to);

  return (
    <>
      <PageHeader title="Calls" description="Every call, newest first." />
      <Card>
        <div className="grid gap-3 border-b p-3 sm:grid-cols-2 lg:grid-cols-6 lg:items-end">
          <div className="flex flex-col gap-1.5 lg:col-span-2">
            <Label htmlFor="filterAssistant">Assistant</Label>
            <NativeSelect id="filterAssistant" value={assistantId} onChange={(e) => setAssistantId(e.target.value)}>
              <option value="">All assistants</option>
              {(assistants ?? []).map((a) => (
                <option key={a.id} value={a.id}>
                  {a.name || a.id}
                </option>
              ))}
            </NativeSelect>
          </div>
          <div className="flex flex-col gap-1.5">
            <Label htmlFor="filterStatus">Status</Label>
            <NativeSelect id="filterStatus" value={status} onChange={(e) => setStatus(e.target.value)}>
              <option value="">Any</option>
              {STATUSES.map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </NativeSelect>
          </div>
          <div className="flex flex-col gap-1.5">
            <Label htmlFor="filterReason">Ended reason</Label>
            <NativeSelect id="filterReason" value={reason} onChange={(e) => setReason(e.target.value)}>
              <option value="">Any</option>
              {reasons.map((r) => (
                <option key={r} value={r}>
                  {r}
                </option>
              ))}
            </NativeSelect>
          </div>
          <div className="flex flex-col gap-1.5">
            <Label htmlFor="filterFrom">From</Label>
            <Input id="filterFrom" type="date" value={from} onChange={(e) => setFrom(e.target.value)} />
          </div>
          <div className="flex flex-col gap-1.5">
            <Label htmlFor="filterTo">To</Label>
            <Input id="filterTo" type="date" value={to} onChange={(e) => setTo(e.target.value)} />
          </div>
          {filtered && (
            <Button
              variant="ghost"
              size="sm"
              className="justify-self-start lg:col-span-6"
              onClick={() => {
                setAssistantId('');
                setStatus('');
                setReason('');
                setFrom('');
                setTo('');
              }}
            >
              <RotateCcw aria-hidden /> Clear filters
            </Button>
          )}
        </div>
        <ListError error={error} />
        {calls === null && loading && <TableSkeleton rows={8} />}
        {calls !== null && visible.length === 0 && !loading && (
          <EmptyState
            icon={<PhoneCall />}
            title={filtered ? 'No calls match these filters' : 'No calls yet'}
            description={filtered ? undefined : 'Open an assistant and press Talk to make your first call from the browser.'}
            action={
              !filtered ? (
                <Button asChild>
                  <Link href="/assistants/">Go to assistants</Link>
                </Button>
              ) : undefined
            }
          />
        )}
        {visible.length > 0 && (
          <Table>
            <TableHeader>
              <TableRow>
                <TableHead>Started</TableHead>
                <TableHead>Assistant</TableHead>
                <TableHead className="hidden md:table-cell">Type</TableHead>
                <TableHead>Status</TableHead>
                <TableHead className="hidden lg:table-cell">Ended reason</TableHead>
                <TableHead className="text-right">Duration</TableHead>
                <TableHead className="hidden text-right sm:table-cell">Cost</TableHead>
              </TableRow>
            </TableHeader>
            <TableBody>
              {visible.map((c) => (
                <TableRow key={c.id} data-testid="call-row" data-call-id={c.id} className="cursor-pointer" onClick={() => router.push(`/calls/detail/?id=${c.id}`)}>
                  <TableCell className="whitespace-nowrap">
                    <Link
                      href={`/calls/detail/?id=${c.id}`}
                      onClick={(e) => e.stopPropagation()}
                      className="rounded hover:underline focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-ring"
                    >
                      {formatDate(c.startedAt ?? c.createdAt)}
                    </Link>
                  </TableCell>
                  <TableCell className="max-w-[12rem] truncate">{c.assistantId ? names.get(c.assistantId) ?? (assistants ? <span className="italic text-muted-foreground">deleted assistant</span> : c.assistantId.slice(0, 8)) : c.squadId ? 'Squad' : '—'}</TableCell>
                  <TableCell className="hidden text-muted-foreground md:table-cell">{c.type ?? '—'}</TableCell>
                  <TableCell>
                    <CallStatusBadge status={c.status} />
                  </TableCell>
                  <TableCell className="hidden text-sm lg:table-cell">
                    <EndedReason reason={c.endedReason} />
                  </TableCell>
                  <TableCell className="text-right tabular-nums">{formatDuration(callDurationSeconds(c))}</TableCell>
                  <TableCell className="hidden text-right tabular-nums sm:table-cell">{formatCost(c.cost)}</TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        )}
        {calls !== null && (more || loading) && (
          <div className="flex justify-center border-t p-3">
            {loading ? (
              <Spinner />
            ) : (
              <Button variant="outline" onClick={() => fetchPage(calls[calls.length - 1]?.createdAt)} data-testid="load-more">
                Load more
              </Button>
            )}
          </div>
        )}
      </Card>
    </>
  );
}
