// Enroll: create an enrollment (platform, name, template, expiry) and show its URL as text and as a
// QR code (drawn here, by qrcode-generator, as a data: image: nothing leaves the browser).

import { useState } from 'preact/hooks';
import qrcode from 'qrcode-generator';
import { ENROLLMENT_PLATFORMS } from '../../../lambdas/domain/types';
import { api, type Enrollment } from '../api';
import { formatTime, t } from '../i18n';
import { ErrorBox, Field, inputValue, messageOf, TemplateSelect, useTemplates } from '../ui';

function qrDataUrl(text: string): string {
  const qr = qrcode(0, 'M');
  qr.addData(text);
  qr.make();
  return qr.createDataURL(6, 12);
}

export function EnrollPage({ canWrite }: { canWrite: boolean }) {
  const templates = useTemplates();
  const [platform, setPlatform] = useState<(typeof ENROLLMENT_PLATFORMS)[number]>('ios');
  const [name, setName] = useState('');
  const [templateId, setTemplateId] = useState('');
  const [hours, setHours] = useState('72');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const [created, setCreated] = useState<Enrollment & { platform: string }>();
  const create = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    setCreated(undefined);
    try {
      const body = {
        platform,
        ...(name ? { name } : {}),
        ...(templateId ? { templateId } : {}),
        expiresInHours: Number(hours),
      };
      setCreated({ ...(await api<Enrollment>('POST', '/enrollments', body)), platform });
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  };
  const qrText = created ? (created.qrPayload ?? created.url) : '';
  return (
    <section>
      <h1>{t('enr.title')}</h1>
      {canWrite && (
        <form class="card" id="enroll-form" data-write onSubmit={create}>
          <fieldset>
            <legend>{t('enr.platform')}</legend>
            {ENROLLMENT_PLATFORMS.map((p) => (
              <label key={p}>
                <input
                  type="radio"
                  name="platform"
                  value={p}
                  checked={platform === p}
                  onChange={() => setPlatform(p)}
                />{' '}
                {t(p === 'ios' ? 'enr.ios' : 'enr.android')}
              </label>
            ))}
          </fieldset>
          <Field label={t('enr.name')}>
            <input id="enroll-name" maxLength={200} value={name} onInput={(e) => setName(inputValue(e))} />
          </Field>
          <TemplateSelect
            id="enroll-template"
            templates={templates.data?.items}
            value={templateId}
            emptyLabel={t('dev.noTemplate')}
            onChange={setTemplateId}
          />
          <Field label={t('enr.expires')}>
            <input
              id="enroll-hours"
              type="number"
              min={1}
              max={24 * 90}
              required
              value={hours}
              onInput={(e) => setHours(inputValue(e))}
            />
          </Field>
          <ErrorBox error={error} />
          <button type="submit" id="enroll-create" disabled={busy}>
            {t('enr.create')}
          </button>
        </form>
      )}
      {created && (
        <section class="card" id="enrollment">
          <h2>{t('enr.url')}</h2>
          <p>
            <code id="enroll-url" class="copyable">
              {created.url}
            </code>
          </p>
          <p>{t('enr.expiresAt', { time: formatTime(created.expiresAt) })}</p>
          <p class="help">{t(created.platform === 'android' ? 'enr.helpAndroid' : 'enr.helpIos')}</p>
          <h2>{t('enr.qr')}</h2>
          <img id="enroll-qr" class="qr" src={qrDataUrl(qrText)} alt={t('enr.qrAlt')} />
        </section>
      )}
    </section>
  );
}
