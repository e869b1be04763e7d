import { cn } from '@/lib/utils';
import { AlertCircle, Info } from 'lucide-react';

export function Alert({
  variant = 'error',
  title,
  children,
  className,
  testId,
}: {
  variant?: 'error' | 'info' | 'warning';
  title?: string;
  children?: React.ReactNode;
  className?: string;
  testId?: string; // default: "error" for errors, none otherwise
}) {
  const Icon = variant === 'info' ? Info : AlertCircle;
  return (
    <div
      role={variant === 'error' ? 'alert' : 'status'}
      data-testid={testId ?? (variant === 'error' ? 'error' : undefined)}
      className={cn(
        'flex gap-3 rounded-md border px-3 py-2.5 text-sm',
        variant === 'error' && 'border-destructive/40 bg-destructive/10 text-destructive',
        variant === 'warning' && 'border-warning/40 bg-warning/10 text-warning',
        variant === 'info' && 'border-border bg-muted/50 text-muted-foreground',
        className,
      )}
    >
      <Icon className="mt-0.5 size-4 shrink-0" aria-hidden />
      <div className="min-w-0 break-words">
        {title && <p className="font-medium">{title}</p>}
        {children}
      </div>
    </div>
  );
}
