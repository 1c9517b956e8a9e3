// The command form shared by the device page and the bulk action: the command types a platform
// allows, with the parameters each takes (a Mac's Lock and Wipe need the 6-digit PIN).
import { useState } from 'preact/hooks';
import { ADMIN_COMMAND_TYPES, type AdminCommandType } from '../../../lambdas/domain/types';
import { t } from '../i18n';
import { Field, inputValue } from '../ui';

/** What each platform can be asked (docs/api.md §Names and states); the server still has the last word (422). */
export const PLATFORM_COMMANDS: Record<string, readonly AdminCommandType[]> = {
  ios: ['Sync', 'Lock', 'Restart', 'Wipe', 'ClearPasscode', 'Unenroll', 'AdminLock', 'AdminUnlock'],
  macos: ['Sync', 'Lock', 'Restart', 'Wipe', 'Unenroll'],
  android: ['Sync', 'Lock', 'Restart', 'Wipe', 'ClearPasscode', 'Unenroll', 'AdminLock', 'AdminUnlock'],
};
/** For a bulk command the platforms are mixed: every type the API takes except the sync engine's own. */
export const BULK_COMMANDS = ADMIN_COMMAND_TYPES.filter((c) => c !== 'SelectiveWipe');

export interface CommandInput {
  type: AdminCommandType;
  params?: { message?: string; pin?: string; phoneNumber?: string; newPasscode?: string };
}

const TAKES_MESSAGE = new Set<AdminCommandType>(['Lock', 'AdminLock']);
const TAKES_PIN = new Set<AdminCommandType>(['Lock', 'Wipe']);

export function CommandForm({
  types,
  platform,
  onSend,
  busy,
  idPrefix,
}: {
  types: readonly AdminCommandType[];
  /** The device's platform; undefined for a bulk command (a PIN field for Macs among them). */
  platform?: string;
  onSend: (input: CommandInput) => void;
  busy: boolean;
  idPrefix: string;
}) {
  const [type, setType] = useState<AdminCommandType>(types[0]);
  const [message, setMessage] = useState('');
  const [pin, setPin] = useState('');
  const [newPasscode, setNewPasscode] = useState('');
  const needsPin = TAKES_PIN.has(type) && (platform === 'macos' || platform === undefined);
  const submit = (e: Event) => {
    e.preventDefault();
    const params: NonNullable<CommandInput['params']> = {};
    if (TAKES_MESSAGE.has(type) && message) params.message = message;
    if (needsPin && pin) params.pin = pin;
    if (type === 'ClearPasscode' && platform === 'android' && newPasscode) params.newPasscode = newPasscode;
    onSend({ type, ...(Object.keys(params).length ? { params } : {}) });
  };
  return (
    <form class="command-form" data-write onSubmit={submit} id={`${idPrefix}-form`}>
      <Field label={t('dev.commands')}>
        <select
          id={`${idPrefix}-type`}
          value={type}
          onChange={(e) => setType((e.currentTarget as HTMLSelectElement).value as AdminCommandType)}
        >
          {types.map((c) => (
            <option key={c} value={c}>
              {c}
            </option>
          ))}
        </select>
      </Field>
      {TAKES_MESSAGE.has(type) && (
        <Field label={t('dev.message')}>
          <input
            id={`${idPrefix}-message`}
            maxLength={500}
            value={message}
            onInput={(e) => setMessage(inputValue(e))}
          />
        </Field>
      )}
      {needsPin && (
        <Field label={t('dev.pin')}>
          <input
            id={`${idPrefix}-pin`}
            inputMode="numeric"
            pattern="\d{6}"
            maxLength={6}
            required={platform === 'macos'}
            autocomplete="off"
            value={pin}
            onInput={(e) => setPin(inputValue(e))}
          />
        </Field>
      )}
      {type === 'ClearPasscode' && platform === 'android' && (
        <Field label={t('dev.newPasscode')}>
          <input
            id={`${idPrefix}-passcode`}
            type="password"
            autocomplete="off"
            minLength={4}
            maxLength={64}
            value={newPasscode}
            onInput={(e) => setNewPasscode(inputValue(e))}
          />
        </Field>
      )}
      <button type="submit" id={`${idPrefix}-send`} class="danger-aware" disabled={busy}>
        {t('common.send')}
      </button>
    </form>
  );
}
