'use client';

import { Checkbox } from './ui/checkbox';

/** A bordered, scrollable list of checkboxes (multi-select). */
export function MultiCheck({
  id,
  options,
  value,
  onChange,
  disabled,
  emptyText = 'Nothing to choose from',
}: {
  id: string;
  options: Array<{ value: string; label: string; hint?: string }>;
  value: string[];
  onChange: (v: string[]) => void;
  disabled?: boolean;
  emptyText?: string;
}) {
  if (options.length === 0) return <p className="text-sm text-muted-foreground">{emptyText}</p>;
  return (
    <div id={id} role="group" className="max-h-56 overflow-y-auto rounded-md border border-input p-1">
      {options.map((o) => {
        const cid = `${id}-${o.value.replace(/[^a-zA-Z0-9_-]/g, '_')}`;
        const checked = value.includes(o.value);
        return (
          <label key={o.value} htmlFor={cid} className="flex cursor-pointer items-center gap-2 rounded px-2 py-1.5 text-sm hover:bg-muted/50">
            <Checkbox
              id={cid}
              checked={checked}
              disabled={disabled}
              onCheckedChange={(c) => onChange(c ? [...value, o.value] : value.filter((v) => v !== o.value))}
            />
            <span className="truncate">{o.label}</span>
            {o.hint && <span className="ml-auto truncate text-xs text-muted-foreground">{o.hint}</span>}
          </label>
        );
      })}
    </div>
  );
}
