'use client';

import * as React from 'react';
import Link from 'next/link';
import { usePathname, useRouter } from 'next/navigation';
import {
  Bot,
  Wrench,
  Users,
  Phone,
  PhoneCall,
  BarChart3,
  ScrollText,
  KeyRound,
  UserCog,
  Settings,
  Menu,
  X,
  LogOut,
  ChevronsUpDown,
  Sun,
  Moon,
  Building2,
} from 'lucide-react';
import { useSession } from '@/lib/session-store';
import { useUnsaved } from '@/lib/unsaved-store';
import { cn } from '@/lib/utils';
import { Logo } from './logo';
import { Button } from './ui/button';
import { Badge } from './ui/badge';
import { Spinner } from './ui/skeleton';
import { Alert } from './ui/alert';
import { ErrorBoundary } from './error-boundary';
import { ConfirmDialog } from './ui/confirm-dialog';
import {
  DropdownMenu,
  DropdownMenuContent,
  DropdownMenuItem,
  DropdownMenuLabel,
  DropdownMenuRadioGroup,
  DropdownMenuRadioItem,
  DropdownMenuSeparator,
  DropdownMenuTrigger,
} from './ui/dropdown-menu';
import { toast } from '@/lib/toast-store';
import { errorMessage } from '@/lib/api';

const NAV = [
  { href: '/assistants/', label: 'Assistants', icon: Bot, testId: 'nav-assistants' },
  { href: '/tools/', label: 'Tools', icon: Wrench, testId: 'nav-tools' },
  { href: '/squads/', label: 'Squads', icon: Users, testId: 'nav-squads' },
  { href: '/phone-numbers/', label: 'Phone numbers', icon: Phone, testId: 'nav-phone-numbers' },
  { href: '/calls/', label: 'Calls', icon: PhoneCall, testId: 'nav-calls' },
  { href: '/insights/', label: 'Insights', icon: BarChart3, testId: 'nav-insights' },
  { href: '/webhook-logs/', label: 'Logs', icon: ScrollText, testId: 'nav-logs' },
  { section: 'Organization' },
  { href: '/keys/', label: 'API keys', icon: KeyRound, testId: 'nav-keys' },
  { href: '/members/', label: 'Members', icon: UserCog, testId: 'nav-members' },
  { href: '/settings/', label: 'Settings', icon: Settings, testId: 'nav-settings' },
] as const;

function isActive(pathname: string, href: string) {
  return pathname === href || pathname.startsWith(href);
}

function Sidebar({ onNavigate }: { onNavigate?: () => void }) {
  const pathname = usePathname() ?? '/';
  return (
    <nav aria-label="Main" className="flex flex-1 flex-col gap-0.5 px-3 py-2">
      {NAV.map((item, i) =>
        'section' in item ? (
          <p key={i} className="mb-1 mt-5 px-2 text-[11px] font-medium uppercase tracking-wider text-muted-foreground">
            {item.section}
          </p>
        ) : (
          <Link
            key={item.href}
            href={item.href}
            data-testid={item.testId}
            onClick={onNavigate}
            aria-current={isActive(pathname, item.href) ? 'page' : undefined}
            className={cn(
              'flex items-center gap-2.5 rounded-md px-2 py-1.5 text-sm text-muted-foreground transition-colors hover:bg-accent hover:text-foreground focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-ring',
              isActive(pathname, item.href) && 'bg-accent font-medium text-foreground',
            )}
          >
            <item.icon className="size-4" aria-hidden />
            {item.label}
          </Link>
        ),
      )}
    </nav>
  );
}

function useTheme() {
  const [light, setLight] = React.useState(false);
  React.useEffect(() => setLight(document.documentElement.classList.contains('light')), []);
  const toggle = () => {
    const next = !light;
    document.documentElement.classList.toggle('light', next);
    try {
      localStorage.setItem('voxa-theme', next ? 'light' : 'dark');
    } catch {}
    setLight(next);
  };
  return { light, toggle };
}

