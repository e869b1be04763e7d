'use client';

import * as React from 'react';
import { ScrollText } from 'lucide-react';
import { PageHeader, EmptyState } from '@/components/page-header';
import { Card } from '@/components/ui/card';
import { Button } from '@/components/ui/button';
import { Input, NativeSelect } from '@/components/ui/input';
import { Label } from '@/components/ui/label';
import { Alert } from '@/components/ui/alert';
import { TableSkeleton } from '@/components/ui/skeleton';
import { WebhookLogList, deliveryOk, type WebhookLog } from '@/components/webhook-logs';
import { api } from '@/lib/api';
import { useFetch } from '@/lib/use-fetch';
import { SERVER_MESSAGES } from '@/lib/providers';

const PAGE_SIZE = 50;

/** The org's webhook deliveries (GET /logs?type=Webhook), filtered by event, call and outcome. */
export default function LogsPage() {
  const [webhookType, setWebhookType] = React.useState('');
  const [callId, setCallId] = React.useState('');
  const [failedOnly, setFailedOnly] = React.useState(false);
  const [page, setPage] = React.useState(1);
  const query = React.useMemo(
    () => ({ type: 'Webhook', page, limit: PAGE_SIZE, ...(webhookType ? { webhookType } : {}), ...(callId.trim() ? { callId: callId.trim() } : {}) }),
    [webhookType, callId, page],
  );
  const { data, error, loading } = useFetch(
    (signal) => api.get<{ results?: WebhookLog[]; metadata?: { totalItems?: number; totalPages?: number } }>('/logs', query, signal),
    [query],
  );
  const all = data?.results ?? [];
  const logs = failedOnly ? all.filter((l) => !deliveryOk(l)) : all;
  const pages = data?.metadata?.totalPages ?? 1;
  const filtered = !!(webhookType || callId.trim() || failedOnly);

  return (
    <>
      <PageHeader title="Logs" description="Every delivery attempt of your server messages (webhooks): status, time, URL, request and response." />
      <Card>
        <div className="flex flex-wrap items-end gap-3 border-b p-3">
          <div className="flex flex-col gap-1">
            <Label htmlFor="logType">Event</Label>
            <NativeSelect
              id="logType"
              value={webhookType}
              onChange={(e) => {
                setWebhookType(e.target.value);
                setPage(1);
              }}
              className="w-auto min-w-[13rem]"
            >
              <option value="">All events</option>
              {SERVER_MESSAGES.map((m) => (
                <option key={m} value={m}>
                  {m}
                </option>
              ))}
            </NativeSelect>
          </div>
          <div className="flex flex-col gap-1">
            <Label htmlFor="logCall">Call id</Label>
            <Input
              id="logCall"
              value={callId}
              onChange={(e) => {
                setCallId(e.target.value);
                setPage(1);
              }}
              placeholder="any call"
              className="w-72 font-mono text-xs"
            />
          </div>
          <label className="flex items-center gap-2 pb-2 text-sm">
            <input type="checkbox" id="logFailed" checked={failedOnly} onChange={(e) => setFailedOnly(e.target.checked)} />
            Failed only
          </label>
          {data && (
            <span className="ml-auto pb-2 text-sm text-muted-foreground" data-testid="log-count">
              {logs.length} shown{data.metadata?.totalItems != null ? ` of ${data.metadata.totalItems}` : ''}
            </span>
          )}
        </div>
        {error && <Alert className="m-3">{error}</Alert>}
        {loading && !data && <TableSkeleton />}
        {data && logs.length === 0 && (
          <EmptyState
            icon={<ScrollText />}
            title={filtered ? 'No delivery matches these filters' : 'No webhook deliveries yet'}
            description={filtered ? undefined : 'Set a server URL on an assistant or in Settings to receive server messages.'}
          />
        )}
        {logs.length > 0 && (
          <div className="px-4" data-testid="log-list">
            <WebhookLogList logs={logs} showCall />
          </div>
        )}
        {pages > 1 && (
          <div className="flex items-center justify-end gap-2 border-t p-3 text-sm">
            <Button variant="outline" size="sm" disabled={page <= 1} onClick={() => setPage((p) => p - 1)}>
              Newer
            </Button>
            <span className="tabular-nums text-muted-foreground">
              {page} / {pages}
            </span>
            <Button variant="outline" size="sm" disabled={page >= pages} onClick={() => setPage((p) => p + 1)}>
              Older
            </Button>
          </div>
        )}
      </Card>
    </>
  );
}
