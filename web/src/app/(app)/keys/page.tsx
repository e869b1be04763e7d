'use client';

import * as React from 'react';
import { KeyRound, Plus } from 'lucide-react';
import { PageHeader, EmptyState } from '@/components/page-header';
import { Button } from '@/components/ui/button';
import { Input, NativeSelect } from '@/components/ui/input';
import { Card } from '@/components/ui/card';
import { Alert } from '@/components/ui/alert';
import { Badge } from '@/components/ui/badge';
import { TableSkeleton } from '@/components/ui/skeleton';
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from '@/components/ui/table';
import { Dialog, DialogContent, DialogDescription, DialogFooter, DialogHeader, DialogTitle } from '@/components/ui/dialog';
import { ConfirmDialog } from '@/components/ui/confirm-dialog';
import { Field } from '@/components/field';
import { CopyButton } from '@/components/copy-button';
import { RoleNotice } from '@/components/role-notice';
import { ActionsHead, DeleteButton, ListError } from '@/components/list-parts';
import { api } from '@/lib/api';
import { keySchema } from '@/lib/schemas';
import { useFormSubmit } from '@/lib/use-form-submit';
import { useFetch } from '@/lib/use-fetch';
import { useRole } from '@/lib/session-store';
import { canAdmin } from '@/lib/roles';
import { toast } from '@/lib/toast-store';
import type { ApiKey } from '@/lib/types';
import { formatDate } from '@/lib/utils';

function CreateKeyDialog({ open, onOpenChange, onCreated }: { open: boolean; onOpenChange: (o: boolean) => void; onCreated: (k: ApiKey) => void }) {
  const [tag, setTag] = React.useState<'private' | 'public'>('private');
  const [name, setName] = React.useState('');
  const [created, setCreated] = React.useState<ApiKey | null>(null);
  const { errors, error, busy, validate, run, clear } = useFormSubmit();

  React.useEffect(() => {
    if (open) {
      setTag('private');
      setName('');
      clear();
      setCreated(null);
    }
  }, [open, clear]);

  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    const data = validate(keySchema, { tag, name });
    if (!data) return;
    await run(async () => {
      const k = await api.post<ApiKey>('/token', data);
      setCreated(k);
      onCreated(k);
    });
  };

  return (
    <Dialog open={open} onOpenChange={onOpenChange}>
      <DialogContent onInteractOutside={(e) => created && e.preventDefault()}>
        {created ? (
          <div className="grid gap-4">
            <DialogHeader>
              <DialogTitle>Copy your new key</DialogTitle>
              <DialogDescription>This is the only time the key is shown. Store it somewhere safe.</DialogDescription>
            </DialogHeader>
            <div className="flex items-center gap-2 rounded-md border bg-muted/40 p-3">
              <code data-testid="key-value" className="min-w-0 flex-1 break-all font-mono text-sm">
                {created.value}
              </code>
              <CopyButton value={created.value ?? ''} testId="copy-key" />
            </div>
            <p className="text-xs text-muted-foreground">
              {created.tag === 'public'
                ? 'A public key can only start web calls (POST /call/web); it is safe to ship in a browser.'
                : 'A private key acts as an admin of this organization on every endpoint: keep it on your server.'}
            </p>
            <DialogFooter>
              <Button onClick={() => onOpenChange(false)} data-testid="key-done">
                Done
              </Button>
            </DialogFooter>
          </div>
        ) : (
          <form onSubmit={submit} className="grid gap-4" noValidate>
            <DialogHeader>
              <DialogTitle>Create an API key</DialogTitle>
              <DialogDescription>Private keys are for servers; public keys for web calls from browsers.</DialogDescription>
            </DialogHeader>
            {error && <Alert>{error}</Alert>}
            <Field id="keyTag" label="Type" error={errors.tag}>
              <NativeSelect value={tag} onChange={(e) => setTag(e.target.value as 'private' | 'public')}>
                <option value="private">Private (server)</option>
                <option value="public">Public (web calls)</option>
              </NativeSelect>
            </Field>
            <Field id="keyName" label="Name" error={errors.name}>
              <Input value={name} onChange={(e) => setName(e.target.value)} placeholder="Production backend" autoFocus />
            </Field>
            <DialogFooter>
              <Button variant="outline" onClick={() => onOpenChange(false)}>
                Cancel
              </Button>
              <Button type="submit" disabled={busy} data-testid="create-key-submit">
                {busy ? 'Creating…' : 'Create key'}
              </Button>
            </DialogFooter>
          </form>
        )}
      </DialogContent>
    </Dialog>
  );
}

