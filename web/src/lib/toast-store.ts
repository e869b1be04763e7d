'use client';

import { create } from 'zustand';

export type ToastVariant = 'default' | 'success' | 'error';
export interface ToastItem {
  id: number;
  title: string;
  description?: string;
  variant: ToastVariant;
}

interface ToastState {
  toasts: ToastItem[];
  push: (t: Omit<ToastItem, 'id' | 'variant'> & { variant?: ToastVariant }) => void;
  dismiss: (id: number) => void;
}

let nextId = 1;

export const useToasts = create<ToastState>((set, get) => ({
  toasts: [],
  push: (t) => {
    const id = nextId++;
    // one toast at a time: the newest replaces the previous one
    set({ toasts: [{ id, variant: 'default', ...t }] });
    setTimeout(() => get().dismiss(id), t.variant === 'error' ? 8000 : 4000);
  },
  dismiss: (id) => set({ toasts: get().toasts.filter((x) => x.id !== id) }),
}));

export const toast = {
  success: (title: string, description?: string) => useToasts.getState().push({ title, description, variant: 'success' }),
  error: (title: string, description?: string) => useToasts.getState().push({ title, description, variant: 'error' }),
  info: (title: string, description?: string) => useToasts.getState().push({ title, description }),
};
