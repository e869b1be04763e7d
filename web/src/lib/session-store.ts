'use client';

import { create } from 'zustand';
import { api, ApiError, errorMessage } from './api';
import type { Session } from './types';

type Status = 'idle' | 'loading' | 'ready' | 'unauthenticated' | 'error';

interface SessionState {
  session: Session | null;
  status: Status;
  error: string | null;
  load: (force?: boolean) => Promise<Session | null>;
  set: (s: Session) => void;
  clear: () => void;
  logout: () => Promise<void>;
  switchOrg: (orgId: string) => Promise<void>;
}

let inflight: Promise<Session | null> | null = null;

export const useSession = create<SessionState>((set, get) => ({
  session: null,
  status: 'idle',
  error: null,
  load: async (force = false) => {
    if (!force && get().status === 'ready') return get().session;
    if (inflight) return inflight;
    set({ status: get().session ? get().status : 'loading', error: null });
    inflight = (async () => {
      try {
        const s = await api.get<Session>('/auth/me');
        set({ session: s, status: 'ready', error: null });
        return s;
      } catch (e) {
        if (e instanceof ApiError && e.status === 401) {
          set({ session: null, status: 'unauthenticated', error: null });
        } else {
          set({ status: 'error', error: errorMessage(e) });
        }
        return null;
      } finally {
        inflight = null;
      }
    })();
    return inflight;
  },
  set: (s) => set({ session: s, status: 'ready', error: null }),
  clear: () => set({ session: null, status: 'unauthenticated', error: null }),
  logout: async () => {
    try {
      await api.post('/auth/logout');
    } finally {
      set({ session: null, status: 'unauthenticated', error: null });
    }
  },
  switchOrg: async (orgId) => {
    const s = await api.post<Session>('/auth/switch-org', { orgId });
    set({ session: s, status: 'ready', error: null });
  },
}));

export const useRole = () => useSession((s) => s.session?.role);
