// Every string of the console, in English and Japanese. State names, command types and other API
// names stay as the API spells them (docs/api.md §Names and states); messages from the API are
// shown as the API wrote them.
import { useEffect, useState } from 'preact/hooks';

const en = {
  'app.title': 'MDM console',
  'nav.dashboard': 'Dashboard', 'nav.devices': 'Devices', 'nav.templates': 'Templates', 'nav.enroll': 'Enroll',
  'nav.logs': 'Logs', 'nav.settings': 'Settings', 'nav.main': 'Main',
  'lang.label': 'Language',
  'signin.title': 'Sign in', 'signin.key': 'API key', 'signin.submit': 'Sign in',
  'signin.help': 'Use an admin or viewer key of your tenant. npm start prints the admin key on first start. The key is kept in this tab only.',
  'signout': 'Sign out', 'role.admin': 'admin', 'role.viewer': 'viewer (read only)', 'role.label': 'Role: {role}',
  'common.loading': 'Loading…', 'common.refresh': 'Refresh', 'common.next': 'Next page', 'common.prev': 'Previous page',
  'common.first': 'First page', 'common.any': 'Any', 'common.none': 'None', 'common.save': 'Save', 'common.cancel': 'Cancel',
  'common.delete': 'Delete', 'common.edit': 'Edit', 'common.yes': 'yes', 'common.no': 'no', 'common.close': 'Close',
  'common.search': 'Search', 'common.apply': 'Apply filters', 'common.clear': 'Clear filters', 'common.copy': 'Copy',
  'common.copied': 'Copied', 'common.error': 'Error', 'common.name': 'Name', 'common.id': 'ID', 'common.created': 'Created',
  'common.updated': 'Updated', 'common.send': 'Send', 'common.ok': 'OK', 'common.failed': 'Failed', 'common.unknown': 'Not applicable',
  'common.autorefresh': 'Refreshes every {s} seconds. Last update: {time}',
  'dash.title': 'Dashboard', 'dash.sync': 'Sync states', 'dash.registration': 'Registration states', 'dash.alarms': 'Alarms by severity',
  'dash.activeAlarms': 'Active alarms', 'dash.noAlarms': 'No active alarm. Nothing needs attention.',
  'dash.adminLocked': 'Admin-locked devices', 'dash.prohibited': 'Devices with a prohibited app',
  'dash.pending': 'Pending commands', 'dash.chart': 'Devices per sync state', 'dash.devicesLink': '{n} devices: {state}',
  'dash.empty': 'No devices yet. Create an enrollment on the Enroll page to add the first one.',
  'dash.chartLegend': '{state}: {n}',
  'dev.title': 'Devices', 'dev.syncState': 'Sync state', 'dev.registrationState': 'Registration', 'dev.platform': 'Platform',
  'dev.template': 'Template', 'dev.q': 'Search (name, serial, model, id)', 'dev.model': 'Model', 'dev.os': 'OS',
  'dev.serial': 'Serial number', 'dev.lastSeen': 'Last seen', 'dev.select': 'Select {name}', 'dev.selectAll': 'Select all on this page',
  'dev.empty': 'No device matches. Clear the filters, or enroll a device on the Enroll page.',
  'dev.bulk': 'Bulk command', 'dev.bulkTarget': 'Send to', 'dev.bulkSelected': 'the {n} selected devices',
  'dev.bulkFilter': 'every device matching the filters', 'dev.bulkSend': 'Send bulk command',
  'dev.bulkConfirm': 'Send {type} to {target}?', 'dev.bulkProgress': '{type}: {queued} queued, {refused} refused of {targeted} targeted ({status})',
  'dev.refusals': 'Refusals', 'dev.noSelection': 'Select devices first, or send to every device matching the filters.',
  'dev.detail': 'Detail', 'dev.lastPush': 'Last push', 'dev.lastUnlocked': 'Last seen unlocked', 'dev.lastSynced': 'Last synchronized',
  'dev.certExpiry': 'Identity certificate expiry', 'dev.checkedIn': 'Checked in', 'dev.address': 'Check-in address',
  'dev.accessRights': 'Access rights', 'dev.adminLocked': 'Admin-locked', 'dev.prohibitedApps': 'Prohibited apps found',
  'dev.pendingCommands': 'Pending commands', 'dev.pushDead': 'Push token no longer valid', 'dev.withdrawal': 'Withdrawal reason',
  'dev.inventory': 'Inventory', 'dev.diagnosis': 'Diagnosis', 'dev.verdict': 'Verdict', 'dev.evidence': 'Evidence',
  'dev.advice': 'Advice', 'dev.errors': 'Command errors', 'dev.explanation': 'Explanation', 'dev.fix': 'Fix',
  'dev.timeline': 'Timeline', 'dev.noTimeline': 'Nothing has happened to this device yet.',
  'dev.queue': 'Command queue', 'dev.queueEmpty': 'The queue is empty: the device has nothing left to do.',
  'dev.history': 'Command history', 'dev.historyEmpty': 'No command has finished yet.',
  'dev.commands': 'Commands', 'dev.message': 'Message on the lock screen', 'dev.pin': '6-digit PIN (the Mac asks for it)',
  'dev.phone': 'Phone number', 'dev.newPasscode': 'New passcode', 'dev.commandSent': '{type} queued (command {id}).',
  'dev.assign': 'Assign template', 'dev.assignButton': 'Assign', 'dev.noTemplate': 'No template', 'dev.assigned': 'Template assigned: the device is now {state}.',
  'dev.notFound': 'Back to the device list',
  'dev.confirmCommand': 'Send {type} to {name}?',
  'step.1': 'Was a push sent after the last sync request?', 'step.2': 'Did the device access the server after the push?',
  'step.3': 'Did the device access the server while unlocked after the push (security check)?',
  'step.4': 'Did the commands of this sync finish without errors?',
  'step.ok': 'Yes', 'step.fail': 'No', 'step.na': 'Not applicable',
  'verdict.synchronized': 'The device matches its template.', 'verdict.push-not-sent': 'No push reached the device.',
  'verdict.push-credential-invalid': 'The push credential is not valid.', 'verdict.device-unreachable': 'The device has not answered the push.',
  'verdict.device-locked': 'The device is waiting to be unlocked.', 'verdict.command-errors': 'Commands of this sync failed on the device.',
  'verdict.in-progress': 'The sync is in progress.',
  'tpl.title': 'Templates', 'tpl.new': 'New template', 'tpl.version': 'Version', 'tpl.items': 'Items', 'tpl.devices': 'Devices using it',
  'tpl.showDevices': 'Show devices', 'tpl.empty': 'No template yet. Create one, then assign it to devices or to an enrollment.',
  'tpl.editing': 'Edit template {name}', 'tpl.creating': 'New template', 'tpl.kind': 'Kind', 'tpl.identifier': 'Identifier',
  'tpl.profile': 'Apple profile (.mobileconfig)', 'tpl.policy': 'Android policy (JSON)', 'tpl.app': 'App', 'tpl.book': 'Book',
  'tpl.addProfile': 'Add an Apple profile', 'tpl.addPolicy': 'Add an Android policy', 'tpl.addApp': 'Add an app', 'tpl.addBook': 'Add a book',
  'tpl.file': '.mobileconfig file', 'tpl.policyJson': 'Policy (JSON object)', 'tpl.appVersion': 'Minimum version',
  'tpl.appSource': 'Source (itunes:<id>, manifest or APK URL)', 'tpl.bookUrl': 'Book URL', 'tpl.remove': 'Remove item {n}',
  'tpl.prohibited': 'Prohibited apps (one bundle id or package name per line)', 'tpl.noItems': 'No item yet: add a profile, a policy, an app or a book.',
  'tpl.saved': 'Saved as version {version}.', 'tpl.fanout': 'Re-syncing the devices of this template: {queued} of {targeted} devices ({status}).',
  'tpl.badJson': 'The policy of item {n} is not a JSON object.', 'tpl.profileLoaded': 'Loaded ({size} bytes)',
  'tpl.confirmDelete': 'Delete template {name}?', 'tpl.deleted': 'Template deleted.',
  'enr.title': 'Enroll a device', 'enr.platform': 'Platform', 'enr.ios': 'Apple (iPhone, iPad, Mac)', 'enr.android': 'Android',
  'enr.name': 'Device name (optional)', 'enr.expires': 'Valid for (hours)', 'enr.create': 'Create enrollment',
  'enr.url': 'Enrollment URL', 'enr.qr': 'QR code', 'enr.expiresAt': 'Valid until {time}',
  'enr.helpIos': 'Open the URL on the device (or scan the QR code with its camera) and install the profile.',
  'enr.helpAndroid': 'Scan the QR code with the agent app.', 'enr.qrAlt': 'QR code of the enrollment',
  'log.title': 'Logs', 'log.type': 'Type', 'log.severity': 'Severity', 'log.device': 'Device id', 'log.from': 'From', 'log.to': 'To',
  'log.q': 'Text', 'log.at': 'Time', 'log.event': 'Event', 'log.message': 'Message', 'log.export': 'Export CSV',
  'log.exported': 'Exported {rows} rows.', 'log.empty': 'No log matches these filters. Widen the time range or clear the filters.',
  'set.title': 'Settings', 'set.apns': 'Apple push certificate', 'set.apnsCert': 'Certificate (PEM)', 'set.apnsKey': 'Private key (PEM)',
  'set.apnsForce': 'Replace a certificate with another topic (every device must re-enroll)', 'set.upload': 'Upload',
  'set.topic': 'Topic', 'set.expires': 'Expires', 'set.daysLeft': '{n} days left', 'set.expired': 'Expired',
  'set.apnsHelp': 'Upload the MDM push certificate from Apple Push Certificates Portal, with its private key.',
  'set.fcm': 'Firebase Cloud Messaging', 'set.fcmFile': 'Service account (JSON file)', 'set.project': 'Project',
  'set.keys': 'API keys', 'set.keyName': 'Key name', 'set.role': 'Role', 'set.createKey': 'Create key',
  'set.keyShown': 'The new key, shown once only: copy it now.', 'set.lastUsed': 'Last used', 'set.revoke': 'Revoke',
  'set.confirmRevoke': 'Revoke key {name}? Scripts using it stop working.', 'set.noKeys': 'No API key.',
  'set.jobs': 'Scheduled jobs', 'set.runJob': 'Run {job} now', 'set.jobDone': '{job}: {n} devices touched.',
  'set.warnSoon': 'Renew soon', 'set.warnCritical': 'Renew now',
  'err.notFound': 'Page not found.',
};

