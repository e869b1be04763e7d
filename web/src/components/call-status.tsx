import { Badge } from './ui/badge';
import { cn } from '@/lib/utils';
import { describeEndedReason } from '@/lib/ended-reasons';

export function CallStatusBadge({ status }: { status?: string }) {
  const variant =
    status === 'ended' ? 'secondary' : status === 'in-progress' ? 'default' : status === 'queued' || status === 'ringing' ? 'warning' : 'outline';
  return <Badge variant={variant}>{status ?? 'unknown'}</Badge>;
}

export function isErrorReason(reason?: string) {
  return !!reason && /error|failed|fault/i.test(reason);
}

/** The reason in words (the raw value as a tooltip and below, never cut), with what to do. */
export function EndedReason({ reason, detailed = false }: { reason?: string; detailed?: boolean }) {
  if (!reason) return <span className="text-muted-foreground">—</span>;
  const d = describeEndedReason(reason);
  return (
    <span className={cn('break-words', isErrorReason(reason) && 'text-destructive')} title={reason} data-testid="ended-reason">
      {d?.text ?? reason}
      {detailed && (
        <>
          {d?.action && <span className="mt-1 block text-xs text-muted-foreground" data-testid="ended-reason-action">{d.action}</span>}
          <span className="mt-0.5 block break-all font-mono text-[11px] text-muted-foreground">{reason}</span>
        </>
      )}
    </span>
  );
}
