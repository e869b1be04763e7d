'use client';

import { Users } from 'lucide-react';
import { ResourcePage, assistantLabel, type ResourceConfig } from '@/components/resource-page';
import type { Resource } from '@/lib/types';
import { TalkPanel } from '@/components/talk-panel';
import { SquadForm } from '@/components/squad-form';

const config: ResourceConfig = {
  title: 'Squads',
  singular: 'Squad',
  description: 'Several assistants that hand a call over to each other. The call starts with the first member.',
  path: '/squad',
  kindField: null,
  testId: 'squad',
  icon: <Users />,
  needsAssistants: true,
  patchAlways: ['members'],
  call: {
    label: (r) => `Talk to ${(r.name as string | undefined) || 'the squad'}`,
    testId: 'talk',
    render: (r, onClose) => <TalkPanel squadId={r.id} onClose={onClose} />,
  },
  nameOf: (r: Resource) => (r.name as string | undefined) || 'Unnamed squad',
  detailOf: (r, ctx) => {
    const members = (r.members as Array<{ assistantId?: string; assistant?: { name?: string } }> | undefined) ?? [];
    return members
      .map((m) => {
        if (m.assistant) return m.assistant.name ?? 'inline assistant';
        return m.assistantId ? assistantLabel(ctx, m.assistantId) : '?';
      })
      .join(' → ');
  },
  kinds: [
    {
      value: 'squad',
      label: 'Squad',
      namePath: 'name',
      form: (body, onChange, ctx) => <SquadForm body={body} onChange={onChange} assistants={ctx.assistants} />,
      example: ({ assistants }) => {
        const [a, b] = assistants;
        return {
          name: 'Front desk',
          members: [
            {
              assistantId: a?.id ?? '<assistant id>',
              assistantDestinations: [
                {
                  type: 'assistant',
                  assistantName: b?.name ?? 'Customer support',
                  message: 'Let me transfer you to a colleague.',
                  description: 'Questions this assistant cannot answer',
                },
              ],
            },
            { assistantId: b?.id ?? '<another assistant id>' },
          ],
        };
      },
    },
  ],
};

export default function SquadsPage() {
  return <ResourcePage config={config} />;
}
