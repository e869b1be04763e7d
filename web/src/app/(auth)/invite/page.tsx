'use client';

import * as React from 'react';
import Link from 'next/link';
import { useRouter, useSearchParams } from 'next/navigation';
import { AuthCard } from '@/components/auth-card';
import { Button } from '@/components/ui/button';
import { Alert } from '@/components/ui/alert';
import { Skeleton } from '@/components/ui/skeleton';
import { api, errorMessage } from '@/lib/api';
import { useSession } from '@/lib/session-store';
import { useFormSubmit } from '@/lib/use-form-submit';
import type { InvitationInfo, Session } from '@/lib/types';
import { formatDate } from '@/lib/utils';

function InviteInner() {
  const token = useSearchParams().get('token');
  const router = useRouter();
  const { load, set: setSession } = useSession();
  const session = useSession((s) => s.session);
  const [invite, setInvite] = React.useState<InvitationInfo | null>(null);
  const [checked, setChecked] = React.useState(false);
  const { error, setError, busy, run } = useFormSubmit(token ? null : 'This invitation link is missing its token.');

  React.useEffect(() => {
    if (!token) return;
    api
      .get<InvitationInfo>('/auth/invitation', { token })
      .then(setInvite)
      .catch((e) => setError(errorMessage(e)));
    load().finally(() => setChecked(true));
  }, [token, load, setError]);

  const accept = () =>
    run(async () => {
      const s = await api.post<Session>('/auth/invitation/accept', { token });
      setSession(s);
      router.replace('/assistants/');
    }, true);

  const here = `/invite/?token=${encodeURIComponent(token ?? '')}`;

  return (
    <AuthCard title="Invitation">
      <div className="flex flex-col gap-4">
        {error && <Alert>{error}</Alert>}
        {!invite && !error && <Skeleton className="h-16 w-full" />}
        {invite && (
          <div className="rounded-md border bg-muted/40 p-4 text-sm" data-testid="invitation">
            <p>
              Join <strong data-testid="invite-org">{invite.orgName}</strong> as{' '}
              <strong data-testid="invite-role">{invite.role}</strong>.
            </p>
            <p className="mt-1 text-muted-foreground">
              For {invite.email}
              {invite.expiresAt ? ` · expires ${formatDate(invite.expiresAt)}` : ''}
            </p>
          </div>
        )}
        {invite && checked && session && (
          <>
            <p className="text-sm text-muted-foreground">
              Signed in as <strong className="text-foreground">{session.user.email}</strong>.
            </p>
            <Button onClick={accept} disabled={busy} data-testid="invite-accept">
              {busy ? 'Joining…' : `Join ${invite.orgName}`}
            </Button>
          </>
        )}
        {invite && checked && !session && (
          <div className="flex flex-col gap-2">
            <Button asChild data-testid="invite-register">
              <Link href={`/register/?invite=${encodeURIComponent(token ?? '')}`}>Create an account</Link>
            </Button>
            <Button asChild variant="outline">
              <Link href={`/login/?next=${encodeURIComponent(here)}`}>I already have an account</Link>
            </Button>
          </div>
        )}
      </div>
    </AuthCard>
  );
}

export default function InvitePage() {
  return (
    <React.Suspense>
      <InviteInner />
    </React.Suspense>
  );
}
