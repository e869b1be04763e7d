'use client';

import * as React from 'react';
import { ArrowDown, ArrowUp, Plus, X } from 'lucide-react';
import { Button } from './ui/button';
import { Input, NativeSelect } from './ui/input';
import { Field } from './field';
import { AssistantOptions } from './assistant-options';
import type { Resource } from '@/lib/types';

type Obj = Record<string, unknown>;
const MAX_MEMBERS = 16;

/**
 * A squad (Vapi's CreateSquadDTO) as fields: its name and its members in order (the call
 * starts with the first), each an assistant picked from the org's, moved up and down or
 * removed. A member's other fields (assistantOverrides, assistantDestinations) move with it
 * and stay editable in the JSON tab.
 */
export function SquadForm({ body, onChange, assistants }: { body: Obj; onChange: (next: Obj) => void; assistants: Resource[] }) {
  const members = (Array.isArray(body.members) ? body.members : []) as Obj[];
  const setMembers = (next: Obj[]) => onChange({ ...body, members: next });
  const move = (i: number, d: number) => {
    const next = [...members];
    [next[i], next[i + d]] = [next[i + d], next[i]];
    setMembers(next);
  };
  return (
    <div className="grid gap-4" data-testid="squad-form">
      <Field id="squadName" label="Name">
        <Input value={typeof body.name === 'string' ? body.name : ''} onChange={(e) => onChange({ ...body, name: e.target.value || undefined })} />
      </Field>
      <fieldset className="flex flex-col gap-2">
        <legend className="mb-1 text-sm font-medium">Members, in order: the call starts with the first</legend>
        {members.map((m, i) => (
          <div key={i} className="flex items-center gap-2" data-testid="squad-member">
            <span className="w-5 text-right text-sm tabular-nums text-muted-foreground">{i + 1}</span>
            <NativeSelect
              id={`squadMember-${i}`}
              aria-label={`Member ${i + 1}`}
              value={typeof m.assistantId === 'string' ? m.assistantId : ''}
              onChange={(e) => setMembers(members.map((x, j) => (j === i ? { ...x, assistantId: e.target.value } : x)))}
            >
              <option value="">Choose an assistant…</option>
              <AssistantOptions assistants={assistants} />
            </NativeSelect>
            <Button variant="ghost" size="icon" type="button" aria-label={`Move member ${i + 1} up`} disabled={i === 0} onClick={() => move(i, -1)} data-testid="member-up">
              <ArrowUp />
            </Button>
            <Button
              variant="ghost"
              size="icon"
              type="button"
              aria-label={`Move member ${i + 1} down`}
              disabled={i === members.length - 1}
              onClick={() => move(i, 1)}
              data-testid="member-down"
            >
              <ArrowDown />
            </Button>
            <Button variant="ghost" size="icon" type="button" aria-label={`Remove member ${i + 1}`} onClick={() => setMembers(members.filter((_, j) => j !== i))}>
              <X />
            </Button>
          </div>
        ))}
        {members.length < MAX_MEMBERS && (
          <Button variant="outline" size="sm" type="button" className="w-fit" data-testid="squad-add-member" onClick={() => setMembers([...members, { assistantId: '' }])}>
            <Plus aria-hidden /> Add a member
          </Button>
        )}
      </fieldset>
    </div>
  );
}
