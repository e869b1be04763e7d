'use client';

import { Phone } from 'lucide-react';
import { ResourcePage, assistantLabel, type ResourceConfig } from '@/components/resource-page';
import type { Resource } from '@/lib/types';
import { OutboundCallDialog } from '@/components/outbound-call-dialog';
import { PhoneNumberForm } from '@/components/phone-number-form';

const config: ResourceConfig = {
  title: 'Phone numbers',
  singular: 'Phone number',
  description: 'SIP addresses and Twilio numbers that route inbound calls to an assistant or squad.',
  path: '/phone-number',
  kindField: 'provider',
  testId: 'phone-number',
  icon: <Phone />,
  needsAssistants: true,
  call: {
    label: (r) => `Call a customer from ${(r.name as string | undefined) || (r.number as string | undefined) || 'this number'}`,
    testId: 'outbound-call',
    render: (r, onClose, ctx) => <OutboundCallDialog number={r} assistants={ctx.assistants} onClose={onClose} />,
  },
  nameOf: (r: Resource) => (r.name as string | undefined) || (r.number as string | undefined) || (r.sipUri as string | undefined) || 'Unnamed number',
  detailOf: (r, ctx) => {
    const target = r.assistantId ? assistantLabel(ctx, r.assistantId as string) : r.squadId ? `squad ${r.squadId}` : null;
    return [r.number ?? r.sipUri, target ? `→ ${target}` : null].filter(Boolean).join(' ') as string;
  },
  kinds: [
    {
      value: 'vapi',
      label: 'SIP URI (vapi)',
      namePath: 'name',
      form: (body, onChange, ctx) => <PhoneNumberForm body={body} onChange={onChange} assistants={ctx.assistants} />,
      example: ({ assistants }) => ({
        provider: 'vapi',
        name: 'Support line',
        sipUri: 'sip:support@voxa.local',
        ...(assistants[0] ? { assistantId: assistants[0].id } : {}),
      }),
    },
    {
      value: 'twilio',
      label: 'Twilio number',
      namePath: 'name',
      form: (body, onChange, ctx) => <PhoneNumberForm body={body} onChange={onChange} assistants={ctx.assistants} />,
      example: ({ assistants }) => ({
        provider: 'twilio',
        name: 'Main line',
        number: '+14155550123',
        twilioAccountSid: 'AC00000000000000000000000000000000',
        twilioAuthToken: 'your-twilio-auth-token',
        ...(assistants[0] ? { assistantId: assistants[0].id } : {}),
      }),
    },
  ],
};

export default function PhoneNumbersPage() {
  return <ResourcePage config={config} />;
}
