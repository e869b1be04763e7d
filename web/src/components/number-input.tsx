'use client';

import * as React from 'react';
import { Input } from './ui/input';

/**
 * A numeric text field bound to number | undefined. Unparseable text is passed up as the raw
 * string so that validation can report it instead of silently dropping it.
 */
export function NumberInput({
  value,
  onChange,
  ...props
}: Omit<React.InputHTMLAttributes<HTMLInputElement>, 'value' | 'onChange'> & {
  value: unknown;
  onChange: (v: number | string | undefined) => void;
}) {
  const external = value === undefined || value === null ? '' : String(value);
  const [text, setText] = React.useState(external);
  React.useEffect(() => {
    setText((t) => {
      const n = Number(t);
      const mine = t.trim() === '' ? undefined : Number.isFinite(n) ? n : t;
      const same = mine === value || (mine === undefined && (value === undefined || value === null));
      return same ? t : external;
    });
  }, [value, external]);
  return (
    <Input
      {...props}
      inputMode="decimal"
      autoComplete="off"
      value={text}
      onChange={(e) => {
        const t = e.target.value;
        setText(t);
        if (t.trim() === '') onChange(undefined);
        else {
          const n = Number(t);
          onChange(Number.isFinite(n) ? n : t);
        }
      }}
    />
  );
}
