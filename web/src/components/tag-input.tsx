'use client';

import * as React from 'react';
import { X } from 'lucide-react';
import { cn } from '@/lib/utils';

/** A list of short strings: Enter or comma adds, Backspace on empty removes the last. */
export function TagInput({
  id,
  value,
  onChange,
  placeholder,
  disabled,
  ...aria
}: {
  id?: string;
  value: string[];
  onChange: (v: string[]) => void;
  placeholder?: string;
  disabled?: boolean;
  'aria-invalid'?: boolean;
  'aria-describedby'?: string;
}) {
  const [text, setText] = React.useState('');
  const add = () => {
    const t = text.trim();
    if (t && !value.includes(t)) onChange([...value, t]);
    setText('');
  };
  return (
    <div
      className={cn(
        'flex min-h-9 w-full flex-wrap items-center gap-1.5 rounded-md border border-input bg-background/60 px-2 py-1.5 focus-within:ring-2 focus-within:ring-ring',
        disabled && 'opacity-60',
      )}
    >
      {value.map((tag) => (
        <span key={tag} className="inline-flex items-center gap-1 rounded bg-secondary px-2 py-0.5 text-xs">
          {tag}
          {!disabled && (
            <button
              type="button"
              className="rounded text-muted-foreground hover:text-foreground focus-visible:outline-none focus-visible:ring-1 focus-visible:ring-ring"
              onClick={() => onChange(value.filter((v) => v !== tag))}
            >
              <X className="size-3" aria-hidden />
              <span className="sr-only">Remove {tag}</span>
            </button>
          )}
        </span>
      ))}
      <input
        id={id}
        {...aria}
        disabled={disabled}
        value={text}
        placeholder={value.length === 0 ? placeholder : 'Add…'}
        onChange={(e) => setText(e.target.value)}
        onBlur={add}
        onKeyDown={(e) => {
          if (e.key === 'Enter' || e.key === ',') {
            e.preventDefault();
            add();
          } else if (e.key === 'Backspace' && !text && value.length) {
            onChange(value.slice(0, -1));
          }
        }}
        className="min-w-[8rem] flex-1 bg-transparent px-1 text-sm outline-none placeholder:text-muted-foreground"
      />
    </div>
  );
}
