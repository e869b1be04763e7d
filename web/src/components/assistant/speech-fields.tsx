'use client';

import * as React from 'react';
import { Input, Textarea } from '@/components/ui/input';
import { Label } from '@/components/ui/label';
import { Select } from '@/components/ui/select';
import { Switch } from '@/components/ui/switch';
import { Field } from '@/components/field';
import { NumberInput } from '@/components/number-input';
import { TagInput } from '@/components/tag-input';
import { LOCAL_VOICES, speechProvider, type SpeechField, type SpeechKind } from '@/lib/speech-providers';
import { cn, getPath } from '@/lib/utils';

type Obj = Record<string, unknown>;

/**
 * The fields of one transcriber or voice config (its provider's, from speech-providers.ts), for
 * the primary config or, with `mainOnly`, a fallbackPlan entry. Control ids are
 * `<idPrefix>-<key>` with dots as dashes (`voice-voiceId`, `voice-fallback-0-server-url`).
 */
export function SpeechFields({
  kind,
  config,
  idPrefix,
  onField,
  err,
  mainOnly = false,
}: {
  kind: SpeechKind;
  config: Obj;
  idPrefix: string;
  onField: (key: string, value: unknown) => void;
  err: (key: string) => string | undefined;
  mainOnly?: boolean;
}) {
  const fields = speechProvider(kind, String(config.provider ?? '')).fields.filter((f) =>
    mainOnly ? f.main : !f.showIf || f.showIf(config) || getPath(config, f.key) !== undefined,
  );
  return (
    <>
      {fields.map((f) => (
        <SpeechFieldControl
          key={f.key}
          field={f}
          id={`${idPrefix}-${f.key.replace(/\./g, '-')}`}
          value={getPath(config, f.key)}
          onChange={(v) => onField(f.key, v)}
          error={err(f.key)}
          wide={f.wide && !mainOnly}
        />
      ))}
    </>
  );
}

function SpeechFieldControl({
  field: f,
  id,
  value,
  onChange,
  error,
  wide,
}: {
  field: SpeechField;
  id: string;
  value: unknown;
  onChange: (v: unknown) => void;
  error?: string;
  wide?: boolean;
}) {
  const className = wide ? 'sm:col-span-2' : undefined;
  const text = typeof value === 'string' ? value : '';
  const onText = (e: React.ChangeEvent<HTMLInputElement | HTMLTextAreaElement>) => onChange(e.target.value === '' ? undefined : e.target.value);

  switch (f.kind) {
    case 'switch':
      // Unset shows what the provider does by default; a toggle always stores an explicit value.
      return (
        <div className={cn('flex flex-col gap-1.5 sm:pt-6', className)}>
          <div className="flex items-center gap-3">
            <Switch id={id} checked={typeof value === 'boolean' ? value : !!f.defaultOn} onCheckedChange={(c) => onChange(c)} />
            <Label htmlFor={id}>{f.label}</Label>
          </div>
          {error && (
            <p className="text-xs text-destructive" data-testid="field-error">
              {error}
            </p>
          )}
        </div>
      );
    case 'number':
      return (
        <Field id={id} label={f.label} error={error} hint={f.hint} className={className}>
          <NumberInput value={value} onChange={onChange} placeholder={f.placeholder} />
        </Field>
      );
    case 'tags':
      return (
        <Field id={id} label={f.label} error={error} hint={f.hint} className={className}>
          <TagInput value={Array.isArray(value) ? (value as string[]) : []} onChange={(x) => onChange(x.length ? x : undefined)} />
        </Field>
      );
    case 'local-voice':
      return (
        <Field id={id} label={f.label} error={error} hint={f.hint} className={className}>
          <Select value={text} onValueChange={onChange} options={LOCAL_VOICES} />
        </Field>
      );
    case 'textarea':
      return (
        <Field id={id} label={f.label} error={error} hint={f.hint} className={className}>
          <Textarea rows={3} value={text} onChange={onText} placeholder={f.placeholder} maxLength={f.maxLength} />
        </Field>
      );
    default: {
      const listId = f.suggestions ? `${id}-suggestions` : undefined;
      return (
        <>
          <Field id={id} label={f.label} error={error} hint={f.hint} className={className}>
            <Input value={text} onChange={onText} placeholder={f.placeholder} list={listId} autoComplete="off" />
          </Field>
          {listId && (
            <datalist id={listId}>
              {f.suggestions!.map((s) => (
                <option key={s} value={s} />
              ))}
            </datalist>
          )}
        </>
      );
    }
  }
}
