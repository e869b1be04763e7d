'use client';

import { useEffect } from 'react';
import { useRouter } from 'next/navigation';
import { useSession } from '@/lib/session-store';
import { Spinner } from '@/components/ui/skeleton';
import { Alert } from '@/components/ui/alert';

export default function Home() {
  const router = useRouter();
  const { load, status, error } = useSession();
  useEffect(() => {
    load().then((s) => {
      if (s) router.replace('/assistants/');
      else if (useSession.getState().status === 'unauthenticated') router.replace('/login/');
    });
  }, [load, router]);
  return (
    <main className="flex min-h-screen items-center justify-center p-6">
      {status === 'error' ? <Alert title="Cannot reach the server">{error}</Alert> : <Spinner label="Loading Voxa" />}
    </main>
  );
}
