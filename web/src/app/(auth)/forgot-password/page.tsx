'use client';

import * as React from 'react';
import Link from 'next/link';
import { AuthCard } from '@/components/auth-card';
import { Field } from '@/components/field';
import { Input } from '@/components/ui/input';
import { Button } from '@/components/ui/button';
import { Alert } from '@/components/ui/alert';
import { api, errorMessage } from '@/lib/api';
import { emailSchema } from '@/lib/schemas';

export default function ForgotPasswordPage() {
  const [email, setEmail] = React.useState('');
  const [fieldError, setFieldError] = React.useState<string | undefined>();
  const [error, setError] = React.useState<string | null>(null);
  const [sent, setSent] = React.useState(false);
  const [busy, setBusy] = React.useState(false);

  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    setError(null);
    const parsed = emailSchema.safeParse(email);
    if (!parsed.success) {
      setFieldError(parsed.error.issues[0]?.message);
      return;
    }
    setFieldError(undefined);
    setBusy(true);
    try {
      await api.post('/auth/password-reset', { email: parsed.data });
      setSent(true);
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
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
      {sent ? (
        <Alert variant="info">
          If an account exists for <strong>{email}</strong>, a reset link is on its way. It is valid for one hour.
        </Alert>
      ) : (
        <form onSubmit={submit} className="flex flex-col gap-4" noValidate>
          {error && <Alert>{error}</Alert>}
          <Field id="email" label="Email" error={fieldError}>
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
