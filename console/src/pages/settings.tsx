// Settings: the Apple push certificate, the FCM service account, API keys and the scheduled jobs.
import { useState } from 'preact/hooks';
import { type ApiKey, api, get, type Page } from '../api';
import { formatTime, t } from '../i18n';
import { Empty, ErrorBox, Field, FileField, inputValue, messageOf, Notice, readFile, useAsync } from '../ui';

const JOBS = ['resync', 'not-responding-sweep', 'reconcile-counters', 'certificate-check'] as const;
const DAY_MS = 86_400_000;

/** One write form's state: busy, its error (the API's message) and its result. */
function useAction<T>() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const [result, setResult] = useState<T>();
  const run = async (work: () => Promise<T>) => {
    setBusy(true);
    setError(undefined);
    try {
      setResult(await work());
    } catch (e) {
      setError(messageOf(e));
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, result, run };
}

function Expiry({ notAfter }: { notAfter: string }) {
  const days = Math.floor((Date.parse(notAfter) - Date.now()) / DAY_MS);
  const level = days < 0 ? 'bad' : days < 14 ? 'bad' : days < 30 ? 'warn' : 'ok';
  const words =
    days < 0
      ? t('set.expired')
      : days < 14
        ? `${t('set.daysLeft', { n: days })}: ${t('set.warnCritical')}`
        : days < 30
          ? `${t('set.daysLeft', { n: days })}: ${t('set.warnSoon')}`
          : t('set.daysLeft', { n: days });
  return (
    <span class={`badge ${level}`}>
      {level === 'ok' ? '✓' : '!'} {formatTime(notAfter)} ({words})
    </span>
  );
}

function ApnsCard({ canWrite }: { canWrite: boolean }) {
  const [cert, setCert] = useState<File>();
  const [key, setKey] = useState<File>();
  const [force, setForce] = useState(false);
  const action = useAction<{ topic: string; notAfter: string }>();
  const upload = (e: Event) => {
    e.preventDefault();
    if (!cert || !key) return;
    void action.run(async () =>
      api('PUT', '/push/apns', {
        certificatePem: await readFile(cert, 'text'),
        privateKeyPem: await readFile(key, 'text'),
        ...(force ? { force } : {}),
      }),
    );
  };
  return (
    <section class="card" id="apns">
      <h2>{t('set.apns')}</h2>
      <p class="help">{t('set.apnsHelp')}</p>
      {canWrite && (
        <form data-write onSubmit={upload}>
          <FileField label={t('set.apnsCert')} accept=".pem,.crt,.cer" onFile={setCert} />
          <FileField label={t('set.apnsKey')} accept=".pem,.key" onFile={setKey} />
          <label>
            <input
              type="checkbox"
              checked={force}
              onChange={(e) => setForce((e.currentTarget as HTMLInputElement).checked)}
            />{' '}
            {t('set.apnsForce')}
          </label>
          <button type="submit" disabled={action.busy}>
            {t('set.upload')}
          </button>
        </form>
      )}
      <ErrorBox error={action.error} />
      {action.result && (
        <dl class="detail">
          <div>
            <dt>{t('set.topic')}</dt>
            <dd>{action.result.topic}</dd>
          </div>
          <div>
            <dt>{t('set.expires')}</dt>
            <dd>
              <Expiry notAfter={action.result.notAfter} />
            </dd>
          </div>
        </dl>
      )}
    </section>
  );
}

function FcmCard({ canWrite }: { canWrite: boolean }) {
  const [file, setFile] = useState<File>();
  const action = useAction<{ projectId: string }>();
  const upload = (e: Event) => {
    e.preventDefault();
    if (file)
      void action.run(async () => api('PUT', '/push/fcm', { serviceAccountJson: await readFile(file, 'text') }));
  };
  return (
    <section class="card" id="fcm">
      <h2>{t('set.fcm')}</h2>
      {canWrite && (
        <form data-write onSubmit={upload}>
          <FileField label={t('set.fcmFile')} accept=".json,application/json" onFile={setFile} />
          <button type="submit" disabled={action.busy}>
            {t('set.upload')}
          </button>
        </form>
      )}
      <ErrorBox error={action.error} />
      {action.result && (
        <Notice>
          {t('set.project')}: {action.result.projectId}
        </Notice>
      )}
    </section>
  );
}

