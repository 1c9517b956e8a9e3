// Live progress of a bulk command or a template's sync fan-out (GET /admin/v1/commands/{id}).
import { useState } from 'preact/hooks';
import { type BulkOperation, get } from '../api';
import { t } from '../i18n';
import { Badge, ErrorBox, useAsync, useInterval } from '../ui';

export function OperationProgress({ id, render }: { id: string; render: (op: BulkOperation) => string }) {
  const op = useAsync(() => get<BulkOperation>(`/commands/${encodeURIComponent(id)}`), [id]);
  const [done, setDone] = useState(false);
  if (op.data?.status === 'done' && !done) setDone(true);
  useInterval(() => {
    if (!done) op.reload();
  }, 1000);
  const o = op.data;
  return (
    <div class="operation" data-operation={id} data-status={o?.status}>
      <ErrorBox error={op.error} />
      {o && (
        <>
          <p role="status" aria-live="polite">
            {render(o)}
          </p>
          <progress max={Math.max(1, o.targeted)} value={o.queued + o.refused} aria-label={render(o)} />
          {o.refusals.length > 0 && (
            <details open>
              <summary>
                {t('dev.refusals')} ({o.refused})
              </summary>
              <ul class="refusals">
                {o.refusals.map((r) => (
                  <li key={r.deviceId}>
                    <a href={`#/devices/${encodeURIComponent(r.deviceId)}`}>{r.deviceId}</a> <Badge state={r.code} />{' '}
                    {r.message}
                  </li>
                ))}
              </ul>
            </details>
          )}
        </>
      )}
    </div>
  );
}
