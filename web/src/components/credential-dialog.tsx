'use client';

import * as React from 'react';
import { Button } from '@/components/ui/button';
import { Input, NativeSelect } from '@/components/ui/input';
import { Alert } from '@/components/ui/alert';
import { Dialog, DialogContent, DialogDescription, DialogFooter, DialogHeader, DialogTitle } from '@/components/ui/dialog';
import { Field } from '@/components/field';
import { MultiCheck } from '@/components/multi-check';
import { api } from '@/lib/api';
import { credentialSchema } from '@/lib/schemas';
import { useFormSubmit } from '@/lib/use-form-submit';
import { toast } from '@/lib/toast-store';
import { CREDENTIAL_EXTRAS, CREDENTIAL_PROVIDERS, credentialKeyField } from '@/lib/providers';
import { AZURE_OPENAI_MODELS, AZURE_OPENAI_REGIONS } from '@/lib/model-providers';
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

/** Azure OpenAI's own fields (CreateAzureOpenAICredentialDTO): where the deployments are and which models. */
function AzureOpenAIFields({
  endpoint,
  setEndpoint,
  region,
  setRegion,
  models,
  setModels,
  apim,
  setApim,
  errors,
}: {
  endpoint: string;
  setEndpoint: (v: string) => void;
  region: string;
  setRegion: (v: string) => void;
  models: string[];
  setModels: (v: string[]) => void;
  apim: string;
  setApim: (v: string) => void;
  errors: Record<string, string>;
}) {
  return (
    <>
      <Field id="credOpenAIEndpoint" label="Endpoint" error={errors.openAIEndpoint} hint="Your resource's endpoint, e.g. https://my-resource.openai.azure.com">
        <Input value={endpoint} onChange={(e) => setEndpoint(e.target.value)} placeholder="https://my-resource.openai.azure.com" autoComplete="off" />
      </Field>
      <Field id="credRegion" label="Region" error={errors.region}>
        <NativeSelect value={region} onChange={(e) => setRegion(e.target.value)}>
          <option value="">Choose…</option>
          {AZURE_OPENAI_REGIONS.map((r) => (
            <option key={r} value={r}>
              {r}
            </option>
          ))}
        </NativeSelect>
      </Field>
      <fieldset className="flex min-w-0 flex-col gap-1.5">
        <legend className="mb-1.5 text-sm font-medium">Models deployed</legend>
        <MultiCheck id="credModels" options={AZURE_OPENAI_MODELS.map((m) => ({ value: m, label: m }))} value={models} onChange={setModels} />
        {errors.models && (
          <p className="text-xs text-destructive" id="credModels-error" data-testid="field-error">
            {errors.models}
          </p>
        )}
      </fieldset>
      <Field id="credOcpApim" label="APIM subscription key (optional)" error={errors.ocpApimSubscriptionKey} hint="Only behind Azure API Management (Ocp-Apim-Subscription-Key).">
        <Input type="password" autoComplete="off" value={apim} onChange={(e) => setApim(e.target.value)} />
      </Field>
    </>
  );
}

/** Adds a provider credential in Vapi's shape for its provider (Create*CredentialDTO). The key is never shown again. */
export function CredentialDialog({ open, onOpenChange, onCreated }: { open: boolean; onOpenChange: (o: boolean) => void; onCreated: (c: Credential) => void }) {
  const [provider, setProvider] = React.useState('openai');
  const [apiKey, setApiKey] = React.useState('');
  const [apiUrl, setApiUrl] = React.useState('');
  const [userId, setUserId] = React.useState('');
  const [name, setName] = React.useState('');
  const [endpoint, setEndpoint] = React.useState('');
  const [region, setRegion] = React.useState('');
  const [models, setModels] = React.useState<string[]>([]);
  const [apim, setApim] = React.useState('');
  const { errors, error, busy, validate, run, clear } = useFormSubmit();
  const extra = CREDENTIAL_EXTRAS[provider] ?? {};

  React.useEffect(() => {
    if (open) {
      setProvider('openai');
      setApiKey('');
      setApiUrl('');
      setUserId('');
      setName('');
      setEndpoint('');
      setRegion('');
      setModels([]);
      setApim('');
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
      ...(extra.azureOpenAI ? { openAIEndpoint: endpoint, region, models, ocpApimSubscriptionKey: apim || undefined } : {}),
    });
    if (!data) return;
    // The secret goes under the provider's own name for it (Azure OpenAI: openAIKey).
    const { apiKey: key, ...rest } = data;
    const body = { ...rest, [credentialKeyField(provider)]: key, ...(extra.service ? { service: extra.service } : {}) };
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
          <Field id="credApiKey" label={extra.azureOpenAI ? 'Azure OpenAI key' : 'API key'} error={errors.apiKey}>
            <Input type="password" autoComplete="off" value={apiKey} onChange={(e) => setApiKey(e.target.value)} />
          </Field>
          {extra.apiUrl && <ApiUrlField provider={provider} allowed={extra.apiUrl} value={apiUrl} onChange={setApiUrl} error={errors.apiUrl} />}
          {extra.azureOpenAI && (
            <AzureOpenAIFields
              endpoint={endpoint}
              setEndpoint={setEndpoint}
              region={region}
              setRegion={setRegion}
              models={models}
              setModels={setModels}
              apim={apim}
              setApim={setApim}
              errors={errors}
            />
          )}
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