function KeysCard({ canWrite }: { canWrite: boolean }) {
  const keys = useAsync(() => get<Page<ApiKey>>('/api-keys'), []);
  const [name, setName] = useState('');
  const [role, setRole] = useState<'admin' | 'viewer'>('viewer');
  const create = useAction<ApiKey & { key: string }>();
  const revoke = useAction<string>();
  const submit = (e: Event) => {
    e.preventDefault();
    void create.run(async () => {
      const r = await api<ApiKey & { key: string }>('POST', '/api-keys', { name, role });
      setName('');
      keys.reload();
      return r;
    });
  };
  const remove = (k: ApiKey) => {
    if (!confirm(t('set.confirmRevoke', { name: k.name }))) return;
    void revoke.run(async () => {
      await api('DELETE', `/api-keys/${encodeURIComponent(k.id)}`);
      keys.reload();
      return k.id;
    });
  };
  return (
    <section class="card" id="keys">
      <h2>{t('set.keys')}</h2>
      <ErrorBox error={keys.error ?? revoke.error} />
      {keys.data && keys.data.items.length === 0 && <Empty message="set.noKeys" />}
      {keys.data && keys.data.items.length > 0 && (
        <table>
          <thead>
            <tr>
              <th>{t('common.name')}</th>
              <th>{t('set.role')}</th>
              <th>{t('common.created')}</th>
              <th>{t('set.lastUsed')}</th>
              {canWrite && <th />}
            </tr>
          </thead>
          <tbody>
            {keys.data.items.map((k) => (
              <tr key={k.id} data-key={k.name}>
                <td>{k.name}</td>
                <td>{k.role}</td>
                <td>{formatTime(k.createdAt)}</td>
                <td>{formatTime(k.lastUsedAt)}</td>
                {canWrite && (
                  <td>
                    <button
                      type="button"
                      class="danger"
                      data-write
                      aria-label={`${t('set.revoke')} ${k.name}`}
                      onClick={() => remove(k)}
                    >
                      {t('set.revoke')}
                    </button>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {canWrite && (
        <form class="inline" id="key-form" data-write onSubmit={submit}>
          <Field label={t('set.keyName')}>
            <input id="key-name" required maxLength={200} value={name} onInput={(e) => setName(inputValue(e))} />
          </Field>
          <Field label={t('set.role')}>
            <select
              id="key-role"
              value={role}
              onChange={(e) => setRole((e.currentTarget as HTMLSelectElement).value as 'admin' | 'viewer')}
            >
              <option value="viewer">viewer</option>
              <option value="admin">admin</option>
            </select>
          </Field>
          <button type="submit" id="key-create" disabled={create.busy}>
            {t('set.createKey')}
          </button>
        </form>
      )}
      <ErrorBox error={create.error} />
      {create.result && (
        <div class="secret" role="status">
          <p>{t('set.keyShown')}</p>
          <code id="new-key">{create.result.key}</code>
        </div>
      )}
    </section>
  );
}

function JobsCard() {
  const action = useAction<string>();
  const run = (job: string) =>
    void action.run(async () => {
      const r = await api<{ devicesTouched: number }>('POST', `/jobs/${job}/run`);
      return t('set.jobDone', { job, n: r.devicesTouched });
    });
  return (
    <section class="card" id="jobs" data-write>
      <h2>{t('set.jobs')}</h2>
      <div class="actions">
        {JOBS.map((j) => (
          <button key={j} type="button" class="secondary" disabled={action.busy} onClick={() => run(j)}>
            {t('set.runJob', { job: j })}
          </button>
        ))}
      </div>
      <ErrorBox error={action.error} />
      {action.result && <Notice>{action.result}</Notice>}
    </section>
  );
}

export function SettingsPage({ canWrite }: { canWrite: boolean }) {
  return (
    <section>
      <h1>{t('set.title')}</h1>
      <div class="grid">
        <ApnsCard canWrite={canWrite} />
        <FcmCard canWrite={canWrite} />
      </div>
      <KeysCard canWrite={canWrite} />
      {canWrite && <JobsCard />}
    </section>
  );
}
