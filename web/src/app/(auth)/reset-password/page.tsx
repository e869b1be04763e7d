'use client';

import * as React from 'react';
import Link from 'next/link';
import { useSearchParams } from 'next/navigation';
import { AuthCard } from '@/components/auth-card';
import { Field } from '@/components/field';
import { Input } from '@/components/ui/input';
import { Button } from '@/components/ui/button';
import { Alert } from '@/components/ui/alert';
import { api } from '@/lib/api';
import { resetSchema } from '@/lib/schemas';
import { useFormSubmit } from '@/lib/use-form-submit';

function ResetForm() {
  const token = useSearchParams().get('token');
  const [password, setPassword] = React.useState('');
  const [confirm, setConfirm] = React.useState('');
  const [done, setDone] = React.useState(false);
  const { errors, error, busy, validate, run } = useFormSubmit();

  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    if (!validate(resetSchema, { password, confirm })) return;
    await run(async () => {
      await api.post('/auth/password-reset/confirm', { token, password });
      setDone(true);
    });
  };

  if (!token) {
    return (
      <AuthCard title="Reset your password">
        <Alert>This reset link is missing its token. Request a new one.</Alert>
        <Button asChild className="mt-4 w-full">
          <Link href="/forgot-password/">Request a new link</Link>
        </Button>
      </AuthCard>
    );
  }

  return (
    <AuthCard title="Choose a new password" description="All your other sessions will be signed out.">
      {done ? (
        <div className="flex flex-col gap-4">
          <Alert variant="info">Your password was changed. Sign in with the new one.</Alert>
          <Button asChild>
            <Link href="/login/">Sign in</Link>
          </Button>
        </div>
      ) : (
        <form onSubmit={submit} className="flex flex-col gap-4" noValidate>
          {error && (
            <div className="space-y-1">
              <Alert>{error}</Alert>
              <Link className="text-sm text-primary underline-offset-4 hover:underline" href="/forgot-password/">
                Request a new link
              </Link>
            </div>
          )}
          <Field id="password" label="New password" error={errors.password} hint="10+ characters, with a letter and a digit or symbol.">
            <Input type="password" autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} autoFocus />
          </Field>
          <Field id="confirm" label="Confirm password" error={errors.confirm}>
            <Input type="password" autoComplete="new-password" value={confirm} onChange={(e) => setConfirm(e.target.value)} />
          </Field>
          <Button type="submit" data-testid="reset-submit" disabled={busy}>
            {busy ? 'Saving…' : 'Set password'}
          </Button>
        </form>
      )}
    </AuthCard>
  );
}

export default function ResetPasswordPage() {
  return (
    <React.Suspense>
      <ResetForm />
    </React.Suspense>
  );
}
