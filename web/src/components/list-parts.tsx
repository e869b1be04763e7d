import * as React from 'react';
import { Search, Trash2 } from 'lucide-react';
import { Alert } from './ui/alert';
import { Button } from './ui/button';
import { Input } from './ui/input';
import { TableHead } from './ui/table';

// Pieces the list pages (assistants, keys, members, settings, the resource pages) share.

/** The load error of a list, inside its card: `p-4` under a toolbar, `px-5 pb-4` under a card header. */
export function ListError({ error, className = 'p-4' }: { error: string | null; className?: string }) {
  if (!error) return null;
  return (
    <div className={className}>
      <Alert>{error}</Alert>
    </div>
  );
}

/** The search box of a list's toolbar, with a screen-reader label. */
export function SearchBox({ label, placeholder, value, onChange }: { label: string; placeholder: string; value: string; onChange: (q: string) => void }) {
  return (
    <div className="relative w-full max-w-sm">
      <Search className="pointer-events-none absolute left-2.5 top-2.5 size-4 text-muted-foreground" aria-hidden />
      <label htmlFor="search" className="sr-only">
        {label}
      </label>
      <Input id="search" type="search" placeholder={placeholder} value={value} onChange={(e) => onChange(e.target.value)} className="pl-8" />
    </div>
  );
}

/** The header of the row-actions column: no visible text. */
export function ActionsHead({ className = 'w-16' }: { className?: string }) {
  return (
    <TableHead className={className}>
      <span className="sr-only">Actions</span>
    </TableHead>
  );
}

/** A row's red trash-can button (delete, revoke, remove); `label` is its accessible name. */
export function DeleteButton({ label, testId, onClick }: { label: string; testId: string; onClick: () => void }) {
  return (
    <Button variant="ghost" size="icon" className="text-destructive hover:text-destructive" onClick={onClick} aria-label={label} data-testid={testId}>
      <Trash2 />
    </Button>
  );
}
