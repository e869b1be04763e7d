'use client';

import * as React from 'react';
import { Plus, KeySquare } from 'lucide-react';
import { PageHeader } from '@/components/page-header';
import { Button } from '@/components/ui/button';
import { Input } from '@/components/ui/input';
import { Card, CardContent, CardDescription, CardFooter, CardHeader, CardTitle } from '@/components/ui/card';
import { Alert } from '@/components/ui/alert';
import { Badge } from '@/components/ui/badge';
import { Skeleton, TableSkeleton } from '@/components/ui/skeleton';
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from '@/components/ui/table';
import { ConfirmDialog } from '@/components/ui/confirm-dialog';
import { Field } from '@/components/field';
import { EmptyState } from '@/components/page-header';
import { RoleNotice } from '@/components/role-notice';
import { ActionsHead, DeleteButton, ListError } from '@/components/list-parts';
import { CredentialDialog } from '@/components/credential-dialog';
import { api } from '@/lib/api';
import { orgSettingsSchema } from '@/lib/schemas';
import { useFormSubmit } from '@/lib/use-form-submit';
import { useFetch } from '@/lib/use-fetch';
import { useSession } from '@/lib/session-store';
import { canAdmin } from '@/lib/roles';
import { toast } from '@/lib/toast-store';
import type { Credential, Org } from '@/lib/types';
import { formatDate } from '@/lib/utils';

function OrgSettings({ orgId, admin }: { orgId: string; admin: boolean }) {
  const { data: org, setData, error, loading } = useFetch((signal) => api.get<Org>(`/org/${orgId}`, undefined, signal), [orgId]);
  const [name, setName] = React.useState('');
  const [serverUrl, setServerUrl] = React.useState('');
  const [serverSecret, setServerSecret] = React.useState('');
  const { errors, error: saveError, busy, validate, run } = useFormSubmit();

  React.useEffect(() => {
    if (!org) return;
    setName(org.name ?? '');
    setServerUrl(org.server?.url ?? org.serverUrl ?? '');
    setServerSecret(org.server?.secret ?? org.serverUrlSecret ?? '');
  }, [org]);

  const save = async (e: React.FormEvent) => {
    e.preventDefault();
    if (!org) return;
    if (!validate(orgSettingsSchema, { name, serverUrl, serverSecret })) return;
    const url = serverUrl.trim();
    const body: Record<string, unknown> = { name: name.trim() };
    if (url) {
      const rest = { ...(org.server ?? {}) };
      delete rest.secret;
      body.server = { ...rest, url, ...(serverSecret ? { secret: serverSecret } : {}) };
    } else if (org.server) body.server = null;
    if (org.serverUrl !== undefined && !url) body.serverUrl = null;
    await run(async () => {
      const saved = await api.patch<Org>(`/org/${org.id}`, body);
      setData(saved);
      if (saved.name && saved.name !== useSession.getState().session?.org.name) void useSession.getState().load(true);
      toast.success('Saved', 'Organization settings updated.');
    });
  };

  return (
    <Card>
      <form onSubmit={save} noValidate>
        <CardHeader>
          <CardTitle>Organization</CardTitle>
          <CardDescription>The server URL receives server messages of every assistant that has none of its own.</CardDescription>
        </CardHeader>
        <CardContent>
          {error && <Alert>{error}</Alert>}
          {loading && !org && <Skeleton className="h-32 w-full" />}
          {org && (
            <fieldset disabled={!admin} className="grid gap-4 sm:grid-cols-2">
              <legend className="sr-only">Organization settings</legend>
              <Field id="orgName" label="Name" error={errors.name}>
                <Input value={name} onChange={(e) => setName(e.target.value)} />
              </Field>
              <Field id="orgId" label="Organization id">
                <Input value={org.id} readOnly className="font-mono text-xs" />
              </Field>
              <Field id="orgServerUrl" label="Server URL" error={errors.serverUrl}>
                <Input value={serverUrl} onChange={(e) => setServerUrl(e.target.value)} placeholder="https://example.com/voxa-webhook" />
              </Field>
              <Field id="orgServerSecret" label="Server secret (X-Vapi-Secret)" error={errors.serverSecret}>
                <Input type="password" autoComplete="off" value={serverSecret} onChange={(e) => setServerSecret(e.target.value)} />
              </Field>
              {saveError && (
                <div className="sm:col-span-2">
                  <Alert>{saveError}</Alert>
                </div>
              )}
            </fieldset>
          )}
        </CardContent>
        {admin && org && (
          <CardFooter>
            <Button type="submit" disabled={busy} data-testid="save-org">
              {busy ? 'Saving…' : 'Save'}
            </Button>
          </CardFooter>
        )}
      </form>
    </Card>
  );
}

