import * as React from 'react';
import Link from 'next/link';
import { ArrowLeft } from 'lucide-react';
import { Alert } from './ui/alert';
import { Button } from './ui/button';

// The ways back from a detail page (an assistant, a call) to its list.

/** The arrow button left of a detail page's title; `label` is its accessible name. */
export function BackIconButton({ href, label }: { href: string; label: string }) {
  return (
    <Button asChild variant="ghost" size="icon" aria-label={label}>
      <Link href={href}>
        <ArrowLeft />
      </Link>
    </Button>
  );
}

/** What a detail page shows when it cannot load: the error, then a button back to the list. */
export function LoadFailure({ title, error, href, back }: { title: string; error: React.ReactNode; href: string; back: string }) {
  return (
    <div className="flex flex-col items-start gap-4">
      <Alert title={title}>{error}</Alert>
      <Button asChild variant="outline">
        <Link href={href}>
          <ArrowLeft aria-hidden /> {back}
        </Link>
      </Button>
    </div>
  );
}
