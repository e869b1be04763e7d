'use client';

import * as React from 'react';
import { useRouter } from 'next/navigation';
import { CalendarCheck, Headphones, Target, FilePlus2, Loader2 } from 'lucide-react';
import { PageHeader } from '@/components/page-header';
import { Alert } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { Input } from '@/components/ui/input';
import { Field } from '@/components/field';
import { Dialog, DialogContent, DialogDescription, DialogFooter, DialogHeader, DialogTitle } from '@/components/ui/dialog';
import { api, errorMessage } from '@/lib/api';
import { TEMPLATES } from '@/lib/templates';
import { useRole } from '@/lib/session-store';
import { canEditResources } from '@/lib/roles';
import type { Assistant } from '@/lib/types';
import { cn } from '@/lib/utils';

const ICONS: Record<string, React.ComponentType<{ className?: string }>> = {
  'appointment-booking': CalendarCheck,
  'customer-support': Headphones,
  'lead-qualification': Target,
  blank: FilePlus2,
};

export default function NewAssistantPage() {
  const router = useRouter();
  const role = useRole();
  const [busy, setBusy] = React.useState<string | null>(null);
  const [error, setError] = React.useState<string | null>(null);
  // The template picked, waiting for its name (nothing is created before that).
  const [picked, setPicked] = React.useState<string | null>(null);
  const [name, setName] = React.useState('');
  const [nameError, setNameError] = React.useState<string | undefined>();
  const allowed = canEditResources(role);
  const pickedTemplate = TEMPLATES.find((x) => x.id === picked);

  const pick = (id: string) => {
    const t = TEMPLATES.find((x) => x.id === id)!;
    setPicked(id);
    setName(String((t.body as { name?: string }).name ?? t.title));
    setNameError(undefined);
    setError(null);
  };

  const create = async (id: string) => {
    const t = TEMPLATES.find((x) => x.id === id)!;
    const n = name.trim();
    if (!n) return setNameError('Give the assistant a name');
    if (n.length > 40) return setNameError('At most 40 characters');
    setBusy(id);
    setError(null);
    try {
      const a = await api.post<Assistant>('/assistant', { ...t.body, name: n });
      router.push(`/assistants/edit/?id=${a.id}`);
    } catch (e) {
      setError(errorMessage(e));
      setBusy(null);
    }
  };

  return (
    <>
      <PageHeader
        title="New assistant"
        description="Pick a template, or start blank. Every one runs on Voxa's built-in engines, so you can talk to it right away."
      />
      {!allowed && (
        <Alert variant="warning" className="mb-4">
          Your role ({role}) cannot create assistants.
        </Alert>
      )}
      {error && picked === null && <Alert className="mb-4">{error}</Alert>}
      <div className="grid gap-4 sm:grid-cols-2">
        {TEMPLATES.map((t) => {
          const Icon = ICONS[t.id] ?? FilePlus2;
          return (
            <button
              key={t.id}
              type="button"
              data-testid={`template-${t.id}`}
              disabled={!allowed || busy !== null}
              onClick={() => pick(t.id)}
              className={cn(
                'group flex items-start gap-4 rounded-lg border bg-card p-5 text-left transition-colors hover:border-primary/60 hover:bg-accent/40 focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-ring disabled:cursor-not-allowed disabled:opacity-60',
              )}
            >
              <span className="rounded-md bg-primary/15 p-2.5 text-primary">
                {busy === t.id ? <Loader2 className="size-5 animate-spin" aria-hidden /> : <Icon className="size-5" aria-hidden />}
              </span>
              <span className="min-w-0">
                <span className="block font-medium">{t.title}</span>
                <span className="mt-1 block text-sm text-muted-foreground">{t.description}</span>
              </span>
            </button>
          );
        })}
      </div>
      <Dialog open={picked !== null} onOpenChange={(o) => !o && busy === null && setPicked(null)}>
        <DialogContent>
          <form
            className="grid gap-4"
            noValidate
            onSubmit={(e) => {
              e.preventDefault();
              if (picked) void create(picked);
            }}
          >
            <DialogHeader>
              <DialogTitle>Name your assistant</DialogTitle>
              <DialogDescription>
                {pickedTemplate?.id === 'blank' ? 'A blank assistant' : `From the ${pickedTemplate?.title.toLowerCase()} template`}; you can change
                everything after.
              </DialogDescription>
            </DialogHeader>
            {error && <Alert>{error}</Alert>}
            <Field id="newAssistantName" label="Name" error={nameError}>
              <Input value={name} onChange={(e) => setName(e.target.value)} maxLength={40} autoFocus />
            </Field>
            <DialogFooter>
              <Button variant="outline" type="button" onClick={() => setPicked(null)} disabled={busy !== null}>
                Cancel
              </Button>
              <Button type="submit" data-testid="create-assistant" disabled={busy !== null}>
                {busy ? 'Creating…' : 'Create'}
              </Button>
            </DialogFooter>
          </form>
        </DialogContent>
      </Dialog>
    </>
  );
}