export default function KeysPage() {
  const role = useRole();
  const allowed = canAdmin(role);
  const [creating, setCreating] = React.useState(false);
  const [revoking, setRevoking] = React.useState<ApiKey | null>(null);
  const { data, setData, error, loading } = useFetch(
    (signal) => (allowed ? api.get<ApiKey[]>('/token', { limit: 1000 }, signal) : Promise.resolve([] as ApiKey[])),
    [allowed],
  );

  const createButton = allowed ? (
    <Button onClick={() => setCreating(true)} data-testid="create-key">
      <Plus aria-hidden /> Create key
    </Button>
  ) : null;

  return (
    <>
      <PageHeader title="API keys" description="Keys for the REST API (private) and for browser web calls (public)." actions={createButton} />
      {!allowed && <RoleNotice role={role} what="view or manage API keys" />}
      {allowed && (
        <Card>
          <ListError error={error} />
          {loading && !data && <TableSkeleton rows={3} />}
          {data && data.length === 0 && <EmptyState icon={<KeyRound />} title="No API keys" description="Create a key with the button above to use the API or the SDKs." />}
          {data && data.length > 0 && (
            <Table>
              <TableHeader>
                <TableRow>
                  <TableHead>Name</TableHead>
                  <TableHead>Type</TableHead>
                  <TableHead>Key</TableHead>
                  <TableHead className="hidden sm:table-cell">Created</TableHead>
                  <ActionsHead />
                </TableRow>
              </TableHeader>
              <TableBody>
                {data.map((k) => (
                  <TableRow key={k.id} data-testid="key-row" data-key-id={k.id}>
                    <TableCell className="font-medium">{k.name || <span className="italic text-muted-foreground">Unnamed</span>}</TableCell>
                    <TableCell>
                      <Badge variant={k.tag === 'private' ? 'warning' : 'secondary'}>{k.tag}</Badge>
                    </TableCell>
                    <TableCell className="font-mono text-xs text-muted-foreground">{k.prefix ? `${k.prefix}…` : '—'}</TableCell>
                    <TableCell className="hidden text-muted-foreground sm:table-cell">{formatDate(k.createdAt)}</TableCell>
                    <TableCell>
                      <DeleteButton label={`Revoke ${k.name || k.prefix}`} testId="revoke-key" onClick={() => setRevoking(k)} />
                    </TableCell>
                  </TableRow>
                ))}
              </TableBody>
            </Table>
          )}
        </Card>
      )}
      <CreateKeyDialog open={creating} onOpenChange={setCreating} onCreated={(k) => setData((d) => [{ ...k, value: undefined }, ...(d ?? [])])} />
      <ConfirmDialog
        open={revoking !== null}
        onOpenChange={(o) => !o && setRevoking(null)}
        title={`Revoke “${revoking?.name || revoking?.prefix}”?`}
        description="Requests with this key stop working at once (within 30 seconds on other nodes). This cannot be undone."
        confirmLabel="Revoke key"
        onConfirm={async () => {
          if (!revoking) return;
          await api.del(`/token/${revoking.id}`);
          setData((d) => (d ?? []).filter((x) => x.id !== revoking.id));
          toast.success('Key revoked');
        }}
      />
    </>
  );
}
