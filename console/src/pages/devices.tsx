// Devices: the API's filters (in the URL, so dashboard counts link here), cursor paging, and a bulk
// command on the selection or on the whole filter, with its live progress and refusals.
import { useEffect, useState } from 'preact/hooks';
import { PLATFORMS, REGISTRATION_STATES, SYNC_STATES } from '../../../lambdas/domain/types';
import { api, type BulkOperation, type Device, get, type Page } from '../api';
import { formatTime, t } from '../i18n';
import { href } from '../router';
import {
  Badge,
  CheckFilter,
  Empty,
  ErrorBox,
  Field,
  FilterForm,
  FilterSelect,
  inputValue,
  Loading,
  messageOf,
  Pager,
  TemplateSelect,
  useAsync,
  useFilters,
  useTemplates,
} from '../ui';
import { BULK_COMMANDS, CommandForm, type CommandInput } from './commands';
import { OperationProgress } from './operation';

const FILTERS = [
  'syncState',
  'registrationState',
  'platform',
  'templateId',
  'q',
  'adminLocked',
  'prohibitedApps',
] as const;
type Filters = Partial<Record<(typeof FILTERS)[number], string>>;
const PAGE_SIZE = 50;

export function DevicesPage({ params, canWrite }: { params: URLSearchParams; canWrite: boolean }) {
  const form = useFilters(params, FILTERS);
  const { filters, filterKey, pager, draft, set } = form;
  const templates = useTemplates();
  const list = useAsync(
    () => get<Page<Device>>('/devices', { ...filters, limit: PAGE_SIZE, cursor: pager.cursor }),
    [filterKey, pager.cursor],
  );
  const [selected, setSelected] = useState<Set<string>>(new Set());
  useEffect(() => setSelected(new Set()), [filterKey, pager.cursor]);

  const items = list.data?.items ?? [];
  const templateName = (id?: string) => templates.data?.items.find((x) => x.id === id)?.name ?? id ?? '—';
  const toggle = (id: string) =>
    setSelected((s) => {
      const n = new Set(s);
      if (n.has(id)) n.delete(id);
      else n.add(id);
      return n;
    });

  return (
    <section>
      <h1>{t('dev.title')}</h1>
      <FilterForm id="device-filters" path="/devices" draft={draft}>
        <FilterSelect label={t('dev.syncState')} name="syncState" options={SYNC_STATES} form={form} />
        <FilterSelect
          label={t('dev.registrationState')}
          name="registrationState"
          options={REGISTRATION_STATES}
          form={form}
        />
        <FilterSelect label={t('dev.platform')} name="platform" options={PLATFORMS} form={form} />
        <TemplateSelect
          name="templateId"
          templates={templates.data?.items}
          value={draft.templateId ?? ''}
          emptyLabel={t('common.any')}
          onChange={set('templateId')}
        />
        <Field label={t('dev.q')}>
          <input name="q" type="search" value={draft.q ?? ''} onInput={(e) => set('q')(inputValue(e))} />
        </Field>
        <CheckFilter
          label={t('dev.onlyAdminLocked')}
          name="adminLocked"
          checked={draft.adminLocked === 'true'}
          onChange={set('adminLocked')}
        />
        <CheckFilter
          label={t('dev.onlyProhibited')}
          name="prohibitedApps"
          checked={draft.prohibitedApps === 'true'}
          onChange={set('prohibitedApps')}
        />
      </FilterForm>
      <ErrorBox error={list.error} />
      <Loading show={list.loading} />
      {!list.loading && items.length === 0 && !list.error && <Empty message="dev.empty" />}
      {items.length > 0 && (
        <table id="device-table">
          <thead>
            <tr>
              {canWrite && (
                <th>
                  <input
                    type="checkbox"
                    data-write
                    aria-label={t('dev.selectAll')}
                    checked={items.every((d) => selected.has(d.id))}
                    onChange={(e) =>
                      setSelected(
                        (e.currentTarget as HTMLInputElement).checked ? new Set(items.map((d) => d.id)) : new Set(),
                      )
                    }
                  />
                </th>
              )}
              <th>{t('common.name')}</th>
              <th>{t('dev.platform')}</th>
              <th>{t('dev.model')}</th>
              <th>{t('dev.serial')}</th>
              <th>{t('dev.syncState')}</th>
              <th>{t('dev.registrationState')}</th>
              <th>{t('dev.template')}</th>
              <th>{t('dev.lastSeen')}</th>
            </tr>
          </thead>
          <tbody>
            {items.map((d) => (
              <tr key={d.id} data-device={d.id}>
                {canWrite && (
                  <td>
                    <input
                      type="checkbox"
                      aria-label={t('dev.select', { name: d.name ?? d.id })}
                      checked={selected.has(d.id)}
                      onChange={() => toggle(d.id)}
                    />
                  </td>
                )}
                <td>
                  <a href={`#/devices/${encodeURIComponent(d.id)}`}>{d.name ?? d.id}</a>
                </td>
                <td>{d.platform}</td>
                <td>{d.model ?? '—'}</td>
                <td>{d.serialNumber ?? '—'}</td>
                <td>
                  <Badge state={d.syncState} />
                </td>
                <td>
                  <Badge state={d.registrationState} />
                </td>
                <td>
                  {d.templateId ? (
                    <a href={href('/devices', { templateId: d.templateId })}>{templateName(d.templateId)}</a>
                  ) : (
                    '—'
                  )}
                </td>
                <td>{formatTime(d.lastSeenAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager pager={pager} nextCursor={list.data?.cursor} />
      {canWrite && <BulkAction selected={[...selected]} filters={filters} />}
    </section>
  );
}

function BulkAction({ selected, filters }: { selected: string[]; filters: Filters }) {
  const [target, setTarget] = useState<'selection' | 'filter'>('selection');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const [operationId, setOperationId] = useState<string>();
  const send = async (input: CommandInput) => {
    if (target === 'selection' && selected.length === 0) {
      setError(t('dev.noSelection'));
      return;
    }
    const targetLabel = target === 'selection' ? t('dev.bulkSelected', { n: selected.length }) : t('dev.bulkFilter');
    if (!confirm(t('dev.bulkConfirm', { type: input.type, target: targetLabel }))) return;
    setBusy(true);
    setError(undefined);
    setOperationId(undefined);
    try {
      const body = { ...input, ...(target === 'selection' ? { deviceIds: selected } : { filter: filters }) };
      const r = await api<{ operationId: string }>('POST', '/commands', body);
      setOperationId(r.operationId);
    } catch (e) {
      setError(messageOf(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="card" id="bulk" data-write>
      <h2>{t('dev.bulk')}</h2>
      <fieldset>
        <legend>{t('dev.bulkTarget')}</legend>
        <label>
          <input
            type="radio"
            name="bulk-target"
            checked={target === 'selection'}
            onChange={() => setTarget('selection')}
          />
          {t('dev.bulkSelected', { n: selected.length })}
        </label>
        <label>
          <input type="radio" name="bulk-target" checked={target === 'filter'} onChange={() => setTarget('filter')} />{' '}
          {t('dev.bulkFilter')}
        </label>
      </fieldset>
      <CommandForm types={BULK_COMMANDS} onSend={send} busy={busy} idPrefix="bulk" />
      <ErrorBox error={error} />
      {operationId && (
        <OperationProgress id={operationId} render={(op: BulkOperation) => t('dev.bulkProgress', op as never)} />
      )}
    </section>
  );
}
