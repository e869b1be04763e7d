import Link from 'next/link';

export default function NotFound() {
  return (
    <main className="flex min-h-screen flex-col items-center justify-center gap-3 p-6 text-center">
      <p className="text-5xl font-semibold text-primary" aria-hidden>
        404
      </p>
      <h1 className="text-muted-foreground">This page does not exist.</h1>
      <Link href="/assistants/" className="text-sm text-primary underline-offset-4 hover:underline">
        Go to assistants
      </Link>
    </main>
  );
}
