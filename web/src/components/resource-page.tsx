'use client';

import * as React from 'react';
import { Plus, Pencil, Phone } from 'lucide-react';
import { PageHeader, EmptyState } from './page-header';
import { Button } from './ui/button';
import { Input, NativeSelect } from './ui/input';
import { Card } from './ui/card';
import { Alert } from './ui/alert';
import { Badge } from './ui/badge';
import { TableSkeleton } from './ui/skeleton';
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from './ui/table';
import { Dialog, DialogContent, DialogDescription, DialogFooter, DialogHeader, DialogTitle } from './ui/dialog';
import { ConfirmDialog } from './ui/confirm-dialog';
import { Field } from './field';
import { JsonEditor } from './json-editor';
import { ActionsHead, DeleteButton, ListError, SearchBox } from './list-parts';
import { api } from '@/lib/api';
import { useFormSubmit } from '@/lib/use-form-submit';
import { useFetch } from '@/lib/use-fetch';
import { useRole } from '@/lib/session-store';
import { canEditResources } from '@/lib/roles';
import { toast } from '@/lib/toast-store';
import type { Resource } from '@/lib/types';
import { formatDate, getPath, setPath, stableStringify } from '@/lib/utils';

export interface ResourceKind {
  value: string;
  label: string;
  /** where the basic "Name" field is written, or null when this kind has no name */
  namePath: string | null;
  example: (ctx: ExampleContext) => Record<string, unknown>;
  /** fields for this kind, editing the same body as the JSON tab (the JSON stays a tab) */
  form?: (body: Record<string, unknown>, onChange: (next: Record<string, unknown>) => void, ctx: ExampleContext) => React.ReactNode;
}

export interface ExampleContext {
  assistants: Resource[];
  /** the assistants have been loaded (an id not among them is a deleted assistant) */
  assistantsLoaded: boolean;
}

/** An assistant by name; "deleted assistant" for an id the loaded list does not have. */
export function assistantLabel(ctx: ExampleContext, id: string): string {
  const found = ctx.assistants.find((a) => a.id === id);
  if (found) return String(found.name || 'Unnamed assistant');
  return ctx.assistantsLoaded ? 'deleted assistant' : id;
}

export interface ResourceConfig {
  title: string;
  singular: string;
  description: string;
  path: string;
  /** the discriminator: tools have `type`, phone numbers `provider` */
  kindField: string | null;
  kinds: ResourceKind[];
  icon: React.ReactNode;
  /** top-level fields sent on every PATCH (squads need members) */
  patchAlways?: string[];
  needsAssistants?: boolean;
  nameOf: (r: Resource) => string;
  /** names must be unique among this resource (tools: the model calls them by name) */
  uniqueNames?: boolean;
  /** a call button per row: a browser call with a squad, an outbound call from a number */
  call?: {
    label: (r: Resource) => string;
    testId: string;
    /** what opens (a panel or a dialog); `onClose` closes it */
    render: (r: Resource, onClose: () => void, ctx: ExampleContext) => React.ReactNode;
  };
  detailOf?: (r: Resource, ctx: ExampleContext) => React.ReactNode;
  testId: string;
}

const READ_ONLY = ['id', 'orgId', 'createdAt', 'updatedAt', 'latestVersion', 'status'];

function editable(r: Resource): Record<string, unknown> {
  const out: Record<string, unknown> = { ...r };
  for (const k of READ_ONLY) delete out[k];
  return out;
}

/** The JSON editor of a dialog: its text and the parse error shown under it. */
function useJsonBody() {
  const [json, setJson] = React.useState('');
  const [jsonError, setJsonError] = React.useState<string | undefined>();

  /** Puts `value` in the editor and clears the error. */
  const load = React.useCallback((value: unknown) => {
    setJson(JSON.stringify(value, null, 2));
    setJsonError(undefined);
  }, []);

  /** The editor's object, or null after showing why it is not one. */
  const parse = (): Record<string, unknown> | null => {
    try {
      const body = JSON.parse(json);
      if (!body || typeof body !== 'object' || Array.isArray(body)) throw new Error('The body must be a JSON object');
      setJsonError(undefined);
      return body;
    } catch (err) {
      setJsonError((err as Error).message);
      return null;
    }
  };

  return { json, setJson, jsonError, load, parse };
}

