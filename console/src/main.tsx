// The admin console: sign-in, layout and the page router (docs/console.md).
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { loadSession, type Session, saveSession, setUnauthorizedHandler, signIn } from './api';
import { type Lang, lang, setLang, t, useLang } from './i18n';
import { DashboardPage } from './pages/dashboard';
import { DevicePage } from './pages/device';
import { DevicesPage } from './pages/devices';
import { EnrollPage } from './pages/enroll';
import { LogsPage } from './pages/logs';
import { SettingsPage } from './pages/settings';
import { TemplatesPage } from './pages/templates';
import { useRoute } from './router';
import { ErrorBox, Field, inputValue, messageOf } from './ui';

const NAV = [
  ['/', 'nav.dashboard'],
  ['/devices', 'nav.devices'],
  ['/templates', 'nav.templates'],
  ['/enroll', 'nav.enroll'],
  ['/logs', 'nav.logs'],
  ['/settings', 'nav.settings'],
] as const;

function LanguageSwitch() {
  return (
    <label class="lang">
      <span>{t('lang.label')}</span>
      <select id="lang" value={lang()} onChange={(e) => setLang((e.currentTarget as HTMLSelectElement).value as Lang)}>
        <option value="en">English</option>
        <option value="ja">日本語</option>
      </select>
    </label>
  );
}

function SignIn({ onSignedIn }: { onSignedIn: (s: Session) => void }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      onSignedIn(await signIn(key.trim()));
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="signin">
      <h1>{t('app.title')}</h1>
      <LanguageSwitch />
      <form onSubmit={submit} id="signin">
        <h2>{t('signin.title')}</h2>
        <Field label={t('signin.key')}>
          <input
            id="api-key"
            type="password"
            autocomplete="off"
            required
            value={key}
            onInput={(e) => setKey(inputValue(e))}
          />
        </Field>
        <p class="help">{t('signin.help')}</p>
        <ErrorBox error={error} />
        <button type="submit" disabled={busy || !key.trim()}>
          {t('signin.submit')}
        </button>
      </form>
    </main>
  );
}

function Page({ session }: { session: Session }) {
  const { path, params } = useRoute();
  const canWrite = session.role === 'admin';
  const device = path.match(/^\/devices\/(.+)$/);
  if (path === '/') return <DashboardPage />;
  if (path === '/devices') return <DevicesPage params={params} canWrite={canWrite} />;
  if (device) return <DevicePage id={decodeURIComponent(device[1])} canWrite={canWrite} />;
  if (path === '/templates') return <TemplatesPage params={params} canWrite={canWrite} />;
  if (path === '/enroll') return <EnrollPage canWrite={canWrite} />;
  if (path === '/logs') return <LogsPage params={params} />;
  if (path === '/settings') return <SettingsPage canWrite={canWrite} />;
  return <p>{t('err.notFound')}</p>;
}

function App() {
  useLang();
  const [session, setSession] = useState<Session | undefined>(loadSession);
  const { path } = useRoute();
  useEffect(() => {
    document.documentElement.lang = lang();
    setUnauthorizedHandler(() => {
      saveSession(undefined);
      setSession(undefined);
    });
  }, []);
  const signOut = () => {
    saveSession(undefined);
    setSession(undefined);
  };
  if (!session)
    return (
      <SignIn
        onSignedIn={(s) => {
          saveSession(s);
          setSession(s);
        }}
      />
    );
  const section = '/' + (path.split('/')[1] ?? '');
  return (
    <>
      <header class="top">
        <span class="brand">{t('app.title')}</span>
        <nav aria-label={t('nav.main')}>
          {NAV.map(([p, label]) => (
            <a key={p} href={`#${p}`} aria-current={section === p ? 'page' : undefined}>
              {t(label)}
            </a>
          ))}
        </nav>
        <span class="role" id="role" data-role={session.role}>
          {t('role.label', { role: t(`role.${session.role}`) })}
        </span>
        <LanguageSwitch />
        <button type="button" id="signout" onClick={signOut}>
          {t('signout')}
        </button>
      </header>
      <main id="main">
        <Page session={session} />
      </main>
    </>
  );
}

render(<App />, document.getElementById('app')!);
