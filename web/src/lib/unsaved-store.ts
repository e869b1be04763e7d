'use client';

import { create } from 'zustand';

interface UnsavedState {
  dirty: boolean;
  setDirty: (d: boolean) => void;
  /** a navigation waiting for the user's confirmation */
  pending: string | null;
  setPending: (href: string | null) => void;
}

export const useUnsaved = create<UnsavedState>((set) => ({
  dirty: false,
  setDirty: (dirty) => set({ dirty }),
  pending: null,
  setPending: (pending) => set({ pending }),
}));
