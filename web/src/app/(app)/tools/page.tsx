'use client';

import { Wrench } from 'lucide-react';
import { ResourcePage, type ResourceConfig } from '@/components/resource-page';
import type { Resource } from '@/lib/types';
import { ApiRequestToolForm, FunctionToolForm } from '@/components/function-tool-form';

const config: ResourceConfig = {
  title: 'Tools',
  singular: 'Tool',
  description: 'Functions and actions your assistants can call during a conversation.',
  path: '/tool',
  kindField: 'type',
  testId: 'tool',
  uniqueNames: true,
  icon: <Wrench />,
  nameOf: (r: Resource) => ((r.function as { name?: string } | undefined)?.name ?? r.name ?? r.type ?? r.id) as string,
  detailOf: (r) =>
    ((r.function as { description?: string } | undefined)?.description ??
      (r.url as string | undefined) ??
      (r.server as { url?: string } | undefined)?.url ??
      '') as string,
  kinds: [
    {
      value: 'function',
      label: 'Function (webhook)',
      namePath: 'function.name',
      form: (body, onChange) => <FunctionToolForm body={body} onChange={onChange} />,
      example: () => ({
        type: 'function',
        function: {
          name: 'lookup_order',
          description: 'Look up the status of an order by its number',
          parameters: {
            type: 'object',
            properties: { order: { type: 'string', description: 'The order number' } },
            required: ['order'],
          },
        },
        server: { url: 'https://example.com/voxa/tools' },
        messages: [
          { type: 'request-start', content: 'One moment while I look that up.' },
          { type: 'request-failed', content: 'Sorry, I could not look that up right now.' },
        ],
      }),
    },
    {
      value: 'apiRequest',
      label: 'API request',
      namePath: 'name',
      form: (body, onChange) => <ApiRequestToolForm body={body} onChange={onChange} />,
      example: () => ({
        type: 'apiRequest',
        name: 'get_weather',
        description: 'Get the current weather for a city',
        method: 'GET',
        url: 'https://api.example.com/weather',
        body: { type: 'object', properties: { city: { type: 'string', description: 'City name' } }, required: ['city'] },
        timeoutSeconds: 20,
      }),
    },
    {
      value: 'transferCall',
      label: 'Transfer call',
      namePath: null,
      example: () => ({
        type: 'transferCall',
        destinations: [{ type: 'number', number: '+14155550123', message: 'Transferring you to the front desk now.', description: 'Front desk' }],
      }),
    },
    { value: 'endCall', label: 'End call', namePath: null, example: () => ({ type: 'endCall' }) },
    { value: 'dtmf', label: 'DTMF (keypad)', namePath: null, example: () => ({ type: 'dtmf' }) },
  ],
};

export default function ToolsPage() {
  return <ResourcePage config={config} />;
}
