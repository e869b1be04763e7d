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
const str = (v: unknown) => (typeof v === 'string' ? v : '');
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
 * A JSON Schema object's properties as rows (name, type, description, required), added and
 * removed in place; every edit hands back the whole schema. `idPrefix` names the inputs.
 */
export function ParamList({ schema, onChange, idPrefix, legend }: { schema: Obj | undefined; onChange: (schema: Obj) => void; idPrefix: string; legend: string }) {
  const [params, setParams] = React.useState<Param[]>(() => paramsOf({ parameters: schema }));
  const set = (next: Param[]) => {
    setParams(next);
    onChange(schemaOf(next));
  };
  return (
    <fieldset className="flex flex-col gap-2 sm:col-span-2">
      <legend className="mb-1 text-sm font-medium">{legend}</legend>
      {params.length === 0 && <p className="text-sm text-muted-foreground">None.</p>}
      {params.map((p, i) => (
        <div key={i} className="grid grid-cols-[1fr_8rem_2fr_auto_auto] items-center gap-2" data-testid={`${idPrefix}-param`}>
          <Input
            aria-label={`Parameter ${i + 1} name`}
            id={`${idPrefix}-${i}-name`}
            value={p.name}
            placeholder="name"
            onChange={(e) => set(params.map((x, j) => (j === i ? { ...x, name: e.target.value.replace(/[^A-Za-z0-9_-]/g, '') } : x)))}
          />
          <NativeSelect
            aria-label={`Parameter ${i + 1} type`}
            id={`${idPrefix}-${i}-type`}
            value={p.type}
            onChange={(e) => set(params.map((x, j) => (j === i ? { ...x, type: e.target.value } : x)))}
          >
            {TYPES.map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </NativeSelect>
          <Input
            aria-label={`Parameter ${i + 1} description`}
            id={`${idPrefix}-${i}-description`}
            value={p.description}
            placeholder="description"
            onChange={(e) => set(params.map((x, j) => (j === i ? { ...x, description: e.target.value } : x)))}
          />
          <label className="flex items-center gap-1.5 text-xs">
            <input
              type="checkbox"
              id={`${idPrefix}-${i}-required`}
              checked={p.required}
              onChange={(e) => set(params.map((x, j) => (j === i ? { ...x, required: e.target.checked } : x)))}
            />
            required
          </label>
          <Button variant="ghost" size="icon" type="button" aria-label={`Remove parameter ${p.name || i + 1}`} onClick={() => set(params.filter((_, j) => j !== i))}>
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
          data-testid={`${idPrefix}-add-param`}
          onClick={() => set([...params, { name: '', type: 'string', description: '', required: false }])}
        >
          <Plus aria-hidden /> Add a parameter
        </Button>
      )}
    </fieldset>
  );
}

/**
 * A function tool (Vapi's CreateFunctionToolDTO) as fields: the function's name and
 * description, its parameters one row each (name, type, description, required), and the
 * server URL its calls are POSTed to. Every edit rewrites `body` (the JSON tab shows it);
 * fields the form has no input for are kept as they are.
 */
export function FunctionToolForm({ body, onChange }: { body: Obj; onChange: (next: Obj) => void }) {
  const fn = (body.function as Obj | undefined) ?? {};
  const setFn = (patch: Obj) => onChange({ ...body, function: { ...fn, ...patch } });
  const server = (body.server as Obj | undefined) ?? {};
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
      <ParamList schema={fn.parameters as Obj | undefined} onChange={(parameters) => setFn({ parameters })} idPrefix="fnParam" legend="Parameters" />
    </div>
  );
}

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

/**
 * An API request tool (Vapi's CreateApiRequestToolDTO): name, description, method, URL,
 * timeout and the body's parameters (the JSON Schema the model fills in). Headers and the
 * rest stay in the JSON tab.
 */
export function ApiRequestToolForm({ body, onChange }: { body: Obj; onChange: (next: Obj) => void }) {
  const set = (patch: Obj) => onChange({ ...body, ...patch });
  return (
    <div className="grid gap-4 sm:grid-cols-2" data-testid="api-request-tool-form">
      <Field id="apiName" label="Name" hint="Letters, digits, _ and -; the model calls the tool by it.">
        <Input value={str(body.name)} onChange={(e) => set({ name: e.target.value || undefined })} autoComplete="off" />
      </Field>
      <Field id="apiMethod" label="Method">
        <NativeSelect value={str(body.method) || 'POST'} onChange={(e) => set({ method: e.target.value })}>
          {METHODS.map((m) => (
            <option key={m} value={m}>
              {m}
            </option>
          ))}
        </NativeSelect>
      </Field>
      <Field id="apiUrl" label="URL" className="sm:col-span-2">
        <Input value={str(body.url)} onChange={(e) => set({ url: e.target.value || undefined })} placeholder="https://api.example.com/orders" autoComplete="off" />
      </Field>
      <Field id="apiDescription" label="Description" className="sm:col-span-2" hint="What it does and when to use it: the model reads this.">
        <Input value={str(body.description)} onChange={(e) => set({ description: e.target.value || undefined })} />
      </Field>
      <ParamList schema={body.body as Obj | undefined} onChange={(schema) => set({ body: schema })} idPrefix="apiParam" legend="Body parameters" />
    </div>
  );
}
