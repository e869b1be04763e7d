'use client';

import { CheckCircle2, AlertCircle, Info, X } from 'lucide-react';
import { useToasts } from '@/lib/toast-store';
import { cn } from '@/lib/utils';

export function Toaster() {
  const { toasts, dismiss } = useToasts();
  return (
    <div
      aria-live="polite"
      className="pointer-events-none fixed bottom-4 right-4 z-[100] flex w-[calc(100%-2rem)] max-w-sm flex-col gap-2"
    >
      {toasts.map((t) => {
        const Icon = t.variant === 'success' ? CheckCircle2 : t.variant === 'error' ? AlertCircle : Info;
        return (
          <div
            key={t.id}
            role={t.variant === 'error' ? 'alert' : 'status'}
            data-testid="toast"
            data-variant={t.variant}
            className={cn(
              'pointer-events-auto flex items-start gap-3 rounded-lg border bg-popover p-3 pr-2 text-sm shadow-lg animate-slide-up',
              t.variant === 'error' && 'border-destructive/50',
              t.variant === 'success' && 'border-primary/50',
            )}
          >
            <Icon
              className={cn(
                'mt-0.5 size-4 shrink-0',
                t.variant === 'error' ? 'text-destructive' : t.variant === 'success' ? 'text-primary' : 'text-muted-foreground',
              )}
              aria-hidden
            />
            <div className="min-w-0 flex-1">
              <p className="font-medium">{t.title}</p>
              {t.description && <p className="mt-0.5 break-words text-muted-foreground">{t.description}</p>}
            </div>
            <button
              type="button"
              onClick={() => dismiss(t.id)}
              className="rounded p-1 text-muted-foreground hover:text-foreground focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-ring"
            >
              <X className="size-3.5" aria-hidden />
              <span className="sr-only">Dismiss</span>
            </button>
          </div>
        );
      })}
    </div>
  );
}
