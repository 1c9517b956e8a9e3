// Logs: the API's filters (type, severity, device, time range, text), cursor paging, CSV export
// (every part of the export, following X-Next-Cursor, saved as one file).
import { useState } from 'preact/hooks';
import { LOG_TYPES, SEVERITIES } from '../../../lambdas/domain/types';
import { get, getCsv, type LogItem, type Page } from '../api';
import { formatTime, t } from '../i18n';
import {
  Badge,
  Empty,
  ErrorBox,
  Field,
  FilterForm,
  FilterSelect,
  inputValue,
  Loading,
  messageOf,
  Notice,
  Pager,
  useAsync,
  useFilters,
} from '../ui';

const FILTERS = ['type', 'severity', 'deviceId', 'from', 'to', 'q'] as const;

/** datetime-local (the browser's local time) ⇄ the API's ISO 8601 instants. */
const toIso = (local?: string) => (local ? new Date(local).toISOString() : undefined);
const toLocal = (iso?: string) => {
  if (!iso) return '';
  const d = new Date(iso);
  return new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
};

export function LogsPage({ params }: { params: URLSearchParams }) {
  const form = useFilters(params, FILTERS);
  const { filters, filterKey, pager, draft, set } = form;
  const list = useAsync(
    () => get<Page<LogItem>>('/logs', { ...filters, limit: 100, cursor: pager.cursor }),
    [filterKey, pager.cursor],
  );
  const [exporting, setExporting] = useState(false);
  const [exportError, setExportError] = useState<string>();
  const [exported, setExported] = useState<string>();

  const exportCsv = async () => {
    setExporting(true);
    setExportError(undefined);
    setExported(undefined);
    try {
      const parts: string[] = [];
      let cursor: string | undefined;
      do {
        const part = await getCsv('/logs', { ...filters, format: 'csv', cursor });
        // Every part starts with the header row; keep only the first one.
        parts.push(parts.length ? part.csv.slice(part.csv.indexOf('\n') + 1) : part.csv);
        cursor = part.nextCursor;
      } while (cursor);
      const csv = parts.join('');
      const link = document.createElement('a');
      link.href = URL.createObjectURL(new Blob([csv], { type: 'text/csv' }));
      link.download = `logs-${new Date().toISOString().slice(0, 19).replace(/:/g, '')}.csv`;
      link.id = 'csv-download';
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(link.href), 60_000);
      setExported(t('log.exported', { rows: Math.max(0, csv.trimEnd().split('\n').length - 1) }));
    } catch (e) {
      setExportError(messageOf(e));
    } finally {
      setExporting(false);
    }
  };

  const items = list.data?.items ?? [];
  return (
    <section>
      <h1>{t('log.title')}</h1>
      <FilterForm
        id="log-filters"
        path="/logs"
        draft={draft}
        actions={
          <button type="button" id="export-csv" class="secondary" disabled={exporting} onClick={() => void exportCsv()}>
            {t('log.export')}
          </button>
        }
      >
        <FilterSelect label={t('log.type')} name="type" options={LOG_TYPES} form={form} />
        <FilterSelect label={t('log.severity')} name="severity" options={SEVERITIES} form={form} />
        <Field label={t('log.device')}>
          <input name="deviceId" value={draft.deviceId ?? ''} onInput={(e) => set('deviceId')(inputValue(e))} />
        </Field>
        <Field label={t('log.from')}>
          <input
            name="from"
            type="datetime-local"
            value={toLocal(draft.from)}
            onInput={(e) => set('from')(toIso(inputValue(e)) ?? '')}
          />
        </Field>
        <Field label={t('log.to')}>
          <input
            name="to"
            type="datetime-local"
            value={toLocal(draft.to)}
            onInput={(e) => set('to')(toIso(inputValue(e)) ?? '')}
          />
        </Field>
        <Field label={t('log.q')}>
          <input name="q" type="search" value={draft.q ?? ''} onInput={(e) => set('q')(inputValue(e))} />
        </Field>
      </FilterForm>
      <ErrorBox error={list.error ?? exportError} />
      {exporting && <Loading show />}
      {exported && <Notice>{exported}</Notice>}
      <Loading show={list.loading && !list.data} />
      {list.data && items.length === 0 && <Empty message="log.empty" />}
      {items.length > 0 && (
        <table id="log-table">
          <thead>
            <tr>
              <th>{t('log.at')}</th>
              <th>{t('log.type')}</th>
              <th>{t('log.severity')}</th>
              <th>{t('log.event')}</th>
              <th>{t('log.device')}</th>
              <th>{t('log.message')}</th>
            </tr>
          </thead>
          <tbody>
            {items.map((l) => (
              <tr key={l.id}>
                <td>{formatTime(l.at)}</td>
                <td>{l.type}</td>
                <td>
                  <Badge state={l.severity} />
                </td>
                <td>
                  <code>{l.event}</code>
                </td>
                <td>{l.deviceId ? <a href={`#/devices/${encodeURIComponent(l.deviceId)}`}>{l.deviceId}</a> : '—'}</td>
                <td>{l.message}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager pager={pager} nextCursor={list.data?.cursor} />
    </section>
  );
}