/**
 * Why `body` cannot be saved next to the others of its kind (tools: the model calls them by
 * name, so two with one name are ambiguous), or null. `selfId`: the resource being edited.
 */
function duplicateNameError(config: ResourceConfig, body: Record<string, unknown>, existing: Resource[], selfId?: string): string | null {
  if (!config.uniqueNames) return null;
  const kind = config.kinds.find((x) => x.value === (config.kindField ? body[config.kindField] : config.kinds[0].value));
  if (!kind?.namePath) return null;
  const name = getPath(body, kind.namePath);
  if (typeof name !== 'string' || !name.trim()) return null;
  const nameOfExisting = (r: Resource) => {
    const k = config.kinds.find((x) => x.value === (config.kindField ? r[config.kindField] : config.kinds[0].value));
    return k?.namePath ? getPath(r, k.namePath) : undefined;
  };
  const other = existing.find((r) => r.id !== selfId && nameOfExisting(r) === name);
  return other ? `A ${config.singular.toLowerCase()} named "${name}" already exists (${other.id}): names must be unique, the model calls ${config.title.toLowerCase()} by name.` : null;
}

function CreateDialog({
  config,
  open,
  onOpenChange,
  ctx,
  existing,
  onCreated,
}: {
  config: ResourceConfig;
  open: boolean;
  onOpenChange: (o: boolean) => void;
  ctx: ExampleContext;
  existing: Resource[];
  onCreated: (r: Resource) => void;
}) {
  const [kind, setKind] = React.useState(config.kinds[0].value);
  const [name, setName] = React.useState('');
  const { json, setJson, jsonError, load, parse } = useJsonBody();
  const { error, setError, busy, run } = useFormSubmit();
  const k = config.kinds.find((x) => x.value === kind) ?? config.kinds[0];
  // Kinds with a form open on it; the JSON tab edits the same body. `formKey` remounts the
  // form when the JSON may have changed under it.
  const [view, setView] = React.useState<'form' | 'json'>('form');
  const [formKey, setFormKey] = React.useState(0);
  const formBody = React.useMemo(() => {
    try {
      const b = JSON.parse(json);
      return b && typeof b === 'object' && !Array.isArray(b) ? (b as Record<string, unknown>) : null;
    } catch {
      return null;
    }
  }, [json]);

  const reset = React.useCallback(
    (kv: string) => {
      const kk = config.kinds.find((x) => x.value === kv) ?? config.kinds[0];
      const ex = kk.example(ctx);
      setKind(kv);
      setName(kk.namePath ? String(getPath(ex, kk.namePath) ?? '') : '');
      load(ex);
      setView('form');
      setFormKey((n) => n + 1);
      setError(null);
    },
    [config.kinds, ctx, load, setError],
  );

  React.useEffect(() => {
    if (open) reset(config.kinds[0].value);
    // seed the form when the dialog opens, not when the example's context changes under it
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [open]);

  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    setError(null);
    const parsed = parse();
    if (!parsed) return;
    if (name.length > 40 && k.namePath === 'name') {
      setError('Name must be at most 40 characters');
      return;
    }
    // The JSON is what is sent: the Type and Name fields only help write it, and never
    // silently replace what the JSON says.
    if (config.kindField && parsed[config.kindField] !== undefined && parsed[config.kindField] !== kind) {
      setError(
        `The JSON's ${config.kindField} is "${String(parsed[config.kindField])}" but Type is "${kind}": pick the type above, or fix the JSON.`,
      );
      return;
    }
    const body = k.namePath && name.trim() && getPath(parsed, k.namePath) === undefined ? setPath(parsed, k.namePath, name.trim()) : parsed;
    if (config.kindField) body[config.kindField] = kind;
    const dup = duplicateNameError(config, body, existing);
    if (dup) {
      setError(dup);
      return;
    }
    await run(async () => {
      const created = await api.post<Resource>(config.path, body);
      toast.success(`${config.singular} created`);
      onCreated(created);
      onOpenChange(false);
    });
  };

  return (
    <Dialog open={open} onOpenChange={onOpenChange}>
      <DialogContent wide>
        <form onSubmit={submit} className="grid gap-4" noValidate>
          <DialogHeader>
            <DialogTitle>New {config.singular.toLowerCase()}</DialogTitle>
            <DialogDescription>Pick a type, name it, and adjust the JSON body (Vapi&apos;s format).</DialogDescription>
          </DialogHeader>
          {error && <Alert>{error}</Alert>}
          <div className="grid gap-4 sm:grid-cols-2">
            {config.kinds.length > 1 && (
              <Field id="resourceKind" label="Type">
                <NativeSelect value={kind} onChange={(e) => reset(e.target.value)}>
                  {config.kinds.map((x) => (
                    <option key={x.value} value={x.value}>
                      {x.label}
                    </option>
                  ))}
                </NativeSelect>
              </Field>
            )}
            {k.namePath && !(k.form && view === 'form') && (
              <Field id="resourceName" label={k.namePath === 'function.name' ? 'Function name' : 'Name'}>
                <Input
                  value={name}
                  onChange={(e) => {
                    setName(e.target.value);
                    try {
                      const b = JSON.parse(json);
                      setJson(JSON.stringify(setPath(b, k.namePath!, e.target.value || undefined), null, 2));
                    } catch {
                      /* leave invalid JSON alone */
                    }
                  }}
                />
              </Field>
            )}
          </div>
          {k.form && (
            <div role="group" aria-label="Edit as" className="flex gap-1">
              {(['form', 'json'] as const).map((v) => (
                <Button
                  key={v}
                  type="button"
                  size="sm"
                  variant={view === v ? 'secondary' : 'ghost'}
                  aria-pressed={view === v}
                  data-testid={`view-${v}`}
                  onClick={() => {
                    setView(v);
                    if (v === 'form') setFormKey((n) => n + 1);
                  }}
                >
                  {v === 'form' ? 'Form' : 'JSON'}
                </Button>
              ))}
            </div>
          )}
          {k.form && view === 'form' ? (
            formBody ? (
              <div key={formKey}>
                {k.form(
                  formBody,
                  (next) => {
                    load(next);
                    if (k.namePath) setName(String(getPath(next, k.namePath) ?? ''));
                  },
                  ctx,
                )}
              </div>
            ) : (
              <Alert>The JSON does not parse: fix it in the JSON tab.</Alert>
            )
          ) : (
          <Field id="resourceJson" label="Body (JSON)" error={jsonError}>
            <JsonEditor
              value={json}
              onChange={(text) => {
                setJson(text);
                // The Name field follows a name typed in the JSON.
                if (!k.namePath) return;
                try {
                  const v = getPath(JSON.parse(text), k.namePath);
                  setName(typeof v === 'string' ? v : '');
                } catch {
                  /* half-typed JSON: keep the field */
                }
              }}
              rows={16}
            />
          </Field>
          )}
          <DialogFooter>
            <Button variant="outline" onClick={() => onOpenChange(false)}>
              Cancel
            </Button>
            <Button type="submit" disabled={busy} data-testid="resource-create-submit">
              {busy ? 'Creating…' : 'Create'}
            </Button>
          </DialogFooter>
        </form>
      </DialogContent>
    </Dialog>
  );
}