export type MessageKey = keyof typeof en;

const ja: Record<MessageKey, string> = {
  'app.title': 'MDM コンソール',
  'nav.dashboard': 'ダッシュボード', 'nav.devices': 'デバイス', 'nav.templates': 'テンプレート', 'nav.enroll': '登録',
  'nav.logs': 'ログ', 'nav.settings': '設定', 'nav.main': 'メイン',
  'lang.label': '言語',
  'signin.title': 'サインイン', 'signin.key': 'API キー', 'signin.submit': 'サインイン',
  'signin.help': 'テナントの admin キーまたは viewer キーを使います。npm start は初回起動時に admin キーを表示します。キーはこのタブの中だけに保持されます。',
  'signout': 'サインアウト', 'role.admin': '管理者', 'role.viewer': '閲覧者（読み取り専用）', 'role.label': '権限: {role}',
  'common.loading': '読み込み中…', 'common.refresh': '更新', 'common.next': '次のページ', 'common.prev': '前のページ',
  'common.first': '最初のページ', 'common.any': 'すべて', 'common.none': 'なし', 'common.save': '保存', 'common.cancel': 'キャンセル',
  'common.delete': '削除', 'common.edit': '編集', 'common.yes': 'はい', 'common.no': 'いいえ', 'common.close': '閉じる',
  'common.search': '検索', 'common.apply': '絞り込む', 'common.clear': '条件をクリア', 'common.copy': 'コピー',
  'common.copied': 'コピーしました', 'common.error': 'エラー', 'common.name': '名前', 'common.id': 'ID', 'common.created': '作成日時',
  'common.updated': '更新日時', 'common.send': '送信', 'common.ok': 'OK', 'common.failed': '失敗', 'common.unknown': '該当なし',
  'common.autorefresh': '{s} 秒ごとに自動更新。最終更新: {time}',
  'dash.title': 'ダッシュボード', 'dash.sync': '同期状態', 'dash.registration': '登録状態', 'dash.alarms': '重大度別アラーム',
  'dash.activeAlarms': '発生中のアラーム', 'dash.noAlarms': '発生中のアラームはありません。対応が必要なものはありません。',
  'dash.adminLocked': '管理者ロック中のデバイス', 'dash.prohibited': '禁止アプリがあるデバイス',
  'dash.pending': '保留中のコマンド', 'dash.chart': '同期状態別デバイス数', 'dash.devicesLink': '{n} 台: {state}',
  'dash.empty': 'デバイスはまだありません。「登録」ページで登録を作成して最初のデバイスを追加してください。',
  'dash.chartLegend': '{state}: {n}',
  'dev.title': 'デバイス', 'dev.syncState': '同期状態', 'dev.registrationState': '登録状態', 'dev.platform': 'プラットフォーム',
  'dev.template': 'テンプレート', 'dev.q': '検索（名前、シリアル番号、機種、ID）', 'dev.model': '機種', 'dev.os': 'OS',
  'dev.serial': 'シリアル番号', 'dev.lastSeen': '最終アクセス', 'dev.select': '{name} を選択', 'dev.selectAll': 'このページをすべて選択',
  'dev.empty': '該当するデバイスはありません。条件をクリアするか、「登録」ページでデバイスを登録してください。',
  'dev.bulk': '一括コマンド', 'dev.bulkTarget': '送信先', 'dev.bulkSelected': '選択した {n} 台',
  'dev.bulkFilter': '絞り込み条件に合うすべてのデバイス', 'dev.bulkSend': '一括コマンドを送信',
  'dev.bulkConfirm': '{type} を{target}に送信しますか？', 'dev.bulkProgress': '{type}: 対象 {targeted} 台のうち {queued} 台に送信、{refused} 台が拒否（{status}）',
  'dev.refusals': '拒否', 'dev.noSelection': 'デバイスを選択するか、絞り込み条件に合うすべてのデバイスに送信してください。',
  'dev.detail': '詳細', 'dev.lastPush': '最終プッシュ', 'dev.lastUnlocked': 'ロック解除中の最終アクセス', 'dev.lastSynced': '最終同期',
  'dev.certExpiry': 'デバイス証明書の有効期限', 'dev.checkedIn': 'チェックイン', 'dev.address': 'チェックイン元アドレス',
  'dev.accessRights': 'アクセス権', 'dev.adminLocked': '管理者ロック', 'dev.prohibitedApps': '検出された禁止アプリ',
  'dev.pendingCommands': '保留中のコマンド', 'dev.pushDead': 'プッシュトークンが無効です', 'dev.withdrawal': '管理解除の理由',
  'dev.inventory': 'インベントリ', 'dev.diagnosis': '診断', 'dev.verdict': '判定', 'dev.evidence': '根拠',
  'dev.advice': '対処', 'dev.errors': 'コマンドエラー', 'dev.explanation': '説明', 'dev.fix': '対処法',
  'dev.timeline': 'タイムライン', 'dev.noTimeline': 'このデバイスにはまだ何も起きていません。',
  'dev.queue': 'コマンドキュー', 'dev.queueEmpty': 'キューは空です。デバイスに残っている作業はありません。',
  'dev.history': 'コマンド履歴', 'dev.historyEmpty': '完了したコマンドはまだありません。',
  'dev.commands': 'コマンド', 'dev.message': 'ロック画面のメッセージ', 'dev.pin': '6 桁の PIN（Mac が要求します）',
  'dev.phone': '電話番号', 'dev.newPasscode': '新しいパスコード', 'dev.commandSent': '{type} をキューに入れました（コマンド {id}）。',
  'dev.assign': 'テンプレートの割り当て', 'dev.assignButton': '割り当て', 'dev.noTemplate': 'テンプレートなし', 'dev.assigned': 'テンプレートを割り当てました。デバイスは {state} です。',
  'dev.notFound': 'デバイス一覧に戻る',
  'dev.confirmCommand': '{type} を {name} に送信しますか？',
  'step.1': '最後の同期要求の後にプッシュは送信されましたか？', 'step.2': 'プッシュの後にデバイスはサーバーにアクセスしましたか？',
  'step.3': 'プッシュの後、ロック解除中にデバイスはサーバーにアクセスしましたか（セキュリティチェック）？',
  'step.4': 'この同期のコマンドはエラーなく完了しましたか？',
  'step.ok': 'はい', 'step.fail': 'いいえ', 'step.na': '該当なし',
  'verdict.synchronized': 'デバイスはテンプレートと一致しています。', 'verdict.push-not-sent': 'プッシュがデバイスに届いていません。',
  'verdict.push-credential-invalid': 'プッシュの認証情報が無効です。', 'verdict.device-unreachable': 'デバイスがプッシュに応答していません。',
  'verdict.device-locked': 'デバイスはロック解除を待っています。', 'verdict.command-errors': 'この同期のコマンドがデバイスで失敗しました。',
  'verdict.in-progress': '同期中です。',
  'tpl.title': 'テンプレート', 'tpl.new': '新しいテンプレート', 'tpl.version': 'バージョン', 'tpl.items': '項目', 'tpl.devices': '使用中のデバイス',
  'tpl.showDevices': 'デバイスを表示', 'tpl.empty': 'テンプレートはまだありません。作成して、デバイスまたは登録に割り当ててください。',
  'tpl.editing': 'テンプレート {name} の編集', 'tpl.creating': '新しいテンプレート', 'tpl.kind': '種類', 'tpl.identifier': '識別子',
  'tpl.profile': 'Apple プロファイル（.mobileconfig）', 'tpl.policy': 'Android ポリシー（JSON）', 'tpl.app': 'アプリ', 'tpl.book': 'ブック',
  'tpl.addProfile': 'Apple プロファイルを追加', 'tpl.addPolicy': 'Android ポリシーを追加', 'tpl.addApp': 'アプリを追加', 'tpl.addBook': 'ブックを追加',
  'tpl.file': '.mobileconfig ファイル', 'tpl.policyJson': 'ポリシー（JSON オブジェクト）', 'tpl.appVersion': '最小バージョン',
  'tpl.appSource': '入手元（itunes:<id>、マニフェストまたは APK の URL）', 'tpl.bookUrl': 'ブックの URL', 'tpl.remove': '項目 {n} を削除',
  'tpl.prohibited': '禁止アプリ（1 行に 1 つのバンドル ID またはパッケージ名）', 'tpl.noItems': '項目はまだありません。プロファイル、ポリシー、アプリ、ブックを追加してください。',
  'tpl.saved': 'バージョン {version} として保存しました。', 'tpl.fanout': 'このテンプレートのデバイスを再同期中: {targeted} 台のうち {queued} 台（{status}）。',
  'tpl.badJson': '項目 {n} のポリシーが JSON オブジェクトではありません。', 'tpl.profileLoaded': '読み込み済み（{size} バイト）',
  'tpl.confirmDelete': 'テンプレート {name} を削除しますか？', 'tpl.deleted': 'テンプレートを削除しました。',
  'enr.title': 'デバイスの登録', 'enr.platform': 'プラットフォーム', 'enr.ios': 'Apple（iPhone、iPad、Mac）', 'enr.android': 'Android',
  'enr.name': 'デバイス名（任意）', 'enr.expires': '有効期間（時間）', 'enr.create': '登録を作成',
  'enr.url': '登録 URL', 'enr.qr': 'QR コード', 'enr.expiresAt': '{time} まで有効',
  'enr.helpIos': 'デバイスで URL を開く（またはカメラで QR コードを読み取る）と、プロファイルをインストールできます。',
  'enr.helpAndroid': 'エージェントアプリで QR コードを読み取ってください。', 'enr.qrAlt': '登録の QR コード',
  'log.title': 'ログ', 'log.type': '種類', 'log.severity': '重大度', 'log.device': 'デバイス ID', 'log.from': '開始', 'log.to': '終了',
  'log.q': 'テキスト', 'log.at': '日時', 'log.event': 'イベント', 'log.message': 'メッセージ', 'log.export': 'CSV をエクスポート',
  'log.exported': '{rows} 行をエクスポートしました。', 'log.empty': '条件に合うログはありません。期間を広げるか条件をクリアしてください。',
  'set.title': '設定', 'set.apns': 'Apple プッシュ証明書', 'set.apnsCert': '証明書（PEM）', 'set.apnsKey': '秘密鍵（PEM）',
  'set.apnsForce': 'トピックの異なる証明書で置き換える（すべてのデバイスの再登録が必要）', 'set.upload': 'アップロード',
  'set.topic': 'トピック', 'set.expires': '有効期限', 'set.daysLeft': '残り {n} 日', 'set.expired': '期限切れ',
  'set.apnsHelp': 'Apple Push Certificates Portal の MDM プッシュ証明書を秘密鍵と一緒にアップロードしてください。',
  'set.fcm': 'Firebase Cloud Messaging', 'set.fcmFile': 'サービスアカウント（JSON ファイル）', 'set.project': 'プロジェクト',
  'set.keys': 'API キー', 'set.keyName': 'キーの名前', 'set.role': '権限', 'set.createKey': 'キーを作成',
  'set.keyShown': '新しいキーです。表示は一度だけなので、今コピーしてください。', 'set.lastUsed': '最終使用', 'set.revoke': '無効化',
  'set.confirmRevoke': 'キー {name} を無効にしますか？このキーを使うスクリプトは動かなくなります。', 'set.noKeys': 'API キーはありません。',
  'set.jobs': '定期ジョブ', 'set.runJob': '{job} を今すぐ実行', 'set.jobDone': '{job}: {n} 台を処理しました。',
  'set.warnSoon': 'まもなく更新が必要', 'set.warnCritical': '今すぐ更新してください',
  'err.notFound': 'ページが見つかりません。',
};

