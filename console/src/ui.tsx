// Small shared pieces: loading and error states, links, badges, pagers, the polling hook, the
// filter form of the list pages, the template picker and the file field.
import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, get, type Page, type Template } from './api';
import { type MessageKey, t } from './i18n';
import { navigate } from './router';

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

/**
 * A list page's filters: those in the URL (so a link can carry them), a draft the form edits, and
 * the pager, which goes back to the first page when the filters change.
 */
export function useFilters<K extends string>(params: URLSearchParams, names: readonly K[]) {
  const filters: Partial<Record<K, string>> = Object.fromEntries(
    names.map((f) => [f, params.get(f) ?? undefined]).filter(([, v]) => v),
  );
  const filterKey = JSON.stringify(filters);
  const pager = usePager(filterKey);
  const [draft, setDraft] = useState(filters);
  useEffect(() => setDraft(filters), [filterKey]);
  const set = (k: K) => (v: string) => setDraft((d) => ({ ...d, [k]: v || undefined }));
  return { filters, filterKey, pager, draft, set };
}

/** A filter chosen among the API's names, "any" when empty, bound to a useFilters draft. */
export function FilterSelect<K extends string>({
  label,
  name,
  options,
  form,
}: {
  label: string;
  name: K;
  options: readonly string[];
  form: { draft: Partial<Record<K, string>>; set: (k: K) => (v: string) => void };
}) {
  return (
    <Select
      label={label}
      name={name}
      value={form.draft[name] ?? ''}
      options={options}
      anyLabel={t('common.any')}
      onChange={form.set(name)}
    />
  );
}

/** The filter form of a list page: applying it puts the draft in the URL; clearing goes to `path` bare. */
export function FilterForm({
  id,
  path,
  draft,
  children,
  actions,
}: {
  id: string;
  path: string;
  draft: Record<string, string | undefined>;
  children: ComponentChildren;
  actions?: ComponentChildren;
}) {
  return (
    <form
      class="filters"
      id={id}
      onSubmit={(e) => {
        e.preventDefault();
        navigate(path, draft);
      }}
    >
      {children}
      <div class="actions">
        <button type="submit">{t('common.apply')}</button>
        <a class="button secondary" href={`#${path}`}>
          {t('common.clear')}
        </a>
        {actions}
      </div>
    </form>
  );
}

/** The tenant's templates (the first 500), for pickers and names. */
export const useTemplates = () => useAsync(() => get<Page<Template>>('/templates', { limit: 500 }), []);

/** A template picker; the empty choice is `emptyLabel` (any template, or none). */
export function TemplateSelect({
  templates,
  value,
  onChange,
  emptyLabel,
  id,
  name,
}: {
  templates?: Template[];
  value: string;
  onChange: (id: string) => void;
  emptyLabel: string;
  id?: string;
  name?: string;
}) {
  return (
    <Field label={t('dev.template')}>
      <select
        id={id}
        name={name}
        value={value}
        onChange={(e) => onChange((e.currentTarget as HTMLSelectElement).value)}
      >
        <option value="">{emptyLabel}</option>
        {templates?.map((x) => (
          <option key={x.id} value={x.id}>
            {x.name}
          </option>
        ))}
      </select>
    </Field>
  );
}

/** A required file input that hands over the chosen file. */
export function FileField({ label, accept, onFile }: { label: string; accept: string; onFile: (f?: File) => void }) {
  return (
    <Field label={label}>
      <input
        type="file"
        required
        accept={accept}
        onChange={(e) => onFile((e.currentTarget as HTMLInputElement).files?.[0])}
      />
    </Field>
  );
}

/** A yes-only filter as a checkbox: checked puts `true` in the draft, unchecked leaves it out. */
export function CheckFilter({
  label,
  name,
  checked,
  onChange,
}: {
  label: string;
  name: string;
  checked: boolean;
  onChange: (v: string) => void;
}) {
  return (
    <label class="field check">
      <input
        type="checkbox"
        name={name}
        checked={checked}
        onChange={(e) => onChange((e.currentTarget as HTMLInputElement).checked ? 'true' : '')}
      />{' '}
      <span>{label}</span>
    </label>
  );
}