/** Where a credential's requests go: its apiUrl, or Azure OpenAI's endpoint and region. */
function apiUrlOf(c: Credential): string {
  if (typeof c.apiUrl === 'string' && c.apiUrl) return c.apiUrl;
  if (typeof c.openAIEndpoint === 'string' && c.openAIEndpoint) return typeof c.region === 'string' ? `${c.openAIEndpoint} (${c.region})` : c.openAIEndpoint;
  return '—';
}

function Credentials() {
  const { data, setData, error, loading } = useFetch((signal) => api.get<Credential[]>('/credential', { limit: 1000 }, signal), []);
  const [adding, setAdding] = React.useState(false);
  const [deleting, setDeleting] = React.useState<Credential | null>(null);
  const addButton = (
    <Button onClick={() => setAdding(true)} data-testid="add-credential" size="sm">
      <Plus aria-hidden /> Add credential
    </Button>
  );
  return (
    <Card>
      <CardHeader className="flex-row items-start justify-between gap-4">
        <div>
          <CardTitle>Provider credentials</CardTitle>
          <CardDescription className="mt-1">API keys for hosted models, voices and transcribers (OpenAI, Anthropic, Google, Azure OpenAI, Deepgram, ElevenLabs, …).</CardDescription>
        </div>
        {addButton}
      </CardHeader>
      <ListError error={error} className="px-5 pb-4" />
      {loading && !data && <TableSkeleton rows={2} />}
      {data && data.length === 0 && (
        <EmptyState icon={<KeySquare />} title="No credentials" description="The built-in local engines need none. Add one to use a hosted provider." />
      )}
      {data && data.length > 0 && (
        <Table>
          <TableHeader>
            <TableRow>
              <TableHead>Provider</TableHead>
              <TableHead>Name</TableHead>
              <TableHead className="hidden md:table-cell">API URL</TableHead>
              <TableHead className="hidden sm:table-cell">Added</TableHead>
              <ActionsHead />
            </TableRow>
          </TableHeader>
          <TableBody>
            {data.map((c) => (
              <TableRow key={c.id} data-testid="credential-row">
                <TableCell>
                  <Badge variant="secondary">{c.provider}</Badge>
                </TableCell>
                <TableCell>{c.name || <span className="italic text-muted-foreground">Unnamed</span>}</TableCell>
                <TableCell className="hidden font-mono text-xs text-muted-foreground md:table-cell" data-testid="credential-api-url">
                  {apiUrlOf(c)}
                </TableCell>
                <TableCell className="hidden text-muted-foreground sm:table-cell">{formatDate(c.createdAt)}</TableCell>
                <TableCell>
                  <DeleteButton label={`Delete ${c.name || c.provider}`} testId="delete-credential" onClick={() => setDeleting(c)} />
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
      <CredentialDialog open={adding} onOpenChange={setAdding} onCreated={(c) => setData((d) => [c, ...(d ?? [])])} />
      <ConfirmDialog
        open={deleting !== null}
        onOpenChange={(o) => !o && setDeleting(null)}
        title={`Delete the ${deleting?.provider} credential?`}
        description="Assistants that use this provider stop working until another key is added."
        onConfirm={async () => {
          if (!deleting) return;
          await api.del(`/credential/${deleting.id}`);
          setData((d) => (d ?? []).filter((x) => x.id !== deleting.id));
          toast.success('Credential deleted');
        }}
      />
    </Card>
  );
}

export default function SettingsPage() {
  const session = useSession((s) => s.session);
  const admin = canAdmin(session?.role);
  return (
    <>
      <PageHeader title="Settings" description="Organization details, webhooks and provider keys." />
      {!admin && <RoleNotice role={session?.role} what="change organization settings or see provider credentials" />}
      <div className="space-y-6">
        {session && <OrgSettings orgId={session.org.id} admin={admin} />}
        {admin && <Credentials />}
      </div>
    </>
  );
}
