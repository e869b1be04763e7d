'use client';

import * as React from 'react';
import { useRouter, useSearchParams } from 'next/navigation';
import { Phone, Save, Trash2, Copy } from 'lucide-react';
import { Button } from '@/components/ui/button';
import { Badge } from '@/components/ui/badge';
import { Input, Textarea } from '@/components/ui/input';
import { Select } from '@/components/ui/select';
import { Switch } from '@/components/ui/switch';
import { Label } from '@/components/ui/label';
import { Alert } from '@/components/ui/alert';
import { Skeleton } from '@/components/ui/skeleton';
import { ConfirmDialog } from '@/components/ui/confirm-dialog';
import { Field } from '@/components/field';
import { NumberInput } from '@/components/number-input';
import { TagInput } from '@/components/tag-input';
import { MultiCheck } from '@/components/multi-check';
import { JsonEditor } from '@/components/json-editor';
import { TalkPanel } from '@/components/talk-panel';
import { BackIconButton, LoadFailure } from '@/components/back-link';
import { Section } from '@/components/assistant/section';
import { SpeechSection } from '@/components/assistant/speech-section';
import { ModelFallbacks, ModelFields } from '@/components/assistant/model-fields';
import { api, errorMessage } from '@/lib/api';
import { assistantSchema, fieldErrors, FIRST_MESSAGE_MODES } from '@/lib/schemas';
import { useRole } from '@/lib/session-store';
import { canEditResources } from '@/lib/roles';
import { useUnsaved } from '@/lib/unsaved-store';
import { toast } from '@/lib/toast-store';
import { RUBRICS, SERVER_MESSAGES } from '@/lib/providers';
import { switchModelProvider, type ModelStash } from '@/lib/model-providers';
import type { Assistant, Resource } from '@/lib/types';

/** Providers that run without an API key: the embedded engines and the customer's own servers. */
const KEYLESS = new Set(['local', 'custom-llm', 'custom-transcriber', 'custom-voice', 'vapi']);
import { getPath, setPath, stableStringify } from '@/lib/utils';

type Obj = Record<string, unknown>;

const READ_ONLY = new Set(['id', 'orgId', 'createdAt', 'updatedAt', 'latestVersion', 'isServerUrlSecretSet']);

const SECTIONS = [
  ['general', 'General'],
  ['model', 'Model'],
  ['voice', 'Voice'],
  ['transcriber', 'Transcriber'],
  ['conversation', 'Conversation'],
  ['timers', 'Timers'],
  ['speaking', 'Speaking plans'],
  ['server', 'Server'],
  ['analysis', 'Analysis'],
  ['json', 'Raw JSON'],
] as const;

/** Top-level fields that differ; removed ones are sent as null (the API unsets them). */
function changedFields(original: Obj, draft: Obj): Obj {
  const out: Obj = {};
  const keys = new Set([...Object.keys(original), ...Object.keys(draft)]);
  for (const k of keys) {
    if (READ_ONLY.has(k)) continue;
    if (stableStringify(original[k]) !== stableStringify(draft[k])) out[k] = draft[k] === undefined ? null : draft[k];
  }
  return out;
}

function pretty(v: unknown): string {
  return v === undefined ? '' : JSON.stringify(v, null, 2);
}

function systemPromptOf(a: Obj): string {
  const msgs = (getPath(a, 'model.messages') as Array<{ role?: string; content?: string }> | undefined) ?? [];
  return msgs.find((m) => m?.role === 'system')?.content ?? '';
}

function withSystemPrompt(a: Obj, content: string): Obj {
  const msgs = [...((getPath(a, 'model.messages') as Array<Obj> | undefined) ?? [])];
  const i = msgs.findIndex((m) => m?.role === 'system');
  if (i >= 0) {
    if (content === '') msgs.splice(i, 1);
    else msgs[i] = { ...msgs[i], content };
  } else if (content !== '') msgs.unshift({ role: 'system', content });
  return setPath(a, 'model.messages', msgs.length ? msgs : undefined);
}

