'use client';

import * as React from 'react';
import { Input, NativeSelect } from './ui/input';
import { Field } from './field';
import { AssistantOptions } from './assistant-options';
import type { Resource } from '@/lib/types';

type Obj = Record<string, unknown>;

/**
 * A phone number (Vapi's CreateVapiPhoneNumberDTO / CreateTwilioPhoneNumberDTO) as fields:
 * its name, the address (a SIP URI, or the Twilio number with the account's SID and auth
 * token) and the assistant that answers it. Other fields stay in the JSON tab.
 */
export function PhoneNumberForm({ body, onChange, assistants }: { body: Obj; onChange: (next: Obj) => void; assistants: Resource[] }) {
  const str = (k: string) => (typeof body[k] === 'string' ? (body[k] as string) : '');
  const set = (k: string) => (e: React.ChangeEvent<HTMLInputElement | HTMLSelectElement>) => onChange({ ...body, [k]: e.target.value || undefined });
  const twilio = body.provider === 'twilio';
  return (
    <div className="grid gap-4 sm:grid-cols-2" data-testid="phone-number-form">
      <Field id="pnName" label="Name">
        <Input value={str('name')} onChange={set('name')} />
      </Field>
      <Field id="pnAssistant" label="Assistant that answers">
        <NativeSelect value={str('assistantId')} onChange={set('assistantId')}>
          <option value="">None (a squad or the server decides)</option>
          <AssistantOptions assistants={assistants} />
        </NativeSelect>
      </Field>
      {twilio ? (
        <>
          <Field id="pnNumber" label="Number" hint="E.164, e.g. +14155550123">
            <Input value={str('number')} onChange={set('number')} inputMode="tel" />
          </Field>
          <Field id="pnSid" label="Twilio account SID">
            <Input value={str('twilioAccountSid')} onChange={set('twilioAccountSid')} autoComplete="off" className="font-mono" />
          </Field>
          <Field id="pnToken" label="Twilio auth token" className="sm:col-span-2" hint="Stored encrypted at rest; viewers see it masked.">
            <Input type="password" value={str('twilioAuthToken')} onChange={set('twilioAuthToken')} autoComplete="off" />
          </Field>
        </>
      ) : (
        <Field id="pnSipUri" label="SIP URI" className="sm:col-span-2" hint="sip:name@host: calls to it reach the assistant.">
          <Input value={str('sipUri')} onChange={set('sipUri')} autoComplete="off" className="font-mono" />
        </Field>
      )}
    </div>
  );
}
