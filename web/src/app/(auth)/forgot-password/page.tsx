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
  const [sent, setSent] = React.useState(false);
  const { errors, error, busy, validate, run } = useFormSubmit();

  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    const data = validate(emailSchema, email);
    if (!data) return;
    await run(async () => {
      await api.post('/auth/password-reset', { email: data });
      setSent(true);
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
      {sent ? (
        <Alert variant="info">
          If an account exists for <strong>{email}</strong>, a reset link is on its way. It is valid for one hour.
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