function TopBar({ onMenu }: { onMenu: () => void }) {
  const session = useSession((s) => s.session)!;
  const { logout, switchOrg } = useSession();
  const router = useRouter();
  const { light, toggle } = useTheme();
  const orgs = session.orgs ?? [];
  return (
    <header className="sticky top-0 z-30 flex h-14 items-center gap-3 border-b bg-background/85 px-4 backdrop-blur">
      <Button variant="ghost" size="icon" className="lg:hidden" onClick={onMenu} aria-label="Open navigation">
        <Menu />
      </Button>
      <div className="flex min-w-0 items-center gap-2">
        {orgs.length > 1 ? (
          <DropdownMenu>
            <DropdownMenuTrigger asChild>
              <Button variant="outline" size="sm" data-testid="org-switcher" className="max-w-[14rem]">
                <Building2 aria-hidden />
                <span className="truncate">{session.org.name}</span>
                <ChevronsUpDown className="opacity-60" aria-hidden />
              </Button>
            </DropdownMenuTrigger>
            <DropdownMenuContent align="start">
              <DropdownMenuLabel>Switch organization</DropdownMenuLabel>
              <DropdownMenuRadioGroup
                value={session.org.id}
                onValueChange={async (orgId) => {
                  if (orgId === session.org.id) return;
                  try {
                    await switchOrg(orgId);
                    window.location.assign('/assistants/');
                  } catch (e) {
                    toast.error('Could not switch organization', errorMessage(e));
                  }
                }}
              >
                {orgs.map((o) => (
                  <DropdownMenuRadioItem key={o.id} value={o.id}>
                    <span className="truncate">{o.name}</span>
                    <span className="ml-auto pl-3 text-xs text-muted-foreground">{o.role}</span>
                  </DropdownMenuRadioItem>
                ))}
              </DropdownMenuRadioGroup>
            </DropdownMenuContent>
          </DropdownMenu>
        ) : (
          <span className="flex min-w-0 items-center gap-2 text-sm font-medium" data-testid="org-name">
            <Building2 className="size-4 text-muted-foreground" aria-hidden />
            <span className="truncate">{session.org.name}</span>
          </span>
        )}
        <Badge variant="secondary" data-testid="role">
          {session.role}
        </Badge>
      </div>
      <div className="ml-auto flex items-center gap-1">
        <Button variant="ghost" size="icon" onClick={toggle} aria-label={light ? 'Use dark theme' : 'Use light theme'}>
          {light ? <Moon /> : <Sun />}
        </Button>
        <DropdownMenu>
          <DropdownMenuTrigger asChild>
            <Button variant="ghost" className="gap-2 px-2" data-testid="user-menu" aria-label="User menu">
              <span className="flex size-7 items-center justify-center rounded-full bg-primary/20 text-xs font-semibold uppercase text-primary">
                {(session.user.name || session.user.email || '?').slice(0, 1)}
              </span>
              <span className="hidden max-w-[10rem] truncate text-sm sm:inline">{session.user.name || session.user.email}</span>
            </Button>
          </DropdownMenuTrigger>
          <DropdownMenuContent align="end">
            <DropdownMenuLabel>
              <span className="block truncate text-sm text-foreground">{session.user.name || 'Signed in'}</span>
              <span className="block truncate font-normal">{session.user.email}</span>
            </DropdownMenuLabel>
            <DropdownMenuSeparator />
            <DropdownMenuItem
              data-testid="logout"
              onSelect={async () => {
                try {
                  await logout();
                } catch {
                  /* the cookie is gone or the server is down: go to login anyway */
                }
                router.replace('/login/');
              }}
            >
              <LogOut aria-hidden /> Log out
            </DropdownMenuItem>
          </DropdownMenuContent>
        </DropdownMenu>
      </div>
    </header>
  );
}

