export function Logo({ className }: { className?: string }) {
  return (
    <span className={className}>
      <span className="inline-flex items-center gap-2 font-semibold tracking-tight">
        <svg viewBox="0 0 24 24" className="size-6 text-primary" aria-hidden fill="none" stroke="currentColor" strokeWidth={2.2} strokeLinecap="round">
          <path d="M3 12h2M7 8v8M11 4v16M15 7v10M19 10v4M21 12h0" />
        </svg>
        <span>Voxa</span>
      </span>
    </span>
  );
}
