'use client';

import * as React from 'react';
import { Plus, X } from 'lucide-react';
import { Button } from './ui/button';
import { Input, NativeSelect } from './ui/input';
import { Field } from './field';

type Obj = Record<string, unknown>;

/** A parameter as the form edits it; `parameters` (JSON Schema) is built from the list. */
interface Param {
  name: string;
  type: string;
  description: string;
  required: boolean;
}

const TYPES = ['string', 'number', 'integer', 'boolean'];
const MAX_PARAMS = 32;

function paramsOf(fn: Obj | undefined): Param[] {
  const schema = (fn?.parameters as Obj | undefined) ?? {};
  const props = (schema.properties as Record<string, Obj> | undefined) ?? {};
  const required = new Set((schema.required as string[] | undefined) ?? []);
  return Object.entries(props).map(([name, p]) => ({
    name,
    type: typeof p?.type === 'string' ? p.type : 'string',
    description: typeof p?.description === 'string' ? p.description : '',
    required: required.has(name),
  }));
}

function schemaOf(params: Param[]): Obj {
  const properties: Record<string, Obj> = {};
  for (const p of params) {
    if (!p.name) continue;
    properties[p.name] = { type: p.type, ...(p.description ? { description: p.description } : {}) };
  }
  const required = params.filter((p) => p.name && p.required).map((p) => p.name);
  return { type: 'object', properties, ...(required.length ? { required } : {}) };
}

/**
 * A function tool (Vapi's CreateFunctionToolDTO) as fields: the function's name and
 * description, its parameters one row each (name, type, description, required), and the
 * server URL its calls are POSTed to. Every edit rewrites `body` (the JSON tab shows it);
 * fields the form has no input for are kept as they are.
 */
export function FunctionToolForm({ body, onChange }: { body: Obj; onChange: (next: Obj) => void }) {
  const fn = (body.function as Obj | undefined) ?? {};
  const [params, setParams] = React.useState<Param[]>(() => paramsOf(fn));
  const setFn = (patch: Obj) => onChange({ ...body, function: { ...fn, ...patch } });
  const setParamsAndBody = (next: Param[]) => {
    setParams(next);
    setFn({ parameters: schemaOf(next) });
  };
  const server = (body.server as Obj | undefined) ?? {};
  const str = (v: unknown) => (typeof v === 'string' ? v : '');
  return (
    <div className="grid gap-4 sm:grid-cols-2" data-testid="function-tool-form">
      <Field id="fnName" label="Function name" hint="Letters, digits, _ and -; the model calls the tool by it.">
        <Input value={str(fn.name)} onChange={(e) => setFn({ name: e.target.value || undefined })} autoComplete="off" />
      </Field>
      <Field id="fnServerUrl" label="Server URL" hint="Where the tool call is POSTed (tool-calls).">
        <Input
          value={str(server.url)}
          onChange={(e) => onChange({ ...body, server: e.target.value ? { ...server, url: e.target.value } : undefined })}
          placeholder="https://example.com/voxa/tools"
          autoComplete="off"
        />
      </Field>
      <Field id="fnDescription" label="Description" className="sm:col-span-2" hint="What it does and when to use it: the model reads this.">
        <Input value={str(fn.description)} onChange={(e) => setFn({ description: e.target.value || undefined })} />
      </Field>
      <fieldset className="flex flex-col gap-2 sm:col-span-2">
        <legend className="mb-1 text-sm font-medium">Parameters</legend>
        {params.length === 0 && <p className="text-sm text-muted-foreground">None: the tool is called without arguments.</p>}
        {params.map((p, i) => (
          <div key={i} className="grid grid-cols-[1fr_8rem_2fr_auto_auto] items-center gap-2" data-testid="fn-param">
            <Input
              aria-label={`Parameter ${i + 1} name`}
              id={`fnParam-${i}-name`}
              value={p.name}
              placeholder="name"
              onChange={(e) => setParamsAndBody(params.map((x, j) => (j === i ? { ...x, name: e.target.value.replace(/[^A-Za-z0-9_-]/g, '') } : x)))}
            />
            <NativeSelect
              aria-label={`Parameter ${i + 1} type`}
              id={`fnParam-${i}-type`}
              value={p.type}
              onChange={(e) => setParamsAndBody(params.map((x, j) => (j === i ? { ...x, type: e.target.value } : x)))}
            >
              {TYPES.map((t) => (
                <option key={t} value={t}>
                  {t}
                </option>
              ))}
            </NativeSelect>
            <Input
              aria-label={`Parameter ${i + 1} description`}
              id={`fnParam-${i}-description`}
              value={p.description}
              placeholder="description"
              onChange={(e) => setParamsAndBody(params.map((x, j) => (j === i ? { ...x, description: e.target.value } : x)))}
            />
            <label className="flex items-center gap-1.5 text-xs">
              <input
                type="checkbox"
                id={`fnParam-${i}-required`}
                checked={p.required}
                onChange={(e) => setParamsAndBody(params.map((x, j) => (j === i ? { ...x, required: e.target.checked } : x)))}
              />
              required
            </label>
            <Button
              variant="ghost"
              size="icon"
              type="button"
              aria-label={`Remove parameter ${p.name || i + 1}`}
              onClick={() => setParamsAndBody(params.filter((_, j) => j !== i))}
            >
              <X />
            </Button>
          </div>
        ))}
        {params.length < MAX_PARAMS && (
          <Button
            variant="outline"
            size="sm"
            type="button"
            className="w-fit"
            data-testid="fn-add-param"
            onClick={() => setParamsAndBody([...params, { name: '', type: 'string', description: '', required: false }])}
          >
            <Plus aria-hidden /> Add a parameter
          </Button>
        )}
      </fieldset>
    </div>
  );
}