/** A JSON-valued field edited as text; reports parse errors through onError. */
function useJsonField(draft: Obj | null, path: string, rev: number) {
  const [text, setText] = React.useState('');
  React.useEffect(() => {
    if (draft) setText(pretty(getPath(draft, path)));
    // re-seed only when the document is (re)loaded or replaced, not on every keystroke
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [rev, path]);
  return [text, setText] as const;
}

function EditorInner() {
  const id = useSearchParams().get('id');
  const router = useRouter();
  const role = useRole();
  const canEdit = canEditResources(role);
  const setDirty = useUnsaved((s) => s.setDirty);

  const [original, setOriginal] = React.useState<Obj | null>(null);
  const [draft, setDraft] = React.useState<Obj | null>(null);
  const [rev, setRev] = React.useState(0);
  const [loadError, setLoadError] = React.useState<string | null>(null);
  const [saveError, setSaveError] = React.useState<string | null>(null);
  const [errors, setErrors] = React.useState<Record<string, string>>({});
  const [jsonErrors, setJsonErrors] = React.useState<Record<string, string>>({});
  const [tools, setTools] = React.useState<Resource[] | null>(null);
  // The providers the org has a key for (Settings → Provider keys); null: not known (loading,
  // or a role that may not list credentials), and then nothing is warned about.
  const [keyed, setKeyed] = React.useState<Set<string> | null>(null);
  React.useEffect(() => {
    let live = true;
    api
      .get<Resource[]>('/credential', { limit: 1000 })
      .then((cs) => live && setKeyed(new Set(cs.map((c) => String(c.provider ?? '')))))
      .catch(() => {});
    return () => {
      live = false;
    };
  }, []);
  /** A warning when `provider` needs a key and the org has none for it. */
  const keyWarning = (role: 'model' | 'voice' | 'transcriber', provider: unknown) => {
    const p = typeof provider === 'string' ? provider : '';
    if (!keyed || !p || KEYLESS.has(p) || keyed.has(p)) return null;
    return (
      <Alert variant="warning" className="sm:col-span-2" testId={`${role}-key-missing`}>
        No {p} key in Settings → Provider keys: calls with this assistant are refused unless the server itself is given
        one.
      </Alert>
    );
  };
  const [saving, setSaving] = React.useState(false);
  const [confirmDelete, setConfirmDelete] = React.useState(false);
  // What routes calls to this assistant (phone numbers, squads), looked up when deleting.
  const [usedBy, setUsedBy] = React.useState<string[] | null>(null);
  React.useEffect(() => {
    if (!confirmDelete || !id) return;
    setUsedBy(null);
    let live = true;
    Promise.all([api.get<Resource[]>('/phone-number', { limit: 1000 }), api.get<Resource[]>('/squad', { limit: 1000 })])
      .then(([numbers, squads]) => {
        const out: string[] = [];
        for (const n of numbers)
          if (n.assistantId === id) out.push(`phone number ${(n.name as string) || (n.number as string) || (n.sipUri as string) || n.id}`);
        for (const q of squads) {
          const members = (q.members as Array<{ assistantId?: string }> | undefined) ?? [];
          if (members.some((m) => m.assistantId === id)) out.push(`squad ${(q.name as string) || q.id}`);
        }
        if (live) setUsedBy(out);
      })
      .catch(() => live && setUsedBy([]));
    return () => {
      live = false;
    };
  }, [confirmDelete, id]);
  const [talking, setTalking] = React.useState(false);
  // Each model provider's own fields, put aside when another provider is chosen (while the page is open).
  const modelStash = React.useRef<ModelStash>({});

  React.useEffect(() => {
    if (!id) {
      setLoadError('No assistant id in the address. Open an assistant from the list.');
      return;
    }
    const ctrl = new AbortController();
    api
      .get<Assistant>(`/assistant/${encodeURIComponent(id)}`, undefined, ctrl.signal)
      .then((a) => {
        setOriginal(a);
        setDraft(a);
        setRev((r) => r + 1);
      })
      .catch((e) => (e as Error)?.name !== 'AbortError' && setLoadError(errorMessage(e)));
    api
      .get<Resource[]>('/tool', { limit: 1000 }, ctrl.signal)
      .then(setTools)
      .catch(() => setTools([]));
    return () => ctrl.abort();
  }, [id]);

  const [schemaText, setSchemaText] = useJsonField(draft, 'analysisPlan.structuredDataPlan.schema', rev);
  const [rulesText, setRulesText] = useJsonField(draft, 'model.rules', rev);
  const [rawText, setRawText] = React.useState('');
  React.useEffect(() => {
    if (draft) setRawText(pretty(draft));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [rev]);

  const dirty = React.useMemo(
    () => !!original && !!draft && (Object.keys(changedFields(original, draft)).length > 0 || Object.keys(jsonErrors).length > 0),
    [original, draft, jsonErrors],
  );

  React.useEffect(() => {
    setDirty(dirty);
  }, [dirty, setDirty]);
  React.useEffect(() => () => setDirty(false), [setDirty]);

  if (loadError) {
    return <LoadFailure title="Cannot open this assistant" error={loadError} href="/assistants/" back="Back to assistants" />;
  }
  if (!draft || !original) {
    return (
      <div className="space-y-4" aria-busy="true">
        <Skeleton className="h-10 w-72" />
        <Skeleton className="h-48 w-full" />
        <Skeleton className="h-48 w-full" />
      </div>
    );
  }

  const v = (path: string) => getPath(draft, path);
  const str = (path: string) => (v(path) as string | undefined) ?? '';
  const update = (path: string, value: unknown) => {
    setDraft((d) => (d ? setPath(d, path, value) : d));
    // A change under a path answers its errors and those of everything inside it.
    const stale = (k: string) => k === path || k.startsWith(`${path}.`);
    if (Object.keys(errors).some(stale)) setErrors((e) => Object.fromEntries(Object.entries(e).filter(([k]) => !stale(k))));
  };
  const text = (path: string) => ({
    value: str(path),
    onChange: (e: React.ChangeEvent<HTMLInputElement | HTMLTextAreaElement>) => update(path, e.target.value === '' ? undefined : e.target.value),
  });
  const num = (path: string) => ({ value: v(path), onChange: (n: number | string | undefined) => update(path, n) });
  const err = (path: string) => errors[path] ?? jsonErrors[path];

  const setJsonError = (path: string, message: string | null) =>
    setJsonErrors(({ [path]: _old, ...rest }) => (message ? { ...rest, [path]: message } : rest));

  const onJsonChange = (path: string, setText: (s: string) => void, expect: 'object' | 'array') => (t: string) => {
    setText(t);
    if (t.trim() === '') {
      setJsonError(path, null);
      update(path, undefined);
      return;
    }
    try {
      const parsed = JSON.parse(t);
      const ok = expect === 'array' ? Array.isArray(parsed) : parsed && typeof parsed === 'object' && !Array.isArray(parsed);
      if (!ok) throw new Error(expect === 'array' ? 'must be a JSON array' : 'must be a JSON object');
      setJsonError(path, null);
      update(path, parsed);
    } catch (e) {
      setJsonError(path, `Invalid JSON: ${(e as Error).message}`);
    }
  };

  const modelProvider = str('model.provider');

  const changeModelProvider = (p: string) => {
    const [next, stash] = switchModelProvider(v('model') as Obj | undefined, p, modelStash.current);
    modelStash.current = stash;
    update('model', next);
    setRulesText(pretty(next.rules));
    setJsonError('model.rules', null);
  };

  const save = async () => {
    setSaveError(null);
    const parsed = assistantSchema.safeParse(draft);
    const fe = parsed.success ? {} : fieldErrors(parsed.error);
    setErrors(fe);
    if (Object.keys(fe).length || Object.keys(jsonErrors).length) {
      setSaveError('Fix the highlighted fields before saving.');
      const first = Object.keys(fe)[0] ?? Object.keys(jsonErrors)[0];
      document.querySelector<HTMLElement>(`[aria-invalid="true"]`)?.focus();
      if (!first) return;
      return;
    }
    const patch = changedFields(original, draft);
    if (Object.keys(patch).length === 0) {
      toast.info('Nothing to save');
      return;
    }
    setSaving(true);
    try {
      const saved = await api.patch<Assistant>(`/assistant/${original.id}`, patch);
      setOriginal(saved);
      setDraft(saved);
      setRev((r) => r + 1);
      toast.success('Saved', `${saved.name || 'Assistant'} was updated.`);
    } catch (e) {
      setSaveError(errorMessage(e));
      toast.error('Save failed', errorMessage(e));
    } finally {
      setSaving(false);
    }
  };

  const toolOptions = (tools ?? []).map((t) => ({
    value: t.id,
    label: ((t.function as { name?: string } | undefined)?.name ?? t.name ?? t.id) as string,
    hint: t.type,
  }));

  return (
    <div className="pb-24">
      <div className="sticky top-14 z-20 -mx-4 mb-6 flex flex-wrap items-center gap-2 border-b bg-background/90 px-4 py-3 backdrop-blur sm:-mx-6 sm:px-6 lg:-mx-8 lg:px-8">
        <BackIconButton href="/assistants/" label="Back to assistants" />
        <div className="min-w-0">
          <h1 className="truncate text-xl font-semibold">{str('name') || 'Unnamed assistant'}</h1>
          <button
            type="button"
            className="flex items-center gap-1 font-mono text-xs text-muted-foreground hover:text-foreground"
            onClick={() => navigator.clipboard?.writeText(original.id as string).then(() => toast.info('Assistant id copied'))}
          >
            {original.id as string} <Copy className="size-3" aria-hidden />
            <span className="sr-only">Copy id</span>
          </button>
        </div>
        {dirty && (
          <Badge variant="warning" data-testid="unsaved">
            Unsaved changes
          </Badge>
        )}
        <div className="ml-auto flex flex-wrap items-center gap-2">
          {canEdit && (
            <Button variant="ghost" className="text-destructive hover:text-destructive" data-testid="delete" onClick={() => setConfirmDelete(true)}>
              <Trash2 aria-hidden /> Delete
            </Button>
          )}
          <Button variant="outline" data-testid="talk" onClick={() => setTalking(true)} disabled={talking || !canEdit} title={canEdit ? undefined : 'Your role cannot start calls'}>
            <Phone aria-hidden /> Talk
          </Button>
          {canEdit && (
            <Button data-testid="save" onClick={save} disabled={saving}>
              <Save aria-hidden /> {saving ? 'Saving…' : 'Save'}
            </Button>
          )}
        </div>
      </div>

      {!canEdit && (
        <Alert variant="info" className="mb-4">
          You have read-only access ({role}).
        </Alert>
      )}
      {saveError && <Alert className="mb-4">{saveError}</Alert>}

      <div className="flex gap-8">
        <nav aria-label="Editor sections" className="sticky top-36 hidden h-fit w-40 shrink-0 xl:block">
          <ul className="space-y-0.5 text-sm">
            {SECTIONS.map(([sid, label]) => (
              <li key={sid}>
                <a
                  href={`#section-${sid}`}
                  onClick={(e) => {
                    e.preventDefault();
                    document.getElementById(`section-${sid}`)?.scrollIntoView({ behavior: 'smooth' });
                  }}
                  className="block rounded px-2 py-1 text-muted-foreground hover:bg-accent hover:text-foreground"
                >
                  {label}
                </a>
              </li>
            ))}
          </ul>
        </nav>

        <fieldset disabled={!canEdit} className="min-w-0 flex-1 space-y-6">
          <legend className="sr-only">Assistant settings</legend>
          <Section id="general" title="General">
            <Field id="name" label="Name" error={err('name')} hint="Up to 40 characters.">
              <Input {...text('name')} maxLength={80} />
            </Field>
          </Section>

          <Section id="model" title="Model" description="The language model that writes the replies.">
            <ModelFields
              config={(v('model') as Obj | undefined) ?? {}}
              onProvider={changeModelProvider}
              update={(k, x) => update(`model.${k}`, x)}
              err={(k) => err(`model.${k}`)}
            />
            {keyWarning('model', v('model.provider'))}
            <Field id="systemPrompt" label="System prompt" error={err('model.messages')} className="sm:col-span-2">
              <Textarea rows={8} value={systemPromptOf(draft)} onChange={(e) => setDraft((d) => (d ? withSystemPrompt(d, e.target.value) : d))} />
            </Field>
            <Field id="temperature" label="Temperature" error={err('model.temperature')} hint="0 to 2">
              <NumberInput {...num('model.temperature')} placeholder="0.5" />
            </Field>
            <Field id="maxTokens" label="Max tokens" error={err('model.maxTokens')} hint="50 to 10000">
              <NumberInput {...num('model.maxTokens')} placeholder="250" />
            </Field>
            <div className="flex flex-col gap-1.5 sm:col-span-2">
              <Label htmlFor="toolIds">Tools</Label>
              {tools === null ? (
                <Skeleton className="h-16 w-full" />
              ) : (
                <MultiCheck
                  id="toolIds"
                  options={toolOptions}
                  value={(v('model.toolIds') as string[] | undefined) ?? []}
                  onChange={(ids) => update('model.toolIds', ids.length ? ids : undefined)}
                  emptyText="No tools yet. Create one on the Tools page."
                />
              )}
            </div>
            <ModelFallbacks config={(v('model') as Obj | undefined) ?? {}} update={(k, x) => update(`model.${k}`, x)} err={(k) => err(`model.${k}`)} />
            {modelProvider === 'local' && (
              <>
                <Field id="rules" label="Scripted rules (JSON array)" error={err('model.rules')} className="sm:col-span-2" hint='[{"match": ["book"], "reply": "…"}, {"regex": "…", "reply": "{{1}}"}]'>
                  <JsonEditor value={rulesText} onChange={onJsonChange('model.rules', setRulesText, 'array')} rows={10} />
                </Field>
                <Field id="greeting" label="Greeting reply" error={err('model.greeting')}>
                  <Input {...text('model.greeting')} />
                </Field>
                <Field id="fallback" label="Fallback reply" error={err('model.fallback')} hint="{{text}} is what the user said">
                  <Input {...text('model.fallback')} />
                </Field>
              </>
            )}
          </Section>

          <SpeechSection kind="voice" config={v('voice') as Obj | undefined} update={update} err={err} notice={keyWarning('voice', v('voice.provider'))} />
          <SpeechSection
            kind="transcriber"
            config={v('transcriber') as Obj | undefined}
            update={update}
            err={err}
            notice={keyWarning('transcriber', v('transcriber.provider'))}
          />

          <Section id="conversation" title="Conversation">
            <Field id="firstMessage" label="First message" error={err('firstMessage')} className="sm:col-span-2">
              <Textarea rows={2} {...text('firstMessage')} />
            </Field>
            <Field id="firstMessageMode" label="First message mode" error={err('firstMessageMode')}>
              <Select
                value={str('firstMessageMode')}
                placeholder="assistant-speaks-first (default)"
                onValueChange={(x) => update('firstMessageMode', x)}
                options={FIRST_MESSAGE_MODES.map((m) => ({ value: m }))}
              />
            </Field>
            <Field id="endCallMessage" label="End call message" error={err('endCallMessage')}>
              <Input {...text('endCallMessage')} />
            </Field>
            <Field id="endCallPhrases" label="End call phrases" error={err('endCallPhrases')} className="sm:col-span-2" hint="When the assistant says one of these, the call ends. Enter to add.">
              <TagInput
                value={(v('endCallPhrases') as string[] | undefined) ?? []}
                onChange={(x) => update('endCallPhrases', x.length ? x : undefined)}
                placeholder="goodbye"
                disabled={!canEdit}
              />
            </Field>
          </Section>

          <Section id="timers" title="Timers">
            <Field id="silenceTimeoutSeconds" label="Silence timeout (s)" error={err('silenceTimeoutSeconds')} hint="10 to 3600; default 30">
              <NumberInput {...num('silenceTimeoutSeconds')} placeholder="30" />
            </Field>
            <Field id="maxDurationSeconds" label="Max duration (s)" error={err('maxDurationSeconds')} hint="10 to 43200; default 600">
              <NumberInput {...num('maxDurationSeconds')} placeholder="600" />
            </Field>
          </Section>

          <Section id="speaking" title="Speaking plans" description="When the assistant starts talking, and when the caller can interrupt.">
            <Field id="waitSeconds" label="Start: wait seconds" error={err('startSpeakingPlan.waitSeconds')} hint="0 to 5; default 0.4">
              <NumberInput {...num('startSpeakingPlan.waitSeconds')} placeholder="0.4" />
            </Field>
            <div className="flex items-center gap-3 sm:pt-6">
              <Switch
                id="smartEndpointingEnabled"
                checked={v('startSpeakingPlan.smartEndpointingEnabled') === true}
                onCheckedChange={(c) => update('startSpeakingPlan.smartEndpointingEnabled', c ? true : undefined)}
              />
              <Label htmlFor="smartEndpointingEnabled">Smart endpointing</Label>
            </div>
            <Field id="onPunctuationSeconds" label="On punctuation (s)" error={err('startSpeakingPlan.transcriptionEndpointingPlan.onPunctuationSeconds')}>
              <NumberInput {...num('startSpeakingPlan.transcriptionEndpointingPlan.onPunctuationSeconds')} placeholder="0.1" />
            </Field>
            <Field id="onNoPunctuationSeconds" label="On no punctuation (s)" error={err('startSpeakingPlan.transcriptionEndpointingPlan.onNoPunctuationSeconds')}>
              <NumberInput {...num('startSpeakingPlan.transcriptionEndpointingPlan.onNoPunctuationSeconds')} placeholder="1.5" />
            </Field>
            <Field id="onNumberSeconds" label="On number (s)" error={err('startSpeakingPlan.transcriptionEndpointingPlan.onNumberSeconds')}>
              <NumberInput {...num('startSpeakingPlan.transcriptionEndpointingPlan.onNumberSeconds')} placeholder="0.4" />
            </Field>
            <div className="hidden sm:block" />
            <Field id="numWords" label="Stop: number of words" error={err('stopSpeakingPlan.numWords')} hint="0 to 10; 0 = voice activity">
              <NumberInput {...num('stopSpeakingPlan.numWords')} placeholder="0" />
            </Field>
            <Field id="voiceSeconds" label="Stop: voice seconds" error={err('stopSpeakingPlan.voiceSeconds')} hint="0 to 0.5; default 0.2">
              <NumberInput {...num('stopSpeakingPlan.voiceSeconds')} placeholder="0.2" />
            </Field>
            <Field id="backoffSeconds" label="Stop: backoff seconds" error={err('stopSpeakingPlan.backoffSeconds')} hint="0 to 10; default 1">
              <NumberInput {...num('stopSpeakingPlan.backoffSeconds')} placeholder="1" />
            </Field>
          </Section>

          <Section id="server" title="Server" description="Webhooks: server messages and tool calls go to this URL.">
            <Field id="serverUrl" label="Server URL" error={err('server.url')}>
              <Input {...text('server.url')} placeholder="https://example.com/voxa-webhook" />
            </Field>
            <Field id="serverSecret" label="Secret (X-Vapi-Secret)" error={err('server.secret')}>
              <Input type="password" autoComplete="off" {...text('server.secret')} />
            </Field>
            <Field id="serverTimeout" label="Timeout (s)" error={err('server.timeoutSeconds')} hint="1 to 300; default 20">
              <NumberInput {...num('server.timeoutSeconds')} placeholder="20" />
            </Field>
            <div className="flex flex-col gap-1.5 sm:col-span-2">
              <Label htmlFor="serverMessages">Server messages</Label>
              <p className="text-xs text-muted-foreground">None selected = Vapi&apos;s default list.</p>
              <MultiCheck
                id="serverMessages"
                options={SERVER_MESSAGES.map((m) => ({ value: m, label: m }))}
                value={(v('serverMessages') as string[] | undefined) ?? []}
                onChange={(x) => update('serverMessages', x.length ? x : undefined)}
              />
            </div>
          </Section>

          <Section id="analysis" title="Analysis" description="Runs after each call; results appear on the call page.">
            <div className="flex items-center gap-3 sm:col-span-2">
              <Switch
                id="summaryEnabled"
                checked={v('analysisPlan.summaryPlan.enabled') !== false}
                onCheckedChange={(c) => update('analysisPlan.summaryPlan.enabled', c)}
              />
              <Label htmlFor="summaryEnabled">Summary</Label>
            </div>
            <Field id="summaryPrompt" label="Summary prompt" error={err('analysisPlan.summaryPlan.messages')} className="sm:col-span-2">
              <Textarea
                rows={3}
                value={((v('analysisPlan.summaryPlan.messages') as Array<{ content?: string }> | undefined) ?? [])[0]?.content ?? ''}
                onChange={(e) =>
                  update('analysisPlan.summaryPlan.messages', e.target.value ? [{ role: 'system', content: e.target.value }] : undefined)
                }
                placeholder="You are an expert note-taker. Summarize the call in 2-3 sentences."
              />
            </Field>
            <Field id="rubric" label="Success evaluation rubric" error={err('analysisPlan.successEvaluationPlan.rubric')}>
              <Select
                value={str('analysisPlan.successEvaluationPlan.rubric')}
                onValueChange={(x) => update('analysisPlan.successEvaluationPlan.rubric', x)}
                placeholder="PassFail (default)"
                options={RUBRICS.map((r) => ({ value: r }))}
              />
            </Field>
            <div className="flex items-center gap-3 sm:pt-6">
              <Switch
                id="structuredEnabled"
                checked={v('analysisPlan.structuredDataPlan.enabled') === true}
                onCheckedChange={(c) => update('analysisPlan.structuredDataPlan.enabled', c)}
              />
              <Label htmlFor="structuredEnabled">Structured data</Label>
            </div>
            <Field id="structuredSchema" label="Structured data schema (JSON Schema)" error={err('analysisPlan.structuredDataPlan.schema')} className="sm:col-span-2">
              <JsonEditor value={schemaText} onChange={onJsonChange('analysisPlan.structuredDataPlan.schema', setSchemaText, 'object')} rows={8} />
            </Field>
          </Section>

          <Section id="json" title="Raw JSON" description="Every field, including ones this form does not show. Apply replaces the form's values; Save sends the changed top-level fields.">
            <div className="flex flex-col gap-2 sm:col-span-2">
              <Label htmlFor="rawJson" className="sr-only">
                Assistant JSON
              </Label>
              <JsonEditor id="rawJson" value={rawText} onChange={setRawText} rows={16} />
              <div className="flex gap-2">
                <Button
                  variant="secondary"
                  onClick={() => {
                    try {
                      const parsed = JSON.parse(rawText);
                      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('must be a JSON object');
                      for (const k of READ_ONLY) if (original[k] !== undefined) parsed[k] = original[k];
                      setDraft(parsed);
                      setJsonErrors({});
                      setRev((r) => r + 1);
                      toast.info('JSON applied', 'Review and save.');
                    } catch (e) {
                      toast.error('Invalid JSON', (e as Error).message);
                    }
                  }}
                >
                  Apply JSON
                </Button>
                <Button variant="ghost" onClick={() => setRawText(pretty(draft))}>
                  Refresh from form
                </Button>
              </div>
            </div>
          </Section>
        </fieldset>
      </div>

      <ConfirmDialog
        open={confirmDelete}
        onOpenChange={setConfirmDelete}
        title="Delete this assistant?"
        description={
          <>
            “{str('name') || (original.id as string)}” will be deleted. Calls already made keep their records.
            {usedBy === null ? (
              <span className="mt-2 block">Checking what uses it…</span>
            ) : usedBy.length > 0 ? (
              <span className="mt-2 block font-medium text-warning" data-testid="assistant-users">
                It is still used by {usedBy.join(', ')}: calls to {usedBy.length > 1 ? 'them' : 'it'} will fail until you
                choose another assistant there.
              </span>
            ) : null}
          </>
        }
        onConfirm={async () => {
          await api.del(`/assistant/${original.id}`);
          setDirty(false);
          toast.success('Assistant deleted');
          router.push('/assistants/');
        }}
      />
      {talking && <TalkPanel assistantId={original.id as string} stale={dirty} onClose={() => setTalking(false)} />}
    </div>
  );
}

export default function AssistantEditorPage() {
  return (
    <React.Suspense fallback={<Skeleton className="h-48 w-full" />}>
      <EditorInner />
    </React.Suspense>
  );
}