/** Warns before leaving a page with unsaved changes (in-app links and the browser). */
function UnsavedGuard() {
  const { dirty, pending, setPending, setDirty } = useUnsaved();
  const router = useRouter();
  React.useEffect(() => {
    if (!dirty) return;
    const onBeforeUnload = (e: BeforeUnloadEvent) => {
      e.preventDefault();
      e.returnValue = '';
    };
    const onClick = (e: MouseEvent) => {
      if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
      const a = (e.target as Element | null)?.closest?.('a[href]') as HTMLAnchorElement | null;
      if (!a || a.target === '_blank' || a.hasAttribute('download')) return;
      const url = new URL(a.href, window.location.href);
      if (url.origin !== window.location.origin) return;
      if (url.pathname === window.location.pathname && url.search === window.location.search) return;
      e.preventDefault();
      e.stopPropagation();
      setPending(url.pathname + url.search);
    };
    window.addEventListener('beforeunload', onBeforeUnload);
    document.addEventListener('click', onClick, true);
    return () => {
      window.removeEventListener('beforeunload', onBeforeUnload);
      document.removeEventListener('click', onClick, true);
    };
  }, [dirty, setPending]);
  return (
    <ConfirmDialog
      open={pending !== null}
      onOpenChange={(o) => !o && setPending(null)}
      title="Discard unsaved changes?"
      description="You have changes that are not saved. Leave this page and lose them?"
      confirmLabel="Discard changes"
      onConfirm={() => {
        const href = pending;
        setDirty(false);
        setPending(null);
        if (href) router.push(href);
      }}
    />
  );
}

export function AppShell({ children }: { children: React.ReactNode }) {
  const { status, error, load, clear } = useSession();
  const session = useSession((s) => s.session);
  const router = useRouter();
  const pathname = usePathname() ?? '/';
  const [open, setOpen] = React.useState(false);

  React.useEffect(() => {
    load();
  }, [load]);

  React.useEffect(() => {
    if (status === 'unauthenticated') {
      const next = window.location.pathname + window.location.search;
      router.replace(`/login/?next=${encodeURIComponent(next)}`);
    }
  }, [status, router]);

  React.useEffect(() => {
    const onUnauthorized = () => clear();
    window.addEventListener('voxa:unauthorized', onUnauthorized);
    return () => window.removeEventListener('voxa:unauthorized', onUnauthorized);
  }, [clear]);

  React.useEffect(() => setOpen(false), [pathname]);

  if (!session) {
    return (
      <main className="flex min-h-screen items-center justify-center p-6">
        {status === 'error' ? (
          <div className="flex max-w-md flex-col items-center gap-3">
            <Alert title="Cannot load your session">{error}</Alert>
            <Button onClick={() => load(true)}>Retry</Button>
          </div>
        ) : (
          <Spinner label="Loading your session" />
        )}
      </main>
    );
  }

  return (
    <div className="flex min-h-screen">
      <a
        href="#main"
        className="sr-only focus:not-sr-only focus:fixed focus:left-2 focus:top-2 focus:z-[60] focus:rounded focus:bg-primary focus:px-3 focus:py-1 focus:text-primary-foreground"
      >
        Skip to content
      </a>
      <aside className="sticky top-0 hidden h-screen w-60 shrink-0 flex-col border-r bg-card/40 lg:flex">
        <div className="flex h-14 items-center px-5">
          <Link href="/assistants/" className="rounded focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-ring">
            <Logo />
          </Link>
        </div>
        <Sidebar />
        <p className="px-5 py-3 text-xs text-muted-foreground">Vapi-compatible · self-hosted</p>
      </aside>
      {open && (
        <div className="fixed inset-0 z-40 lg:hidden" role="dialog" aria-modal="true" aria-label="Navigation">
          <div className="absolute inset-0 bg-black/60" onClick={() => setOpen(false)} />
          <aside className="absolute inset-y-0 left-0 flex w-64 flex-col border-r bg-card animate-fade-in">
            <div className="flex h-14 items-center justify-between px-5">
              <Logo />
              <Button variant="ghost" size="icon" onClick={() => setOpen(false)} aria-label="Close navigation" autoFocus>
                <X />
              </Button>
            </div>
            <Sidebar onNavigate={() => setOpen(false)} />
          </aside>
        </div>
      )}
      <div className="flex min-w-0 flex-1 flex-col">
        <TopBar onMenu={() => setOpen(true)} />
        <main id="main" className="mx-auto w-full max-w-7xl flex-1 px-4 py-6 sm:px-6 lg:px-8">
          <ErrorBoundary resetKey={pathname}>{children}</ErrorBoundary>
        </main>
      </div>
      <UnsavedGuard />
    </div>
  );
}
