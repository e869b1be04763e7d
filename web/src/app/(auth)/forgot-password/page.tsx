'use client';

import * as React from 'react';
import Link from 'next/link';
import { AuthCard } from '@/components/auth-card';
import { Field } from '@/components/field';
import { Input } from '@/components/ui/input';
import { Button } from '@/components/ui/button';
import { Alert } from '@/components/ui/alert';
import { api } from '@/lib/api';
import { useFormSubmit } from '@/lib/use-form-submit';
import { emailSchema } from '@/lib/schemas';

export default function ForgotPasswordPage() {
  const [email, setEmail] = React.useState('');
  // Where the server sends links: "email", or "log" when no mail server is set up.
  const [sent, setSent] = React.useState<null | 'email' | 'log'>(null);
  const { errors, error, busy, validate, run } = useFormSubmit();

  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    const data = validate(emailSchema, email);
    if (!data) return;
    await run(async () => {
      const res = await api.post<{ delivery?: string }>('/auth/password-reset', { email: data });
      setSent(res?.delivery === 'log' ? 'log' : 'email');
    });
  };

  return (
    <AuthCard
      title="Reset your password"
      description="We will email you a link to choose a new password."
      footer={
        <Link className="text-primary underline-offset-4 hover:underline" href="/login/">
          Back to sign in
        </Link>
      }
    >
      {sent === 'email' ? (
        <Alert variant="info" testId="reset-sent">
          If an account exists for <strong>{email}</strong>, a reset link is on its way. It is valid for one hour.
        </Alert>
      ) : sent === 'log' ? (
        <Alert variant="info" testId="reset-sent">
          Reset by email is not set up on this server. If an account exists for <strong>{email}</strong>, the reset
          link (valid for one hour) was written to the server&apos;s log: ask the person who runs this server for
          it.
        </Alert>
      ) : (
        <form onSubmit={submit} className="flex flex-col gap-4" noValidate>
          {error && <Alert>{error}</Alert>}
          <Field id="email" label="Email" error={errors._}>
            <Input type="email" autoComplete="email" value={email} onChange={(e) => setEmail(e.target.value)} autoFocus />
          </Field>
          <Button type="submit" data-testid="reset-request-submit" disabled={busy}>
            {busy ? 'Sending…' : 'Send reset link'}
          </Button>
        </form>
      )}
    </AuthCard>
  );
}
