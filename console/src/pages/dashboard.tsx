// Dashboard: GET /admin/v1/dashboard, refreshed every 15 s. Every device count links to the device
// list filtered by it; alarm counts link to the alarm log of that severity.
import { REGISTRATION_STATES, SYNC_STATES } from '../../../lambdas/domain/types';
import { type Dashboard, get } from '../api';
import { formatTime, t } from '../i18n';
import { href } from '../router';
import { Badge, ErrorBox, Loading, useAsync, useInterval } from '../ui';

const REFRESH_SECONDS = 15;
const SEVERITIES = ['critical', 'major', 'minor', 'warning'] as const;
/** The admin-lock and prohibited-app counts leave out Withdrawn and Expired devices (docs/api.md §Dashboard). */
const COUNTED = { registrationState: 'Checked-In' };

function Count({ n, label, link, id }: { n: number; label: string; link?: string; id: string }) {
  const body = (
    <>
      <span class="n" data-count={id}>
        {n}
      </span>
      <span class="label">{label}</span>
    </>
  );
  return (
    <li class="count">
      {link ? (
        <a href={link} aria-label={t('dash.devicesLink', { n, state: label })}>
          {body}
        </a>
      ) : (
        body
      )}
    </li>
  );
}

/** Horizontal bars, one per sync state, each labelled with its name and count (not colour alone). */
function SyncChart({ counts }: { counts: Record<string, number> }) {
  const max = Math.max(1, ...SYNC_STATES.map((s) => counts[s] ?? 0));
  const row = 28;
  return (
    <svg class="chart" viewBox={`0 0 600 ${row * SYNC_STATES.length}`} role="img" aria-label={t('dash.chart')}>
      {SYNC_STATES.map((s, i) => {
        const n = counts[s] ?? 0;
        return (
          <g key={s} class={`bar state-${s}`}>
            <title>{t('dash.chartLegend', { state: s, n })}</title>
            <text x="0" y={i * row + 18} class="bar-label">
              {s}
            </text>
            <rect x="170" y={i * row + 4} height={row - 10} width={Math.max(n ? 2 : 0, (n / max) * 370)} rx="3" />
            <text x={176 + (n / max) * 370} y={i * row + 18} class="bar-value">
              {n}
            </text>
          </g>
        );
      })}
    </svg>
  );
}

export function DashboardPage() {
  const dash = useAsync(() => get<Dashboard>('/dashboard'), []);
  useInterval(dash.reload, REFRESH_SECONDS * 1000);
  const d = dash.data;
  const total = d ? Object.values(d.registrationStates).reduce((a, b) => a + b, 0) : 0;
  return (
    <section>
      <h1>{t('dash.title')}</h1>
      <p class="help" aria-live="polite">
        {t('common.autorefresh', { s: REFRESH_SECONDS, time: new Date().toLocaleTimeString() })}
      </p>
      <ErrorBox error={dash.error} />
      <Loading show={!d && dash.loading} />
      {d && (
        <>
          {total === 0 && (
            <p class="empty">
              {t('dash.empty')} <a href="#/enroll">{t('nav.enroll')}</a>
            </p>
          )}
          <div class="grid">
            <section class="card wide">
              <h2>{t('dash.sync')}</h2>
              <ul class="counts">
                {SYNC_STATES.map((s) => (
                  <Count
                    key={s}
                    id={`sync-${s}`}
                    n={d.syncStates[s] ?? 0}
                    label={s}
                    link={href('/devices', { syncState: s })}
                  />
                ))}
              </ul>
              <SyncChart counts={d.syncStates} />
            </section>
            <section class="card">
              <h2>{t('dash.registration')}</h2>
              <ul class="counts">
                {REGISTRATION_STATES.map((s) => (
                  <Count
                    key={s}
                    id={`reg-${s}`}
                    n={d.registrationStates[s] ?? 0}
                    label={s}
                    link={href('/devices', { registrationState: s })}
                  />
                ))}
              </ul>
            </section>
            <section class="card">
              <h2>{t('dash.alarms')}</h2>
              <ul class="counts">
                {SEVERITIES.map((s) => (
                  <Count
                    key={s}
                    id={`alarm-${s}`}
                    n={d.alarms[s]}
                    label={s}
                    link={href('/logs', { type: 'alarm', severity: s })}
                  />
                ))}
              </ul>
            </section>
            <section class="card">
              <h2>{t('dash.adminLocked')}</h2>
              <ul class="counts">
                {(['ios', 'android'] as const).map((p) => (
                  <Count
                    key={p}
                    id={`locked-${p}`}
                    n={d.adminLocked[p]}
                    label={p}
                    link={href('/devices', { adminLocked: 'true', platform: p, ...COUNTED })}
                  />
                ))}
              </ul>
              <h2>{t('dash.prohibited')}</h2>
              <ul class="counts">
                {(['ios', 'macos', 'android'] as const).map((p) => (
                  <Count
                    key={p}
                    id={`prohibited-${p}`}
                    n={d.prohibitedApps[p]}
                    label={p}
                    link={href('/devices', { prohibitedApps: 'true', platform: p, ...COUNTED })}
                  />
                ))}
              </ul>
            </section>
            <section class="card">
              <h2>{t('dash.pending')}</h2>
              <ul class="counts">
                {(['Lock', 'Wipe', 'ClearPasscode', 'SelectiveWipe'] as const).map((c) => (
                  <Count
                    key={c}
                    id={`pending-${c}`}
                    n={d.pendingCommands[c]}
                    label={c}
                    link={href('/logs', { type: 'command', q: c })}
                  />
                ))}
              </ul>
            </section>
          </div>
          <section class="card">
            <h2>{t('dash.activeAlarms')}</h2>
            {d.activeAlarms.length === 0 ? (
              <p class="empty">{t('dash.noAlarms')}</p>
            ) : (
              <table>
                <thead>
                  <tr>
                    <th>{t('log.severity')}</th>
                    <th>{t('log.message')}</th>
                    <th>{t('log.device')}</th>
                    <th>{t('log.at')}</th>
                  </tr>
                </thead>
                <tbody>
                  {d.activeAlarms.map((a) => (
                    <tr key={a.key}>
                      <td>
                        <Badge state={a.severity} />
                      </td>
                      <td>{a.message}</td>
                      <td>
                        {a.deviceId ? <a href={`#/devices/${encodeURIComponent(a.deviceId)}`}>{a.deviceId}</a> : '—'}
                      </td>
                      <td>{formatTime(a.raisedAt)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </section>
        </>
      )}
    </section>
  );
}
