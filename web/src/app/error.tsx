'use client';

import { ErrorPanel } from '@/components/error-boundary';

export default function RouteError({ error, reset }: { error: Error; reset: () => void }) {
  return <ErrorPanel error={error} onRetry={reset} />;
}