function EditDialog({
  config,
  resource,
  existing,
  onOpenChange,
  onSaved,
  readOnly,
}: {
  config: ResourceConfig;
  resource: Resource | null;
  existing: Resource[];
  onOpenChange: (o: boolean) => void;
  onSaved: (r: Resource) => void;
  readOnly: boolean;
}) {
  const { json, setJson, jsonError, load, parse } = useJsonBody();
  const { error, setError, busy, run } = useFormSubmit();

  React.useEffect(() => {
    if (resource) {
      load(editable(resource));
      setError(null);
    }
  }, [resource, load, setError]);

  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    if (!resource) return;
    setError(null);
    const body = parse();
    if (!body) return;
    const dup = duplicateNameError(config, { ...body, ...(config.kindField ? { [config.kindField]: resource[config.kindField] } : {}) }, existing, resource.id);
    if (dup) {
      setError(dup);
      return;
    }
    const before = editable(resource);
    const patch: Record<string, unknown> = {};
    for (const key of new Set([...Object.keys(before), ...Object.keys(body)])) {
      if (READ_ONLY.includes(key)) continue;
      if (config.kindField === key) continue; // the discriminator cannot change
      if (stableStringify(before[key]) !== stableStringify(body[key])) patch[key] = body[key] === undefined ? null : body[key];
    }
    if (Object.keys(patch).length === 0) {
      onOpenChange(false);
      return;
    }
    for (const key of config.patchAlways ?? []) if (!(key in patch) && body[key] !== undefined) patch[key] = body[key];
    await run(async () => {
      const saved = await api.patch<Resource>(`${config.path}/${resource.id}`, patch);
      toast.success('Saved');
      onSaved(saved);
      onOpenChange(false);
    });
  };

  return (
    <Dialog open={resource !== null} onOpenChange={onOpenChange}>
      <DialogContent wide>
        <form onSubmit={submit} className="grid gap-4" noValidate>
          <DialogHeader>
            <DialogTitle>
              {readOnly ? 'View' : 'Edit'} {resource ? config.nameOf(resource) : ''}
            </DialogTitle>
            <DialogDescription className="font-mono text-xs">{resource?.id}</DialogDescription>
          </DialogHeader>
          {error && <Alert>{error}</Alert>}
          <Field id="resourceEditJson" label="Body (JSON)" error={jsonError} hint={config.kindField ? `${config.kindField} cannot be changed.` : undefined}>
            <JsonEditor value={json} onChange={setJson} rows={18} disabled={readOnly} />
          </Field>
          <DialogFooter>
            <Button variant="outline" onClick={() => onOpenChange(false)}>
              {readOnly ? 'Close' : 'Cancel'}
            </Button>
            {!readOnly && (
              <Button type="submit" disabled={busy} data-testid="resource-save">
                {busy ? 'Saving…' : 'Save'}
              </Button>
            )}
          </DialogFooter>
        </form>
      </DialogContent>
    </Dialog>
  );
}

