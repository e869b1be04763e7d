'use client';

import * as React from 'react';
import Link from 'next/link';
import { useRouter, useSearchParams } from 'next/navigation';
import { AuthCard } from '@/components/auth-card';
import { Field } from '@/components/field';
import { Input } from '@/components/ui/input';
import { Button } from '@/components/ui/button';
import { Alert } from '@/components/ui/alert';
import { api } from '@/lib/api';
import { loginSchema } from '@/lib/schemas';
import { useFormSubmit } from '@/lib/use-form-submit';
import { useSession } from '@/lib/session-store';
import type { Session } from '@/lib/types';

function safeNext(next: string | null): string {
  if (next && next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/login')) return next;
  return '/assistants/';
}

function LoginForm() {
  const router = useRouter();
  const params = useSearchParams();
  const setSession = useSession((s) => s.set);
  const [email, setEmail] = React.useState('');
  const [password, setPassword] = React.useState('');
  const { errors, error, busy, validate, run } = useFormSubmit();
  // Who may create an account here (--registration): open, invite (the default) or closed.
  const [registration, setRegistration] = React.useState<string | null>(null);
  React.useEffect(() => {
    let live = true;
    api
      .get<{ registration?: string }>('/auth/registration')
      .then((r) => live && setRegistration(r.registration ?? null))
      .catch(() => {});
    return () => {
      live = false;
    };
  }, []);

  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    const data = validate(loginSchema, { email, password });
    if (!data) return;
    await run(async () => {
      const s = await api.post<Session>('/auth/login', data);
      setSession(s);
      router.replace(safeNext(params.get('next')));
    }, true);
  };

  return (
    <AuthCard
      title="Sign in"
      description="Sign in to your Voxa organization."
      footer={
        registration === 'open' ? (
          <>
            No account?{' '}
            <Link className="text-primary underline-offset-4 hover:underline" href="/register/">
              Create one
            </Link>
          </>
        ) : registration ? (
          <span data-testid="login-no-account">
            No account? Ask an owner of your organization for an invitation. Setting up a new server? Open the owner setup
            link that <code className="font-mono text-xs">voxa serve</code> printed at first start (or run{' '}
            <code className="font-mono text-xs">voxa admin setup-link</code>).
          </span>
        ) : null
      }
    >
      <form onSubmit={submit} className="flex flex-col gap-4" noValidate>
        {error && <Alert>{error}</Alert>}
        <Field id="email" label="Email" error={errors.email}>
          <Input type="email" autoComplete="email" value={email} onChange={(e) => setEmail(e.target.value)} autoFocus />
        </Field>
        <Field id="password" label="Password" error={errors.password}>
          <Input type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} />
        </Field>
        <div className="-mt-1 text-right text-sm">
          <Link className="text-muted-foreground underline-offset-4 hover:text-foreground hover:underline" href="/forgot-password/">
            Forgot password?
          </Link>
        </div>
        <Button type="submit" data-testid="login-submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </Button>
      </form>
    </AuthCard>
  );
}

export default function LoginPage() {
  return (
    <React.Suspense>
      <LoginForm />
    </React.Suspense>
  );
}
