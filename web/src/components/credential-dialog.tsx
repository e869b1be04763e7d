'use client';

import * as React from 'react';
import { Button } from '@/components/ui/button';
import { Input, NativeSelect } from '@/components/ui/input';
import { Alert } from '@/components/ui/alert';
import { Dialog, DialogContent, DialogDescription, DialogFooter, DialogHeader, DialogTitle } from '@/components/ui/dialog';
import { Field } from '@/components/field';
import { api } from '@/lib/api';
import { credentialSchema } from '@/lib/schemas';
import { useFormSubmit } from '@/lib/use-form-submit';
import { toast } from '@/lib/toast-store';
import { CREDENTIAL_EXTRAS, CREDENTIAL_PROVIDERS } from '@/lib/providers';
import type { Credential } from '@/lib/types';

/** The API URL of a credential: a free URL (self-hosted server) or one of the provider's environments. */
function ApiUrlField({ provider, allowed, value, onChange, error }: { provider: string; allowed: 'url' | readonly string[]; value: string; onChange: (v: string) => void; error?: string }) {
  if (allowed === 'url') {
    return (
      <Field id="credApiUrl" label="API URL (optional)" error={error} hint={`A self-hosted ${provider} server. Empty: the provider's public API, or the operator's --provider-url.`}>
        <Input value={value} onChange={(e) => onChange(e.target.value)} placeholder={`http://${provider}.internal:8080`} autoComplete="off" />
      </Field>
    );
  }
  return (
    <Field id="credApiUrl" label="API environment" error={error} hint="Vapi allows only these for this provider; a self-hosted server is the operator's --provider-url.">
      <NativeSelect value={value} onChange={(e) => onChange(e.target.value)}>
        <option value="">Default</option>
        {allowed.map((u) => (
          <option key={u} value={u}>
            {u}
          </option>
        ))}
      </NativeSelect>
    </Field>
  );
}

/** Adds a provider credential in Vapi's shape for its provider (Create*CredentialDTO). The key is never shown again. */
export function CredentialDialog({ open, onOpenChange, onCreated }: { open: boolean; onOpenChange: (o: boolean) => void; onCreated: (c: Credential) => void }) {
  const [provider, setProvider] = React.useState('openai');
  const [apiKey, setApiKey] = React.useState('');
  const [apiUrl, setApiUrl] = React.useState('');
  const [userId, setUserId] = React.useState('');
  const [name, setName] = React.useState('');
  const { errors, error, busy, validate, run, clear } = useFormSubmit();
  const extra = CREDENTIAL_EXTRAS[provider] ?? {};

  React.useEffect(() => {
    if (open) {
      setProvider('openai');
      setApiKey('');
      setApiUrl('');
      setUserId('');
      setName('');
      clear();
    }
  }, [open, clear]);

  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    const data = validate(credentialSchema, {
      provider,
      apiKey,
      name: name || undefined,
      apiUrl: extra.apiUrl && apiUrl ? apiUrl : undefined,
      userId: extra.userId ? userId : undefined,
    });
    if (!data) return;
    const body = { ...data, ...(extra.service ? { service: extra.service } : {}) };
    await run(async () => {
      const c = await api.post<Credential>('/credential', body);
      toast.success('Credential added');
      onCreated(c);
      onOpenChange(false);
    });
  };

  return (
    <Dialog open={open} onOpenChange={onOpenChange}>
      <DialogContent>
        <form onSubmit={submit} className="grid gap-4" noValidate>
          <DialogHeader>
            <DialogTitle>Add a provider credential</DialogTitle>
            <DialogDescription>The key is stored on the server and never shown again.</DialogDescription>
          </DialogHeader>
          {error && <Alert>{error}</Alert>}
          <Field id="credProvider" label="Provider" error={errors.provider}>
            <NativeSelect
              value={provider}
              onChange={(e) => {
                setProvider(e.target.value);
                setApiUrl('');
              }}
            >
              {CREDENTIAL_PROVIDERS.map((p) => (
                <option key={p.value} value={p.value}>
                  {p.label}
                </option>
              ))}
            </NativeSelect>
          </Field>
          <Field id="credApiKey" label="API key" error={errors.apiKey}>
            <Input type="password" autoComplete="off" value={apiKey} onChange={(e) => setApiKey(e.target.value)} />
          </Field>
          {extra.apiUrl && <ApiUrlField provider={provider} allowed={extra.apiUrl} value={apiUrl} onChange={setApiUrl} error={errors.apiUrl} />}
          {extra.userId && (
            <Field id="credUserId" label="User ID" error={errors.userId}>
              <Input value={userId} onChange={(e) => setUserId(e.target.value)} autoComplete="off" />
            </Field>
          )}
          <Field id="credName" label="Name (optional)" error={errors.name}>
            <Input value={name} onChange={(e) => setName(e.target.value)} placeholder={`Production ${provider}`} />
          </Field>
          <DialogFooter>
            <Button variant="outline" onClick={() => onOpenChange(false)}>
              Cancel
            </Button>
            <Button type="submit" disabled={busy} data-testid="credential-submit">
              {busy ? 'Saving…' : 'Add credential'}
            </Button>
          </DialogFooter>
        </form>
      </DialogContent>
    </Dialog>
  );
}
