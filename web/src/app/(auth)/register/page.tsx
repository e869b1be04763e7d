'use client';

import * as React from 'react';
import Link from 'next/link';
import { useRouter, useSearchParams } from 'next/navigation';
import { AuthCard } from '@/components/auth-card';
import { Field } from '@/components/field';
import { Input } from '@/components/ui/input';
import { Button } from '@/components/ui/button';
import { Alert } from '@/components/ui/alert';
import { api, errorMessage } from '@/lib/api';
import { registerSchema } from '@/lib/schemas';
import { useFormSubmit } from '@/lib/use-form-submit';
import { useSession } from '@/lib/session-store';
import type { InvitationInfo, Session } from '@/lib/types';

function RegisterForm() {
  const router = useRouter();
  const params = useSearchParams();
  const inviteToken = params.get('invite') || undefined;
  // The one-time link `voxa serve` prints at first start (or `voxa admin setup-link`):
  // its follower becomes the owner of the org whose API keys were printed.
  const setupToken = params.get('setup') || undefined;
  const setSession = useSession((s) => s.set);
  const [form, setForm] = React.useState({ email: '', password: '', name: '', orgName: '' });
  const [invite, setInvite] = React.useState<InvitationInfo | null>(null);
  const { errors, error, setError, busy, validate, run } = useFormSubmit();

  React.useEffect(() => {
    if (!inviteToken) return;
    api
      .get<InvitationInfo>('/auth/invitation', { token: inviteToken })
      .then((inv) => {
        setInvite(inv);
        setForm((f) => ({ ...f, email: inv.email || f.email }));
      })
      .catch((e) => setError(errorMessage(e)));
  }, [inviteToken, setError]);

  const set = (k: keyof typeof form) => (e: React.ChangeEvent<HTMLInputElement>) => setForm({ ...form, [k]: e.target.value });

  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    if (!validate(registerSchema, form)) return;
    const body: Record<string, string> = { email: form.email.trim(), password: form.password };
    if (form.name.trim()) body.name = form.name.trim();
    if (setupToken) body.setupToken = setupToken;
    if (inviteToken) body.inviteToken = inviteToken;
    else if (form.orgName.trim()) body.orgName = form.orgName.trim();
    await run(async () => {
      const s = await api.post<Session>('/auth/register', body);
      setSession(s);
      router.replace('/assistants/');
    }, true);
  };

  return (
    <AuthCard
      title={setupToken ? 'Set up Voxa' : inviteToken ? 'Join your team' : 'Create your account'}
      description={
        setupToken ? (
          'This one-time link makes you the owner of the organization Voxa created at first start.'
        ) : invite ? (
          <>
            You were invited to <strong className="text-foreground">{invite.orgName}</strong> as{' '}
            <strong className="text-foreground">{invite.role}</strong>.
          </>
        ) : (
          'A new organization is created and you become its owner.'
        )
      }
      footer={
        <>
          Already have an account?{' '}
          <Link
            className="text-primary underline-offset-4 hover:underline"
            href={inviteToken ? `/login/?next=${encodeURIComponent(`/invite/?token=${inviteToken}`)}` : '/login/'}
          >
            Sign in
          </Link>
        </>
      }
    >
      <form onSubmit={submit} className="flex flex-col gap-4" noValidate>
        {error && <Alert>{error}</Alert>}
        <Field id="email" label="Email" error={errors.email}>
          <Input type="email" autoComplete="email" value={form.email} onChange={set('email')} autoFocus={!inviteToken} />
        </Field>
        <Field id="password" label="Password" error={errors.password} hint="10+ characters, with a letter and a digit or symbol.">
          <Input type="password" autoComplete="new-password" value={form.password} onChange={set('password')} />
        </Field>
        <Field id="name" label="Your name" error={errors.name}>
          <Input autoComplete="name" value={form.name} onChange={set('name')} />
        </Field>
        {!inviteToken && (
          <Field id="orgName" label="Organization name" error={errors.orgName}>
            <Input autoComplete="organization" value={form.orgName} onChange={set('orgName')} />
          </Field>
        )}
        <Button type="submit" data-testid="register-submit" disabled={busy}>
          {busy ? 'Creating account…' : 'Create account'}
        </Button>
      </form>
    </AuthCard>
  );
}

export default function RegisterPage() {
  return (
    <React.Suspense>
      <RegisterForm />
    </React.Suspense>
  );
}
