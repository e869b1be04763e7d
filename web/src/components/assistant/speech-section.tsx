'use client';

import * as React from 'react';
import { Alert } from '@/components/ui/alert';
import { Select } from '@/components/ui/select';
import { Field } from '@/components/field';
import { FallbackList } from './fallback-list';
import { Section } from './section';
import { SpeechFields } from './speech-fields';
import { FALLBACK_LIST, providerOptions, runsOnServer, switchProvider, type SpeechKind } from '@/lib/speech-providers';
import { getPath } from '@/lib/utils';

type Obj = Record<string, unknown>;

const TEXT: Record<SpeechKind, { title: string; description: string }> = {
  transcriber: { title: 'Transcriber', description: 'Speech to text. Cloud providers need a credential (Settings).' },
  voice: { title: 'Voice', description: 'Text to speech. Cloud providers need a credential (Settings).' },
};

/**
 * The Transcriber or Voice card: provider, its fields and its fallbacks. `update` and `err` take
 * paths from the assistant's root (`voice.voiceId`). A new provider keeps only the shared fields
 * (switchProvider); the model card puts the old provider's fields aside instead (switchModelProvider).
 */
export function SpeechSection({
  kind,
  config,
  update,
  err,
  notice,
}: {
  kind: SpeechKind;
  config: Obj | undefined;
  update: (path: string, value: unknown) => void;
  err: (path: string) => string | undefined;
  /** shown under the provider (the editor's missing-key warning) */
  notice?: React.ReactNode;
}) {
  const provider = String(config?.provider ?? '');
  const listPath = `fallbackPlan.${FALLBACK_LIST[kind]}`;
  const list = (getPath(config, listPath) as Obj[] | undefined) ?? [];
  return (
    <Section id={kind} title={TEXT[kind].title} description={TEXT[kind].description}>
      <Field id={`${kind}Provider`} label="Provider" error={err(`${kind}.provider`)}>
        <Select value={provider} onValueChange={(p) => update(kind, switchProvider(kind, config, p))} options={providerOptions(kind)} />
      </Field>
      {provider && !runsOnServer(kind, provider) && (
        <Alert variant="info" className="sm:col-span-2">
          This server does not run {provider}: a call with it is refused. Its fields can be set in Raw JSON.
        </Alert>
      )}
      {notice}
      <SpeechFields kind={kind} config={config ?? {}} idPrefix={kind} onField={(k, v) => update(`${kind}.${k}`, v)} err={(k) => err(`${kind}.${k}`)} />
      <FallbackList
        kind={kind}
        list={Array.isArray(list) ? list : []}
        onChange={(next) => update(`${kind}.${listPath}`, next.length ? next : undefined)}
        err={(p) => err(`${kind}.${listPath}.${p}`)}
      />
    </Section>
  );
}
