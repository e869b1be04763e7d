'use client';

import * as React from 'react';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { Bot, Plus, Search } from 'lucide-react';
import { PageHeader, EmptyState } from '@/components/page-header';
import { Button } from '@/components/ui/button';
import { Card } from '@/components/ui/card';
import { Badge } from '@/components/ui/badge';
import { TableSkeleton } from '@/components/ui/skeleton';
import { ListError, SearchBox } from '@/components/list-parts';
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from '@/components/ui/table';
import { api } from '@/lib/api';
import { useFetch } from '@/lib/use-fetch';
import { useRole } from '@/lib/session-store';
import { canEditResources } from '@/lib/roles';
import type { Assistant } from '@/lib/types';
import { formatDate } from '@/lib/utils';

function providerSummary(a: Assistant) {
  const p = (o: unknown) => ((o as { provider?: string } | undefined)?.provider ?? '—');
  return `${p(a.transcriber)} · ${p(a.model)} · ${p(a.voice)}`;
}

export default function AssistantsPage() {
  const router = useRouter();
  const role = useRole();
  const canEdit = canEditResources(role);
  const [q, setQ] = React.useState('');
  const { data, error, loading } = useFetch((signal) => api.get<Assistant[]>('/assistant', { limit: 1000 }, signal), []);
  const filtered = React.useMemo(() => {
    const s = q.trim().toLowerCase();
    const list = data ?? [];
    return s ? list.filter((a) => (a.name ?? '').toLowerCase().includes(s) || a.id.includes(s)) : list;
  }, [data, q]);

  const newButton = canEdit ? (
    <Button asChild data-testid="new-assistant">
      <Link href="/assistants/new/">
        <Plus aria-hidden /> New assistant
      </Link>
    </Button>
  ) : null;

  return (
    <>
      <PageHeader title="Assistants" description="Voice agents: their models, voices, prompts and behaviour." actions={newButton} />
      <Card>
        <div className="flex items-center gap-2 border-b p-3">
          <SearchBox label="Search assistants" placeholder="Search by name…" value={q} onChange={setQ} />
          {data && (
            <span className="ml-auto whitespace-nowrap text-sm text-muted-foreground">
              {filtered.length} of {data.length}
            </span>
          )}
        </div>
        <ListError error={error} />
        {loading && !data && <TableSkeleton />}
        {data && data.length === 0 && (
          <EmptyState
            icon={<Bot />}
            title="No assistants yet"
            description="Start from a template: appointment booking, customer support or lead qualification. They run on the built-in engines, no keys needed."
            action={
              canEdit ? (
                <Button asChild variant="outline">
                  <Link href="/assistants/new/">
                    <Plus aria-hidden /> Create from a template
                  </Link>
                </Button>
              ) : undefined
            }
          />
        )}
        {data && data.length > 0 && filtered.length === 0 && <EmptyState icon={<Search />} title={`No assistant matches “${q}”`} />}
        {filtered.length > 0 && (
          <Table>
            <TableHeader>
              <TableRow>
                <TableHead>Name</TableHead>
                <TableHead className="hidden md:table-cell">Engines (STT · LLM · TTS)</TableHead>
                <TableHead className="hidden sm:table-cell">Updated</TableHead>
                <TableHead className="hidden lg:table-cell">ID</TableHead>
              </TableRow>
            </TableHeader>
            <TableBody>
              {filtered.map((a) => (
                <TableRow
                  key={a.id}
                  data-testid="assistant-row"
                  data-assistant-id={a.id}
                  className="cursor-pointer"
                  onClick={() => router.push(`/assistants/edit/?id=${a.id}`)}
                >
                  <TableCell className="font-medium">
                    <Link
                      href={`/assistants/edit/?id=${a.id}`}
                      className="rounded hover:underline focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-ring"
                      onClick={(e) => e.stopPropagation()}
                    >
                      {a.name || <span className="italic text-muted-foreground">Unnamed</span>}
                    </Link>
                  </TableCell>
                  <TableCell className="hidden md:table-cell">
                    <Badge variant="secondary">{providerSummary(a)}</Badge>
                  </TableCell>
                  <TableCell className="hidden text-muted-foreground sm:table-cell">{formatDate(a.updatedAt ?? a.createdAt)}</TableCell>
                  <TableCell className="hidden font-mono text-xs text-muted-foreground lg:table-cell">{a.id}</TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        )}
      </Card>
    </>
  );
}
