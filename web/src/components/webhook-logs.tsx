'use client';

import * as React from 'react';
import Link from 'next/link';
import { Alert } from './ui/alert';
import { Badge } from './ui/badge';
import { formatDate, showValue as show } from '@/lib/utils';

/** One delivery attempt of a server message, as GET /logs?type=Webhook lists it. */
export interface WebhookLog {
  id?: string;
  callId?: string;
  time?: string;
  webhookType?: string;
  eventId?: string;
  attempt?: number;
  responseHttpCode?: number;
  requestDurationSeconds?: number;
  requestStartedAt?: string;
  requestUrl?: string;
  error?: string;
  requestBody?: unknown;
  responseBody?: unknown;
}

export function deliveryOk(l: WebhookLog): boolean {
  return typeof l.responseHttpCode === 'number' && l.responseHttpCode >= 200 && l.responseHttpCode < 300 && !l.error;
}

/** Deliveries, newest first as listed; each opens to its URL, error and bodies. `showCall`: a link to its call. */
export function WebhookLogList({ logs, showCall = false }: { logs: WebhookLog[]; showCall?: boolean }) {
  return (
    <ul className="divide-y text-sm">
      {logs.map((l, i) => {
        const ok = deliveryOk(l);
        return (
          <li key={i} className="py-2" data-testid="webhook-log">
            <details>
              <summary className="flex cursor-pointer select-none flex-wrap items-center gap-2">
                <Badge variant={ok ? 'success' : 'destructive'}>{l.responseHttpCode ?? 'no response'}</Badge>
                <span className="font-medium">{l.webhookType ?? 'webhook'}</span>
                {l.attempt && l.attempt > 1 && <span className="text-xs text-muted-foreground">attempt {l.attempt}</span>}
                <span className="ml-auto text-xs tabular-nums text-muted-foreground">
                  {l.requestDurationSeconds != null ? `${Math.round(l.requestDurationSeconds * 1000)} ms · ` : ''}
                  {formatDate(l.requestStartedAt ?? l.time)}
                </span>
              </summary>
              <div className="mt-2 space-y-2">
                {l.error && <Alert testId="webhook-error">{l.error}</Alert>}
                {l.requestUrl && <p className="break-all font-mono text-xs text-muted-foreground">{l.requestUrl}</p>}
                {showCall && l.callId && (
                  <Link href={`/calls/detail/?id=${l.callId}`} className="text-xs text-primary hover:underline" data-testid="webhook-log-call">
                    Call {l.callId.slice(0, 8)}
                  </Link>
                )}
                <pre className="max-h-64 overflow-auto rounded-md bg-muted/50 p-2 font-mono text-xs">{show(l.requestBody)}</pre>
                {l.responseBody !== undefined && (
                  <pre className="max-h-40 overflow-auto rounded-md bg-muted/50 p-2 font-mono text-xs">{show(l.responseBody)}</pre>
                )}
              </div>
            </details>
          </li>
        );
      })}
    </ul>
  );
}
