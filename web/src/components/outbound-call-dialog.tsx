'use client';

import * as React from 'react';
import Link from 'next/link';
import { Button } from './ui/button';
import { Input, NativeSelect } from './ui/input';
import { Alert } from './ui/alert';
import { Field } from './field';
import { AssistantOptions } from './assistant-options';
import { Dialog, DialogContent, DialogDescription, DialogFooter, DialogHeader, DialogTitle } from './ui/dialog';
import { api, errorMessage } from '@/lib/api';
import type { Resource } from '@/lib/types';

const E164 = /^\+[1-9]\d{6,14}$/;

/**
 * An outbound phone call from one of the org's numbers: Vapi's POST /call with phoneNumberId,
 * customer.number and the assistant (the number's own unless another is picked).
 */
export function OutboundCallDialog({ number, assistants, onClose }: { number: Resource; assistants: Resource[]; onClose: () => void }) {
  const [customer, setCustomer] = React.useState('');
  const [assistantId, setAssistantId] = React.useState(String(number.assistantId ?? assistants[0]?.id ?? ''));
  const [fieldError, setFieldError] = React.useState<string | undefined>();
  const [error, setError] = React.useState<string | null>(null);
  const [busy, setBusy] = React.useState(false);
  const [callId, setCallId] = React.useState<string | null>(null);
  const from = String(number.number ?? number.sipUri ?? number.name ?? number.id);

  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    const to = customer.replace(/[\s()-]/g, '');
    if (!E164.test(to)) return setFieldError('A number in E.164 form, e.g. +14155550123');
    setFieldError(undefined);
    setError(null);
    setBusy(true);
    try {
      const body: Record<string, unknown> = { phoneNumberId: number.id, customer: { number: to } };
      if (assistantId) body.assistantId = assistantId;
      const call = await api.post<{ id: string }>('/call', body);
      setCallId(call.id);
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog open onOpenChange={(o) => !o && !busy && onClose()}>
      <DialogContent>
        <form onSubmit={submit} className="grid gap-4" noValidate>
          <DialogHeader>
            <DialogTitle>Call from {from}</DialogTitle>
            <DialogDescription>The assistant calls the number you give, from this phone number.</DialogDescription>
          </DialogHeader>
          {error && <Alert testId="outbound-error">{error}</Alert>}
          {callId ? (
            <Alert variant="info" testId="outbound-placed">
              Calling. <Link href={`/calls/detail/?id=${callId}`} className="underline">Follow the call</Link>.
            </Alert>
          ) : (
            <>
              <Field id="customerNumber" label="Customer's number" error={fieldError}>
                <Input value={customer} onChange={(e) => setCustomer(e.target.value)} placeholder="+14155550123" inputMode="tel" autoFocus />
              </Field>
              <Field id="outboundAssistant" label="Assistant">
                <NativeSelect value={assistantId} onChange={(e) => setAssistantId(e.target.value)}>
                  <AssistantOptions assistants={assistants} />
                </NativeSelect>
              </Field>
            </>
          )}
          <DialogFooter>
            <Button variant="outline" type="button" onClick={onClose} disabled={busy}>
              {callId ? 'Close' : 'Cancel'}
            </Button>
            {!callId && (
              <Button type="submit" disabled={busy} data-testid="outbound-submit">
                {busy ? 'Calling…' : 'Call'}
              </Button>
            )}
          </DialogFooter>
        </form>
      </DialogContent>
    </Dialog>
  );
}
