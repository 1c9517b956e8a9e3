// One device: detail, diagnosis (the troubleshooting steps with their evidence and advice),
// timeline, command queue and history, its inventory (apps, profiles, books as last read), the
// commands its platform allows, template assignment.
import { useState } from 'preact/hooks';
import { api, type Device, type DeviceCommands, type Diagnosis, get, type Inventory, type Timeline } from '../api';
import { formatTime, type MessageKey, t } from '../i18n';
import { href } from '../router';
import {
  Badge,
  Empty,
  ErrorBox,
  Loading,
  messageOf,
  Notice,
  TemplateSelect,
  useAsync,
  useInterval,
  useTemplates,
} from '../ui';
import { CommandForm, type CommandInput, PLATFORM_COMMANDS } from './commands';

const REFRESH_MS = 5000;

export function DevicePage({ id, canWrite }: { id: string; canWrite: boolean }) {
  const path = `/devices/${encodeURIComponent(id)}`;
  const device = useAsync(() => get<Device>(path), [id]);
  const diagnosis = useAsync(() => get<Diagnosis>(`${path}/diagnosis`), [id]);
  const timeline = useAsync(() => get<Timeline>(`${path}/timeline`), [id]);
  const commands = useAsync(() => get<DeviceCommands>(`${path}/commands`), [id]);
  const inventory = useAsync(() => get<Inventory>(`${path}/inventory`), [id]);
  const reloadAll = () => {
    device.reload();
    diagnosis.reload();
    timeline.reload();
    commands.reload();
    inventory.reload();
  };
  useInterval(reloadAll, REFRESH_MS);
  const d = device.data;
  if (!d) {
    return (
      <section>
        <ErrorBox error={device.error} />
        <Loading show={device.loading} />
        {device.error && <a href="#/devices">{t('dev.notFound')}</a>}
      </section>
    );
  }
  return (
    <section>
      <h1 data-sync={d.syncState}>
        {d.name ?? d.id} <Badge state={d.syncState} /> <Badge state={d.registrationState} />
      </h1>
      <div class="grid">
        <DetailCard d={d} />
        {canWrite && <ActionsCard d={d} path={path} onChange={reloadAll} />}
      </div>
      <DiagnosisCard diagnosis={diagnosis.data} error={diagnosis.error} />
      <div class="grid">
        <section class="card" id="queue">
          <h2>{t('dev.queue')}</h2>
          <ErrorBox error={commands.error} />
          {commands.data &&
            (commands.data.queue.length === 0 ? (
              <Empty message="dev.queueEmpty" />
            ) : (
              <table>
                <thead>
                  <tr>
                    <th>{t('dev.commands')}</th>
                    <th>{t('log.type')}</th>
                    <th>Status</th>
                    <th>{t('common.created')}</th>
                  </tr>
                </thead>
                <tbody>
                  {commands.data.queue.map((c) => (
                    <tr key={c.id} data-command={c.adminType ?? c.type}>
                      <td>{c.adminType ?? c.type}</td>
                      <td>{c.type}</td>
                      <td>
                        <Badge state={c.status} />
                      </td>
                      <td>{formatTime(c.createdAt)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            ))}
        </section>
        <section class="card" id="history">
          <h2>{t('dev.history')}</h2>
          {commands.data &&
            (commands.data.history.length === 0 ? (
              <Empty message="dev.historyEmpty" />
            ) : (
              <ul class="log">
                {commands.data.history.map((l) => (
                  <li key={l.id}>
                    <time>{formatTime(l.at)}</time> <Badge state={l.severity} /> {l.message}
                  </li>
                ))}
              </ul>
            ))}
          <a href={href('/logs', { deviceId: d.id })}>{t('nav.logs')}</a>
        </section>
      </div>
      <InventoryCard inventory={inventory.data} error={inventory.error} />
      <section class="card" id="timeline">
        <h2>{t('dev.timeline')}</h2>
        <ErrorBox error={timeline.error} />
        {timeline.data &&
          (timeline.data.entries.length === 0 ? (
            <Empty message="dev.noTimeline" />
          ) : (
            <ol class="log">
              {timeline.data.entries.map((e, i) => (
                <li key={i}>
                  <time>{formatTime(e.at)}</time> <code>{e.kind}</code> {e.message}
                </li>
              ))}
            </ol>
          ))}
      </section>
    </section>
  );
}

/** One inventory list: a table with its count, "not read yet" when absent, "none" when empty. */
function InventoryList<T extends { identifier: string; version?: string; managed?: boolean }>({
  kind,
  title,
  items,
  managed,
}: {
  kind: string;
  title: MessageKey;
  items?: T[];
  managed: boolean;
}) {
  return (
    <section class="inventory" data-inventory={kind}>
      <h3>{t(title, { n: items?.length ?? '—' })}</h3>
      {!items ? (
        <Empty message="inv.notRead" />
      ) : items.length === 0 ? (
        <Empty message="inv.none" />
      ) : (
        <table>
          <thead>
            <tr>
              <th>{t('inv.identifier')}</th>
              {kind !== 'profiles' && <th>{t('inv.version')}</th>}
              {managed && <th>{t('inv.managed')}</th>}
            </tr>
          </thead>
          <tbody>
            {[...items]
              .sort((a, b) => a.identifier.localeCompare(b.identifier))
              .map((x) => (
                <tr key={x.identifier} data-item={x.identifier}>
                  <td>
                    <code>{x.identifier}</code>
                  </td>
                  {kind !== 'profiles' && <td>{x.version ?? '—'}</td>}
                  {managed && <td>{x.managed ? t('common.yes') : t('common.no')}</td>}
                </tr>
              ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function InventoryCard({ inventory, error }: { inventory?: Inventory; error?: string }) {
  return (
    <section class="card" id="inventory">
      <h2>{t('dev.inventory')}</h2>
      <ErrorBox error={error} />
      {inventory &&
        (inventory.readAt ? (
          <>
            <p class="help">{t('inv.readAt', { time: formatTime(inventory.readAt) })}</p>
            <div class="grid">
              <InventoryList kind="apps" title="inv.apps" items={inventory.apps} managed />
              <InventoryList kind="profiles" title="inv.profiles" items={inventory.profiles} managed />
              <InventoryList kind="books" title="inv.books" items={inventory.books} managed={false} />
            </div>
          </>
        ) : (
          <Empty message="inv.notRead" />
        ))}
    </section>
  );
}

function DetailCard({ d }: { d: Device }) {
  const rows: Array<[MessageKey, string | undefined]> = [
    ['common.id', d.id],
    ['dev.platform', d.platform],
    ['dev.model', d.model],
    ['dev.os', d.osVersion],
    ['dev.serial', d.serialNumber],
    ['dev.lastPush', formatTime(d.lastPushAt)],
    ['dev.lastSeen', formatTime(d.lastSeenAt)],
    ['dev.lastUnlocked', formatTime(d.lastUnlockedSeenAt)],
    ['dev.lastSynced', formatTime(d.lastSyncedAt)],
    ['dev.checkedIn', formatTime(d.checkedInAt)],
    ['dev.address', d.checkInAddress],
    ['dev.certExpiry', formatTime(d.identityCertNotAfter)],
    ['dev.accessRights', d.accessRights],
    ['dev.adminLocked', d.adminLocked ? t('common.yes') : t('common.no')],
    ['dev.prohibitedApps', d.prohibitedApps.length ? d.prohibitedApps.join(', ') : t('common.none')],
    [
      'dev.pendingCommands',
      Object.entries(d.pendingCommands)
        .map(([k, v]) => `${k} ×${v}`)
        .join(', ') || t('common.none'),
    ],
  ];
  if (d.withdrawalReason) rows.push(['dev.withdrawal', d.withdrawalReason]);
  if (d.pushTokenDead) rows.push(['dev.pushDead', t('common.yes')]);
  return (
    <section class="card" id="detail">
      <h2>{t('dev.detail')}</h2>
      <dl class="detail">
        {rows.map(([k, v]) => (
          <div key={k}>
            <dt>{t(k)}</dt>
            <dd>{v ?? '—'}</dd>
          </div>
        ))}
        <div>
          <dt>{t('dev.template')}</dt>
          <dd>
            {d.templateId ? <a href={href('/templates', { id: d.templateId })}>{d.templateId}</a> : t('dev.noTemplate')}
          </dd>
        </div>
      </dl>
    </section>
  );
}

function ActionsCard({ d, path, onChange }: { d: Device; path: string; onChange: () => void }) {
  const templates = useTemplates();
  const [templateId, setTemplateId] = useState(d.templateId ?? '');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const [notice, setNotice] = useState<string>();
  const run = async (work: () => Promise<string>) => {
    setBusy(true);
    setError(undefined);
    setNotice(undefined);
    try {
      setNotice(await work());
      onChange();
    } catch (e) {
      setError(messageOf(e));
    } finally {
      setBusy(false);
    }
  };
  const send = (input: CommandInput) => {
    if (
      (input.type === 'Wipe' || input.type === 'Unenroll') &&
      !confirm(t('dev.confirmCommand', { type: input.type, name: d.name ?? d.id }))
    )
      return;
    void run(async () => {
      const r = await api<{ commandId: string; warning?: string }>('POST', `${path}/commands`, input);
      return t('dev.commandSent', { type: input.type, id: r.commandId }) + (r.warning ? ` (${r.warning})` : '');
    });
  };
  const assign = (e: Event) => {
    e.preventDefault();
    void run(async () => {
      const r = await api<Device>('PUT', `${path}/template`, { templateId: templateId || null });
      return t('dev.assigned', { state: r.syncState });
    });
  };
  const types = PLATFORM_COMMANDS[d.platform] ?? [];
  return (
    <section class="card" id="actions">
      <h2>{t('dev.commands')}</h2>
      {d.registrationState === 'Withdrawn' ? (
        <p>{d.withdrawalReason}</p>
      ) : (
        <CommandForm types={types} platform={d.platform} onSend={send} busy={busy} idPrefix="cmd" />
      )}
      <h2>{t('dev.assign')}</h2>
      <form id="assign" data-write onSubmit={assign} class="inline">
        <TemplateSelect
          id="assign-template"
          templates={templates.data?.items}
          value={templateId}
          emptyLabel={t('dev.noTemplate')}
          onChange={setTemplateId}
        />
        <button type="submit" disabled={busy}>
          {t('dev.assignButton')}
        </button>
      </form>
      <ErrorBox error={error ?? templates.error} />
      {notice && <Notice>{notice}</Notice>}
    </section>
  );
}

function DiagnosisCard({ diagnosis, error }: { diagnosis?: Diagnosis; error?: string }) {
  return (
    <section class="card" id="diagnosis">
      <h2>{t('dev.diagnosis')}</h2>
      <ErrorBox error={error} />
      {diagnosis && (
        <>
          <p class="verdict" data-verdict={diagnosis.verdict}>
            <strong>{t('dev.verdict')}:</strong> <code>{diagnosis.verdict}</code> —{' '}
            {t(`verdict.${diagnosis.verdict}` as MessageKey)}
          </p>
          <ol class="steps">
            {diagnosis.steps.map((s) => {
              const mark = s.ok === true ? 'ok' : s.ok === false ? 'bad' : 'muted';
              return (
                <li key={s.step} class={`step ${mark}`} data-step={s.step} data-ok={String(s.ok)}>
                  <p class="question">
                    <span class={`badge ${mark}`}>
                      {s.ok === true
                        ? `✓ ${t('step.ok')}`
                        : s.ok === false
                          ? `✗ ${t('step.fail')}`
                          : `– ${t('step.na')}`}
                    </span>{' '}
                    {t(`step.${s.step}` as MessageKey)}
                  </p>
                  <dl class="evidence" aria-label={t('dev.evidence')}>
                    {Object.entries(s.evidence).map(([k, v]) => (
                      <div key={k}>
                        <dt>{k}</dt>
                        <dd>{typeof v === 'string' ? v : JSON.stringify(v)}</dd>
                      </div>
                    ))}
                  </dl>
                  {s.advice && (
                    <p class="advice">
                      <strong>{t('dev.advice')}:</strong> {s.advice}
                    </p>
                  )}
                </li>
              );
            })}
          </ol>
          {diagnosis.errors.length > 0 && (
            <>
              <h3>{t('dev.errors')}</h3>
              <ul class="errors">
                {diagnosis.errors.map((e) => (
                  <li key={e.commandId}>
                    <code>{e.requestType}</code> {e.domain} {e.code}: {e.message}
                    {e.explanation && (
                      <p>
                        <strong>{t('dev.explanation')}:</strong> {e.explanation}
                      </p>
                    )}
                    {e.fix && (
                      <p>
                        <strong>{t('dev.fix')}:</strong> {e.fix}
                      </p>
                    )}
                  </li>
                ))}
              </ul>
            </>
          )}
        </>
      )}
    </section>
  );
}
