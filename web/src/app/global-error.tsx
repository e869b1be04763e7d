'use client';

export default function GlobalError({ error, reset }: { error: Error; reset: () => void }) {
  return (
    <html lang="en">
      <body style={{ background: '#0d1117', color: '#e6edf3', fontFamily: 'system-ui, sans-serif', padding: 40 }}>
        <h1>Something went wrong</h1>
        <p data-testid="error">{error.message}</p>
        <button type="button" onClick={reset}>
          Try again
        </button>
      </body>
    </html>
  );
}
