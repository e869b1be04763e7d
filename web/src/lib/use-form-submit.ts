'use client';

import * as React from 'react';
import type { z } from 'zod';
import { errorMessage } from './api';
import { fieldErrors } from './schemas';

/**
 * The state every dashboard form keeps: per-field errors from Zod, one form-level error (shown in an
 * Alert) and whether a request is in flight.
 *
 *   const { errors, error, busy, validate, run } = useFormSubmit();
 *   const submit = async (e) => {
 *     e.preventDefault();
 *     const data = validate(schema, { ... });
 *     if (!data) return;
 *     await run(async () => { ... await api.post(...) ... });
 *   };
 */
export function useFormSubmit(initialError: string | null = null) {
  const [errors, setErrors] = React.useState<Record<string, string>>({});
  const [error, setError] = React.useState<string | null>(initialError);
  const [busy, setBusy] = React.useState(false);

  /** Clears the form error, then checks `value`: its field errors (keyed by dotted path, '_' for the root) and null when invalid, else the parsed data. */
  const validate = <S extends z.ZodTypeAny>(schema: S, value: unknown): z.output<S> | null => {
    setError(null);
    const parsed = schema.safeParse(value);
    if (!parsed.success) {
      setErrors(fieldErrors(parsed.error));
      return null;
    }
    setErrors({});
    return parsed.data;
  };

  /**
   * Runs `action` with busy set and the form error cleared; a failure becomes the form error. With
   * keepBusy the form stays busy after a success (the page navigates away).
   */
  const run = async (action: () => Promise<unknown>, keepBusy = false) => {
    setBusy(true);
    setError(null);
    try {
      await action();
      if (!keepBusy) setBusy(false);
    } catch (err) {
      setError(errorMessage(err));
      setBusy(false);
    }
  };

  /** Forgets the errors of an earlier attempt (a dialog that opens again). */
  const clear = React.useCallback(() => {
    setErrors({});
    setError(null);
  }, []);

  return { errors, error, setError, busy, validate, run, clear };
}
