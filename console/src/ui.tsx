// Small shared pieces: loading and error states, links, badges, pagers and the polling hook.
import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from './api';
import { type MessageKey, t } from './i18n';

export interface Async<T> {
  data?: T;
  error?: string;
  loading: boolean;
  reload: () => void;
}

/** Runs `load` when `deps` change (and on reload); keeps the last data while reloading. */
export function useAsync<T>(load: () => Promise<T>, deps: unknown[]): Async<T> {
  const [state, setState] = useState<{ data?: T; error?: string; loading: boolean }>({ loading: true });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (data) => {
        if (live) setState({ data, loading: false });
      },
      (e: unknown) => {
        if (live) setState((s) => ({ data: s.data, error: messageOf(e), loading: false }));
      },
    );
    return () => {
      live = false;
    };
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((n) => n + 1), []);
  return { ...state, reload };
}

/** Calls `fn` every `ms` while mounted. */
export function useInterval(fn: () => void, ms: number): void {
  const saved = useRef(fn);
  saved.current = fn;
  useEffect(() => {
    const id = setInterval(() => saved.current(), ms);
    return () => clearInterval(id);
  }, [ms]);
}

export function messageOf(e: unknown): string {
  if (e instanceof ApiError) return e.message;
  return e instanceof Error ? e.message : String(e);
}

/** An API error, in place, as the API wrote it (role=alert so screen readers announce it). */
export function ErrorBox({ error }: { error?: string }) {
  if (!error) return null;
  return (
    <p class="error" role="alert">
      <strong>{t('common.error')}:</strong> {error}
    </p>
  );
}

export function Notice({ children }: { children: ComponentChildren }) {
  return (
    <p class="notice" role="status">
      {children}
    </p>
  );
}

export function Loading({ show }: { show: boolean }) {
  return show ? (
    <p class="loading" role="status" aria-live="polite">
      {t('common.loading')}
    </p>
  ) : null;
}

export function Empty({ message }: { message: MessageKey }) {
  return <p class="empty">{t(message)}</p>;
}

const STATE_CLASS: Record<string, string> = {
  Synchronized: 'ok',
  'Checked-In': 'ok',
  'Sync-Required': 'info',
  'Sync-Requested': 'info',
  'Awaiting-Check-In': 'info',
  'Not-Synchronized': 'bad',
  'Not-Responding': 'warn',
  Expired: 'muted',
  Withdrawn: 'muted',
  critical: 'bad',
  major: 'bad',
  minor: 'warn',
  warning: 'warn',
  info: 'info',
  Acknowledged: 'ok',
  Error: 'bad',
  NotNow: 'warn',
  Queued: 'info',
  Sent: 'info',
};
const STATE_MARK: Record<string, string> = { ok: '✓', bad: '✗', warn: '!', info: '•', muted: '–' };

/** A state as the API spells it, with a mark as well as a colour (colour is never the only signal). */
export function Badge({ state }: { state: string }) {
  const cls = STATE_CLASS[state] ?? 'info';
  return (
    <span class={`badge ${cls}`}>
      <span aria-hidden="true">{STATE_MARK[cls]} </span>
      {state}
    </span>
  );
}

/** Cursor paging: a stack of cursors so "previous" works on cursor-only lists. */
export function usePager(resetKey: string) {
  const [stack, setStack] = useState<string[]>([]);
  useEffect(() => setStack([]), [resetKey]);
  const cursor = stack[stack.length - 1];
  return {
    cursor,
    page: stack.length + 1,
    next: (c: string) => setStack((s) => [...s, c]),
    prev: () => setStack((s) => s.slice(0, -1)),
    first: () => setStack([]),
  };
}

export function Pager({ pager, nextCursor }: { pager: ReturnType<typeof usePager>; nextCursor?: string }) {
  if (pager.page === 1 && !nextCursor) return null;
  return (
    <nav class="pager" aria-label="pages">
      <button type="button" disabled={pager.page === 1} onClick={pager.first}>
        {t('common.first')}
      </button>
      <button type="button" disabled={pager.page === 1} onClick={pager.prev}>
        {t('common.prev')}
      </button>
      <span>{pager.page}</span>
      <button type="button" disabled={!nextCursor} onClick={() => nextCursor && pager.next(nextCursor)}>
        {t('common.next')}
      </button>
    </nav>
  );
}

/** A labelled form control: the label wraps the control so every control has an accessible name. */
export function Field({ label, children }: { label: string; children: ComponentChildren }) {
  return (
    <label class="field">
      <span>{label}</span>
      {children}
    </label>
  );
}

export function Select<T extends string>({
  label,
  value,
  options,
  onChange,
  anyLabel,
  name,
}: {
  label: string;
  value: T | '';
  options: readonly T[];
  onChange: (v: T | '') => void;
  anyLabel?: string;
  name?: string;
}) {
  return (
    <Field label={label}>
      <select
        name={name}
        value={value}
        onChange={(e) => onChange((e.currentTarget as HTMLSelectElement).value as T | '')}
      >
        {anyLabel !== undefined && <option value="">{anyLabel}</option>}
        {options.map((o) => (
          <option key={o} value={o}>
            {o}
          </option>
        ))}
      </select>
    </Field>
  );
}

export const inputValue = (e: Event) => (e.currentTarget as HTMLInputElement).value;

/** Reads a chosen file as text, or as base64 for binary payloads. */
export function readFile(file: File, as: 'text' | 'base64'): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onerror = () => reject(reader.error ?? new Error('file could not be read'));
    reader.onload = () => {
      const result = reader.result as string;
      resolve(as === 'text' ? result : result.slice(result.indexOf(',') + 1));
    };
    if (as === 'text') reader.readAsText(file);
    else reader.readAsDataURL(file);
  });
}
