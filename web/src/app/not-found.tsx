import Link from 'next/link';

export default function NotFound() {
  return (
    <main className="flex min-h-screen flex-col items-center justify-center gap-3 p-6 text-center">
      <p className="text-5xl font-semibold text-primary">404</p>
      <p className="text-muted-foreground">This page does not exist.</p>
      <Link href="/assistants/" className="text-sm text-primary underline-offset-4 hover:underline">
        Go to assistants
      </Link>
    </main>
  );
}