export type Lang = 'en' | 'ja';
const CATALOGUES: Record<Lang, Record<MessageKey, string>> = { en, ja };
const LANG_STORAGE = 'mdm.lang';

let current: Lang = (() => {
  try {
    const saved = localStorage.getItem(LANG_STORAGE);
    if (saved === 'en' || saved === 'ja') return saved;
  } catch { /* storage unavailable */ }
  return navigator.language?.startsWith('ja') ? 'ja' : 'en';
})();
const listeners = new Set<() => void>();

export const lang = (): Lang => current;

export function setLang(next: Lang): void {
  current = next;
  try { localStorage.setItem(LANG_STORAGE, next); } catch { /* storage unavailable */ }
  document.documentElement.lang = next;
  for (const l of listeners) l();
}

/** Re-renders the component when the language changes. */
export function useLang(): Lang {
  const [, setTick] = useState(0);
  useEffect(() => {
    const l = () => setTick((n) => n + 1);
    listeners.add(l);
    return () => { listeners.delete(l); };
  }, []);
  return current;
}

/** The message `key` in the current language, with `{name}` placeholders filled. */
export function t(key: MessageKey, vars: Record<string, string | number> = {}): string {
  return CATALOGUES[current][key].replace(/\{(\w+)\}/g, (m, name: string) => (name in vars ? String(vars[name]) : m));
}

export function formatTime(iso: string | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString(current === 'ja' ? 'ja-JP' : 'en-GB');
}
