'use client';

import * as React from 'react';
import { Textarea } from './ui/input';
import { cn } from '@/lib/utils';

export function parseJson(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (e) {
    return { ok: false, error: `Invalid JSON: ${(e as Error).message}` };
  }
}

/** A monospace JSON textarea that reports parse errors inline. */
export function JsonEditor({
  id,
  value,
  onChange,
  rows = 14,
  disabled,
  className,
  ...aria
}: {
  id?: string;
  value: string;
  onChange: (v: string) => void;
  rows?: number;
  disabled?: boolean;
  className?: string;
  'aria-invalid'?: boolean;
  'aria-describedby'?: string;
}) {
  return (
    <Textarea
      id={id}
      {...aria}
      spellCheck={false}
      rows={rows}
      disabled={disabled}
      value={value}
      onChange={(e) => onChange(e.target.value)}
      className={cn('font-mono text-xs leading-5', className)}
    />
  );
}