export function ResourcePage({ config }: { config: ResourceConfig }) {
  const role = useRole();
  const canEdit = canEditResources(role);
  const [q, setQ] = React.useState('');
  const [creating, setCreating] = React.useState(false);
  const [editing, setEditing] = React.useState<Resource | null>(null);
  const [deleting, setDeleting] = React.useState<Resource | null>(null);
  const [talking, setTalking] = React.useState<Resource | null>(null);
  const { data, setData, error, loading } = useFetch((signal) => api.get<Resource[]>(config.path, { limit: 1000 }, signal), [config.path]);
  const assistants = useFetch(
    (signal) => (config.needsAssistants ? api.get<Resource[]>('/assistant', { limit: 1000 }, signal) : Promise.resolve([] as Resource[])),
    [config.needsAssistants],
  );
  const ctx: ExampleContext = React.useMemo(
    () => ({ assistants: assistants.data ?? [], assistantsLoaded: assistants.data != null }),
    [assistants.data],
  );

  const filtered = React.useMemo(() => {
    const s = q.trim().toLowerCase();
    const list = data ?? [];
    return s ? list.filter((r) => config.nameOf(r).toLowerCase().includes(s) || r.id.includes(s)) : list;
  }, [data, q, config]);

  const createButton = canEdit ? (
    <Button onClick={() => setCreating(true)} data-testid={`new-${config.testId}`}>
      <Plus aria-hidden /> New {config.singular.toLowerCase()}
    </Button>
  ) : null;

  return (
    <>
      <PageHeader title={config.title} description={config.description} actions={createButton} />
      <Card>
        <div className="flex items-center gap-2 border-b p-3">
          <SearchBox label="Search" placeholder="Search…" value={q} onChange={setQ} />
        </div>
        <ListError error={error} />
        {loading && !data && <TableSkeleton />}
        {data && data.length === 0 && (
          <EmptyState
            icon={config.icon}
            title={`No ${config.title.toLowerCase()} yet`}
            description={config.description}
            action={
              canEdit ? (
                <Button variant="outline" onClick={() => setCreating(true)}>
                  <Plus aria-hidden /> Create your first {config.singular.toLowerCase()}
                </Button>
              ) : undefined
            }
          />
        )}
        {filtered.length > 0 && (
          <Table>
            <TableHeader>
              <TableRow>
                <TableHead>Name</TableHead>
                {config.kindField && <TableHead>{config.kindField === 'type' ? 'Type' : 'Provider'}</TableHead>}
                <TableHead className="hidden md:table-cell">Details</TableHead>
                <TableHead className="hidden sm:table-cell">Created</TableHead>
                <ActionsHead className="w-24" />
              </TableRow>
            </TableHeader>
            <TableBody>
              {filtered.map((r) => (
                <TableRow key={r.id} data-testid={`${config.testId}-row`} data-id={r.id}>
                  <TableCell className="font-medium">
                    <button type="button" className="rounded text-left hover:underline focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-ring" onClick={() => setEditing(r)}>
                      {config.nameOf(r)}
                    </button>
                    <div className="font-mono text-xs font-normal text-muted-foreground">{r.id}</div>
                  </TableCell>
                  {config.kindField && (
                    <TableCell>
                      <Badge variant="secondary">{String(r[config.kindField] ?? '—')}</Badge>
                    </TableCell>
                  )}
                  <TableCell className="hidden max-w-xs truncate text-sm text-muted-foreground md:table-cell">{config.detailOf?.(r, ctx)}</TableCell>
                  <TableCell className="hidden text-muted-foreground sm:table-cell">{formatDate(r.createdAt)}</TableCell>
                  <TableCell>
                    <div className="flex justify-end gap-1">
                      {config.call && canEdit && (
                        <Button variant="ghost" size="icon" onClick={() => setTalking(r)} aria-label={config.call.label(r)} data-testid={config.call.testId}>
                          <Phone />
                        </Button>
                      )}
                      <Button variant="ghost" size="icon" onClick={() => setEditing(r)} aria-label={`${canEdit ? 'Edit' : 'View'} ${config.nameOf(r)}`} data-testid="edit">
                        <Pencil />
                      </Button>
                      {canEdit && (
                        <DeleteButton label={`Delete ${config.nameOf(r)}`} testId="delete" onClick={() => setDeleting(r)} />
                      )}
                    </div>
                  </TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        )}
      </Card>
      <CreateDialog
        config={config}
        open={creating}
        onOpenChange={setCreating}
        ctx={ctx}
        existing={data ?? []}
        onCreated={(r) => setData((d) => [r, ...(d ?? [])])}
      />
      <EditDialog
        config={config}
        resource={editing}
        existing={data ?? []}
        readOnly={!canEdit}
        onOpenChange={(o) => !o && setEditing(null)}
        onSaved={(r) => setData((d) => (d ?? []).map((x) => (x.id === r.id ? r : x)))}
      />
      {talking && config.call?.render(talking, () => setTalking(null), ctx)}
      <ConfirmDialog
        open={deleting !== null}
        onOpenChange={(o) => !o && setDeleting(null)}
        title={`Delete ${deleting ? config.nameOf(deleting) : ''}?`}
        description="This cannot be undone."
        onConfirm={async () => {
          if (!deleting) return;
          await api.del(`${config.path}/${deleting.id}`);
          setData((d) => (d ?? []).filter((x) => x.id !== deleting.id));
          toast.success(`${config.singular} deleted`);
        }}
      />
    </>
  );
}
