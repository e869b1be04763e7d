'use client';

import * as React from 'react';
import { ArrowDown, ArrowUp, Plus, X } from 'lucide-react';
import { Alert } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { Input } from '@/components/ui/input';
import { Label } from '@/components/ui/label';
import { Select } from '@/components/ui/select';
import { Switch } from '@/components/ui/switch';
import { Field } from '@/components/field';
import { NumberInput } from '@/components/number-input';
import { hasModelField, modelProvider, modelProviderOptions, modelNotOnServer, nextFallbackModel, THINKING_BUDGET } from '@/lib/model-providers';

type Obj = Record<string, unknown>;

/** A bound on the list, as the speech fallback lists have. */
const MAX_FALLBACK_MODELS = 8;

/** The suggestions of a provider's models, shared by the model field and its fallbacks. */
function ModelList({ id, models }: { id: string; models: readonly string[] }) {
  return (
    <datalist id={id}>
      {models.map((m) => (
        <option key={m} value={m} />
      ))}
    </datalist>
  );
}

/**
 * The model card's provider-specific part: provider, model, custom-llm's base URL, Anthropic's
 * extended thinking and the fallback models, under Vapi's names (model-providers.ts). `update`
 * and `err` take paths inside `model` (`thinking.budgetTokens`, `fallbackModels.0`).
 */
export function ModelFields({
  config,
  onProvider,
  update,
  err,
}: {
  config: Obj;
  onProvider: (provider: string) => void;
  update: (path: string, value: unknown) => void;
  err: (path: string) => string | undefined;
}) {
  const provider = String(config.provider ?? '');
  const p = modelProvider(provider);
  const text = (key: string) => ({
    value: typeof config[key] === 'string' ? (config[key] as string) : '',
    onChange: (e: React.ChangeEvent<HTMLInputElement>) => update(key, e.target.value === '' ? undefined : e.target.value),
  });
  const thinking = config.thinking as Obj | undefined;
  return (
    <>
      <Field id="modelProvider" label="Provider" error={err('provider')}>
        <Select value={provider} onValueChange={onProvider} options={modelProviderOptions()} />
      </Field>
      {provider === 'local' && (
        <div className="text-sm text-muted-foreground sm:pt-7" data-testid="scripted-note">
          The offline scripted model answers by the rules below (keywords → replies) and the fallback reply; it does not
          read the system prompt. No key needed. See <code className="text-xs">docs/providers.md</code>.
        </div>
      )}
      {provider && provider !== 'local' && !hasModelField(provider) && <div className="text-sm text-muted-foreground sm:pt-7">Its fields are set in Raw JSON.</div>}
      {hasModelField(provider) && (
        <Field id="modelName" label="Model" error={err('model')} hint={p.hint ?? (p.strict ? undefined : 'Any model id this provider serves')}>
          <Input {...text('model')} list="model-suggestions" placeholder={p.placeholder} autoComplete="off" />
        </Field>
      )}
      <ModelList id="model-suggestions" models={p.models} />
      {modelNotOnServer(provider) && (
        <Alert variant="info" className="sm:col-span-2">
          This server does not run {provider}: a call with it is refused. Its fields can be set in Raw JSON.
        </Alert>
      )}
      {p.url && (
        <Field id="modelUrl" label="Base URL" error={err('url')} className="sm:col-span-2" hint="OpenAI-compatible, e.g. http://127.0.0.1:11434/v1">
          <Input {...text('url')} placeholder="https://llm.example.com/v1" autoComplete="off" />
        </Field>
      )}
      {p.thinking && (
        <>
          <div className="flex flex-col gap-1.5 sm:pt-6">
            <div className="flex items-center gap-3">
              <Switch
                id="modelThinking"
                checked={!!thinking}
                onCheckedChange={(c) => update('thinking', c ? { type: 'enabled', budgetTokens: THINKING_BUDGET.min } : undefined)}
              />
              <Label htmlFor="modelThinking">Extended thinking</Label>
            </div>
          </div>
          {thinking ? (
            <Field
              id="modelThinkingBudget"
              label="Thinking budget (tokens)"
              error={err('thinking.budgetTokens')}
              hint={`${THINKING_BUDGET.min} to ${THINKING_BUDGET.max}. With thinking, Anthropic takes no temperature.`}
            >
              <NumberInput value={thinking.budgetTokens} onChange={(n) => update('thinking.budgetTokens', n)} placeholder={String(THINKING_BUDGET.min)} />
            </Field>
          ) : (
            <div className="hidden sm:block" />
          )}
        </>
      )}
    </>
  );
}

/**
 * model.fallbackModels (Vapi's field: ids of the same provider's models), tried in order when the
 * one before fails. Nothing for a provider without them (local). Paths as for ModelFields.
 */
export function ModelFallbacks({
  config,
  update,
  err,
}: {
  config: Obj;
  update: (path: string, value: unknown) => void;
  err: (path: string) => string | undefined;
}) {
  if (!modelProvider(String(config.provider ?? '')).fallbacks) return null;
  const list = Array.isArray(config.fallbackModels) ? (config.fallbackModels as string[]) : [];
  const onChange = (next: string[]) => update('fallbackModels', next.length ? next : undefined);
  const set = (i: number, m: string) => onChange(list.map((e, j) => (j === i ? m : e)));
  const move = (i: number, by: number) => {
    const next = [...list];
    [next[i], next[i + by]] = [next[i + by], next[i]];
    onChange(next);
  };
  return (
    <div className="flex flex-col gap-2 sm:col-span-2" data-testid="model-fallbacks">
      <Label>Fallback models</Label>
      <p className="text-xs text-muted-foreground">
        Tried in order when the model fails (an error or no first token in time); a reply cut off midway goes on with the next one.
      </p>
      {list.length > 0 && (
        <ol className="space-y-2">
          {list.map((m, i) => {
            const id = `model-fallback-${i}`;
            return (
              <li key={i} data-testid="model-fallback" className="grid items-start gap-3 rounded-md border p-3 sm:grid-cols-[minmax(0,1fr)_auto]">
                <Field id={id} label={`${i + 1}. Model`} error={err(`fallbackModels.${i}`)}>
                  <Input value={m} onChange={(e) => set(i, e.target.value)} list="model-suggestions" autoComplete="off" />
                </Field>
                <div className="flex gap-1 sm:pt-6">
                  <Button variant="ghost" size="icon" disabled={i === 0} onClick={() => move(i, -1)} data-testid={`${id}-up`} aria-label={`Move fallback model ${i + 1} up`}>
                    <ArrowUp aria-hidden />
                  </Button>
                  <Button variant="ghost" size="icon" disabled={i === list.length - 1} onClick={() => move(i, 1)} data-testid={`${id}-down`} aria-label={`Move fallback model ${i + 1} down`}>
                    <ArrowDown aria-hidden />
                  </Button>
                  <Button variant="ghost" size="icon" onClick={() => onChange(list.filter((_, j) => j !== i))} data-testid={`${id}-remove`} aria-label={`Remove fallback model ${i + 1}`}>
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
          disabled={list.length >= MAX_FALLBACK_MODELS}
          onClick={() => onChange([...list, nextFallbackModel(config)])}
          data-testid="add-model-fallback"
        >
          <Plus aria-hidden /> Add fallback model
        </Button>
        {list.length >= MAX_FALLBACK_MODELS && <span className="text-xs text-muted-foreground">At most {MAX_FALLBACK_MODELS}.</span>}
      </div>
    </div>
  );
}
