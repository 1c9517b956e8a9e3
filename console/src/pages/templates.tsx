// Templates: list, create, edit (Apple profiles uploaded as .mobileconfig files, Android policies as
// JSON, apps, books, prohibited apps), the devices using each, and the sync fan-out after a change.
import { useEffect, useState } from 'preact/hooks';
import { api, get, type Page, type Template, type TemplateInput, type TemplateItem } from '../api';
import { formatTime, t } from '../i18n';
import { href, navigate } from '../router';
import { Empty, ErrorBox, Field, inputValue, Loading, messageOf, Notice, readFile, useAsync } from '../ui';
import { OperationProgress } from './operation';

/** An item as edited: an Android policy is kept as the text typed until it is saved. */
type DraftItem = TemplateItem & { policyText?: string; fileName?: string };

export function TemplatesPage({ params, canWrite }: { params: URLSearchParams; canWrite: boolean }) {
  const list = useAsync(() => get<Page<Template>>('/templates', { limit: 500 }), []);
  const editing = params.get('id') ?? (params.get('new') ? 'new' : undefined);
  const [fanout, setFanout] = useState<string>();
  const [notice, setNotice] = useState<string>();
  const items = list.data?.items ?? [];
  return (
    <section>
      <h1>{t('tpl.title')}</h1>
      {canWrite && (
        <a class="button" id="new-template" data-write href={href('/templates', { new: '1' })}>
          {t('tpl.new')}
        </a>
      )}
      <ErrorBox error={list.error} />
      <Loading show={list.loading && !list.data} />
      {notice && <Notice>{notice}</Notice>}
      {fanout && (
        <OperationProgress
          id={fanout}
          render={(op) => t('tpl.fanout', { queued: op.queued, targeted: op.targeted, status: op.status })}
        />
      )}
      {list.data && items.length === 0 && <Empty message="tpl.empty" />}
      {items.length > 0 && (
        <table id="template-table">
          <thead>
            <tr>
              <th>{t('common.name')}</th>
              <th>{t('tpl.version')}</th>
              <th>{t('tpl.items')}</th>
              <th>{t('common.updated')}</th>
              <th>{t('tpl.devices')}</th>
            </tr>
          </thead>
          <tbody>
            {items.map((x) => (
              <tr key={x.id} data-template={x.name}>
                <td>
                  <a href={href('/templates', { id: x.id })}>{x.name}</a>
                </td>
                <td>{x.version}</td>
                <td>
                  {x.items.length} {x.prohibitedApps.length > 0 ? `(+${x.prohibitedApps.length})` : ''}
                </td>
                <td>{formatTime(x.updatedAt)}</td>
                <td>
                  <a href={href('/devices', { templateId: x.id })}>{t('tpl.showDevices')}</a>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {editing && (
        <TemplateEditor
          key={editing}
          template={editing === 'new' ? undefined : items.find((x) => x.id === editing)}
          id={editing === 'new' ? undefined : editing}
          canWrite={canWrite}
          onSaved={(saved, syncOperationId) => {
            setNotice(t('tpl.saved', { version: saved.version }));
            setFanout(syncOperationId);
            list.reload();
            navigate('/templates');
          }}
          onDeleted={() => {
            setNotice(t('tpl.deleted'));
            list.reload();
            navigate('/templates');
          }}
        />
      )}
    </section>
  );
}

function toDraft(template?: Template): DraftItem[] {
  return (template?.items ?? []).map((i) =>
    i.kind === 'profile' && i.policy ? { ...i, policyText: JSON.stringify(i.policy, null, 2) } : { ...i },
  );
}

function TemplateEditor({
  template: listed,
  id,
  canWrite,
  onSaved,
  onDeleted,
}: {
  template?: Template;
  id?: string;
  canWrite: boolean;
  onSaved: (t: Template, syncOperationId?: string) => void;
  onDeleted: () => void;
}) {
  // A template not on the first page of the list (or opened by link) is read on its own.
  const loaded = useAsync(
    () => (id && !listed ? get<Template>(`/templates/${encodeURIComponent(id)}`) : Promise.resolve(listed)),
    [id, !!listed],
  );
  const template = listed ?? loaded.data;
  const [name, setName] = useState(template?.name ?? '');
  const [items, setItems] = useState<DraftItem[]>(toDraft(template));
  const [prohibited, setProhibited] = useState((template?.prohibitedApps ?? []).join('\n'));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  useEffect(() => {
    if (!template) return;
    setName(template.name);
    setItems(toDraft(template));
    setProhibited(template.prohibitedApps.join('\n'));
  }, [template?.id, template?.version]);

  const update = (i: number, patch: Partial<DraftItem>) =>
    setItems((xs) => xs.map((x, j) => (j === i ? ({ ...x, ...patch } as DraftItem) : x)));
  const add = (item: DraftItem) => setItems((xs) => [...xs, item]);
  const remove = (i: number) => setItems((xs) => xs.filter((_, j) => j !== i));

  const toInput = (): TemplateInput => ({
    name,
    items: items.map((x, n) => {
      const { policyText, fileName: _f, ...item } = x;
      if (policyText === undefined) return item as TemplateItem;
      let policy: unknown;
      try {
        policy = JSON.parse(policyText);
      } catch {
        policy = undefined;
      }
      if (!policy || typeof policy !== 'object' || Array.isArray(policy))
        throw new Error(t('tpl.badJson', { n: n + 1 }));
      return { ...item, policy } as TemplateItem;
    }),
    prohibitedApps: prohibited
      .split('\n')
      .map((s) => s.trim())
      .filter(Boolean),
  });

  const save = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const input = toInput();
      if (id) {
        const r = await api<Template & { syncOperationId: string }>(
          'PUT',
          `/templates/${encodeURIComponent(id)}`,
          input,
        );
        onSaved(r, r.syncOperationId);
      } else {
        onSaved(await api<Template>('POST', '/templates', input));
      }
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  };
  const del = async () => {
    if (!id || !confirm(t('tpl.confirmDelete', { name }))) return;
    setBusy(true);
    setError(undefined);
    try {
      await api('DELETE', `/templates/${encodeURIComponent(id)}`);
      onDeleted();
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  };
  const loadProfile = async (i: number, file?: File) => {
    if (!file) return;
    const payload = await readFile(file, 'base64');
    const text = await readFile(file, 'text');
    // An unsigned profile is XML: its top-level PayloadIdentifier (the last one in the file) names it.
    const ids = [...text.matchAll(/<key>PayloadIdentifier<\/key>\s*<string>([^<]+)<\/string>/g)].map((m) => m[1]);
    update(i, {
      payload,
      fileName: `${file.name}: ${t('tpl.profileLoaded', { size: file.size })}`,
      ...(ids.length ? { identifier: ids[ids.length - 1] } : {}),
    });
  };

  if (id && !template)
    return (
      <section class="card">
        <ErrorBox error={loaded.error} />
        <Loading show={loaded.loading} />
      </section>
    );
  const ro = !canWrite;
  return (
    <form class="card editor" id="template-editor" onSubmit={save}>
      <h2>{template ? t('tpl.editing', { name: template.name }) : t('tpl.creating')}</h2>
      <Field label={t('common.name')}>
        <input
          id="template-name"
          required
          maxLength={200}
          readOnly={ro}
          value={name}
          onInput={(e) => setName(inputValue(e))}
        />
      </Field>
      <h3>{t('tpl.items')}</h3>
      {items.length === 0 && <Empty message="tpl.noItems" />}
      <ol class="items">
        {items.map((x, i) => (
          <li key={i} class="item">
            <strong>
              {x.kind === 'profile'
                ? x.policyText !== undefined
                  ? t('tpl.policy')
                  : t('tpl.profile')
                : x.kind === 'app'
                  ? t('tpl.app')
                  : t('tpl.book')}
            </strong>
            <Field label={t('tpl.identifier')}>
              <input
                required
                readOnly={ro}
                value={x.identifier}
                onInput={(e) => update(i, { identifier: inputValue(e) })}
              />
            </Field>
            {x.kind === 'profile' && x.policyText === undefined && (
              <Field label={t('tpl.file')}>
                {!ro && (
                  <input
                    type="file"
                    accept=".mobileconfig,application/x-apple-aspen-config"
                    onChange={(e) => void loadProfile(i, (e.currentTarget as HTMLInputElement).files?.[0])}
                  />
                )}
                <span class="help">
                  {x.fileName ??
                    (x.payload ? t('tpl.profileLoaded', { size: Math.floor((x.payload.length * 3) / 4) }) : '')}
                </span>
              </Field>
            )}
            {x.policyText !== undefined && (
              <Field label={t('tpl.policyJson')}>
                <textarea
                  rows={5}
                  readOnly={ro}
                  value={x.policyText}
                  onInput={(e) => update(i, { policyText: inputValue(e) })}
                />
              </Field>
            )}
            {x.kind === 'app' && (
              <>
                <Field label={t('tpl.appVersion')}>
                  <input
                    readOnly={ro}
                    value={x.version ?? ''}
                    onInput={(e) => update(i, { version: inputValue(e) || undefined })}
                  />
                </Field>
                <Field label={t('tpl.appSource')}>
                  <input
                    readOnly={ro}
                    value={x.source ?? ''}
                    onInput={(e) => update(i, { source: inputValue(e) || undefined })}
                  />
                </Field>
              </>
            )}
            {x.kind === 'book' && (
              <Field label={t('tpl.bookUrl')}>
                <input
                  type="url"
                  readOnly={ro}
                  value={x.url ?? ''}
                  onInput={(e) => update(i, { url: inputValue(e) || undefined })}
                />
              </Field>
            )}
            {canWrite && (
              <button type="button" class="secondary" data-write onClick={() => remove(i)}>
                {t('tpl.remove', { n: i + 1 })}
              </button>
            )}
          </li>
        ))}
      </ol>
      {canWrite && (
        <div class="actions" data-write>
          <button type="button" class="secondary" onClick={() => add({ kind: 'profile', identifier: '' })}>
            {t('tpl.addProfile')}
          </button>
          <button
            type="button"
            class="secondary"
            onClick={() => add({ kind: 'profile', identifier: '', policyText: '{}' })}
          >
            {t('tpl.addPolicy')}
          </button>
          <button type="button" class="secondary" onClick={() => add({ kind: 'app', identifier: '' })}>
            {t('tpl.addApp')}
          </button>
          <button type="button" class="secondary" onClick={() => add({ kind: 'book', identifier: '' })}>
            {t('tpl.addBook')}
          </button>
        </div>
      )}
      <Field label={t('tpl.prohibited')}>
        <textarea
          id="template-prohibited"
          rows={4}
          readOnly={ro}
          value={prohibited}
          onInput={(e) => setProhibited(inputValue(e))}
        />
      </Field>
      <ErrorBox error={error} />
      <div class="actions">
        {canWrite && (
          <button type="submit" id="template-save" data-write disabled={busy}>
            {t('common.save')}
          </button>
        )}
        <a class="button secondary" href="#/templates">
          {t('common.close')}
        </a>
        {canWrite && id && (
          <button type="button" class="danger" data-write onClick={() => void del()} disabled={busy}>
            {t('common.delete')}
          </button>
        )}
        {id && <a href={href('/devices', { templateId: id })}>{t('tpl.showDevices')}</a>}
      </div>
    </form>
  );
}
