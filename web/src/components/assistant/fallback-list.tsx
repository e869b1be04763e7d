'use client';

import * as React from 'react';
import { ArrowDown, ArrowUp, Plus, X } from 'lucide-react';
import { Button } from '@/components/ui/button';
import { Label } from '@/components/ui/label';
import { Select } from '@/components/ui/select';
import { Field } from '@/components/field';
import { SpeechFields } from './speech-fields';
import { providerOptions, speechProvider, switchProvider, type SpeechKind } from '@/lib/speech-providers';
import { setPath } from '@/lib/utils';

type Obj = Record<string, unknown>;

/** The server uses at most this many fallbacks of a plan (docs/providers.md). */
const MAX_FALLBACKS = 8;

/**
 * transcriber.fallbackPlan.transcribers[] or voice.fallbackPlan.voices[]: each entry a provider
 * and its main field (model, voice id, server URL), tried in order when the one before fails.
 * `err` takes a path inside the list (`0.voiceId`).
 */
export function FallbackList({
  kind,
  list,
  onChange,
  err,
}: {
  kind: SpeechKind;
  list: Obj[];
  onChange: (next: Obj[]) => void;
  err: (path: string) => string | undefined;
}) {
  const what = kind === 'voice' ? 'voice' : 'transcriber';
  const set = (i: number, entry: Obj) => onChange(list.map((e, j) => (j === i ? entry : e)));
  const move = (i: number, by: number) => {
    const next = [...list];
    [next[i], next[i + by]] = [next[i + by], next[i]];
    onChange(next);
  };
  return (
    <div className="flex flex-col gap-2 sm:col-span-2" data-testid={`${kind}-fallbacks`}>
      <Label>Fallbacks</Label>
      <p className="text-xs text-muted-foreground">
        Tried in order when the {what} fails during a call. The other fields of an entry can be set in Raw JSON.
      </p>
      {list.length > 0 && (
        <ol className="space-y-2">
          {list.map((entry, i) => {
            const id = `${kind}-fallback-${i}`;
            const hasMain = speechProvider(kind, String(entry.provider ?? '')).fields.some((f) => f.main);
            return (
              <li key={i} data-testid={`${kind}-fallback`} className="grid items-start gap-3 rounded-md border p-3 sm:grid-cols-[minmax(0,14rem)_minmax(0,1fr)_auto]">
                <Field id={`${id}-provider`} label={`${i + 1}. Provider`} error={err(`${i}.provider`)}>
                  <Select value={String(entry.provider ?? '')} onValueChange={(p) => set(i, switchProvider(kind, entry, p, false))} options={providerOptions(kind)} />
                </Field>
                {hasMain ? (
                  <SpeechFields
                    kind={kind}
                    config={entry}
                    idPrefix={id}
                    mainOnly
                    onField={(k, v) => set(i, setPath(entry, k, v))}
                    err={(k) => err(`${i}.${k}`)}
                  />
                ) : (
                  <div />
                )}
                <div className="flex gap-1 sm:pt-6">
                  <Button variant="ghost" size="icon" disabled={i === 0} onClick={() => move(i, -1)} data-testid={`${id}-up`} aria-label={`Move fallback ${i + 1} up`}>
                    <ArrowUp aria-hidden />
                  </Button>
                  <Button variant="ghost" size="icon" disabled={i === list.length - 1} onClick={() => move(i, 1)} data-testid={`${id}-down`} aria-label={`Move fallback ${i + 1} down`}>
                    <ArrowDown aria-hidden />
                  </Button>
                  <Button variant="ghost" size="icon" onClick={() => onChange(list.filter((_, j) => j !== i))} data-testid={`${id}-remove`} aria-label={`Remove fallback ${i + 1}`}>
                    <X aria-hidden />
                  </Button>
                </div>
              </li>
            );
          })}
        </ol>
      )}
      <div className="flex items-center gap-3">
        <Button
          variant="outline"
          size="sm"
          disabled={list.length >= MAX_FALLBACKS}
          onClick={() => onChange([...list, switchProvider(kind, undefined, 'local', false)])}
          data-testid={`add-${kind}-fallback`}
        >
          <Plus aria-hidden /> Add fallback {what}
        </Button>
        {list.length >= MAX_FALLBACKS && <span className="text-xs text-muted-foreground">The server uses at most {MAX_FALLBACKS}.</span>}
      </div>
    </div>
  );
}
