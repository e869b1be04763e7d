import { Badge } from './ui/badge';

export function CallStatusBadge({ status }: { status?: string }) {
  const variant =
    status === 'ended' ? 'secondary' : status === 'in-progress' ? 'default' : status === 'queued' || status === 'ringing' ? 'warning' : 'outline';
  return <Badge variant={variant}>{status ?? 'unknown'}</Badge>;
}

export function isErrorReason(reason?: string) {
  return !!reason && /error|failed|fault/i.test(reason);
}

export function EndedReason({ reason }: { reason?: string }) {
  if (!reason) return <span className="text-muted-foreground">—</span>;
  return <span className={isErrorReason(reason) ? 'text-destructive' : undefined}>{reason}</span>;
}
