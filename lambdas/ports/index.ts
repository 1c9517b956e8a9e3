// The ports between services and adapters (docs/architecture.md §Principles).
// Services depend on these interfaces only; adapters implement them (DynamoDB, SQS, APNs, FCM,
// in-process queue for local mode). The platform adapters (Apple, Android) are in ./platform.ts.
import type {
  Alarm,
  ApiKey,
  Command,
  Device,
  Enrollment,
  LogItem,
  LogType,
  Page,
  Platform,
  PushRequest,
  RegistrationState,
  Severity,
  SyncState,
  Template,
  Tenant,
} from '../domain/types';
import type { WebhookStore } from './events';

export * from './events';

export interface Clock {
  now(): Date;
}

export interface TenantStore {
  create(tenant: Tenant): Promise<void>; // conflict if it exists
  get(id: string): Promise<Tenant | undefined>;
  update(id: string, patch: Partial<Omit<Tenant, 'id' | 'createdAt'>>): Promise<Tenant>;
  list(cursor?: string, limit?: number): Promise<Page<Tenant>>;
}

export interface ApiKeyStore {
  put(key: ApiKey): Promise<void>;
  getByHash(hash: string): Promise<ApiKey | undefined>;
  listByTenant(tenantId: string): Promise<ApiKey[]>;
  delete(tenantId: string, id: string): Promise<boolean>;
  touch(hash: string, at: string): Promise<void>;
}

export interface TemplateStore {
  create(template: Template): Promise<void>;
  get(tenantId: string, id: string): Promise<Template | undefined>;
  /** Replaces a template if its version is still `expectedVersion` (lost-update guard). */
  replace(template: Template, expectedVersion: number): Promise<void>;
  delete(tenantId: string, id: string): Promise<void>;
  list(tenantId: string, cursor?: string, limit?: number): Promise<Page<Template>>;
}

/** What a SCEP challenge was made for: an enrollment's first identity, or a device's renewal. */
export type ScepChallengeBinding = { enrollment: string } | { device: string };

export interface EnrollmentStore {
  create(enrollment: Enrollment): Promise<void>;
  get(tenantId: string, tokenHash: string): Promise<Enrollment | undefined>;
  /** Marks it used once; false when it was already used. */
  markUsed(tenantId: string, tokenHash: string, deviceId: string, at: string): Promise<boolean>;
  /**
   * Keeps a SCEP challenge (by its hash) until `expiresAt`: bound to an enrollment (a first identity,
   * until the enrollment expires) or to an enrolled device (a renewal, until its identity expires).
   */
  putScepChallenge(
    tenantId: string,
    challengeHash: string,
    binding: ScepChallengeBinding,
    expiresAt: string,
  ): Promise<void>;
  /**
   * Uses a SCEP challenge, once: what it is bound to, or undefined when it is unknown (another
   * tenant's too), already used, or expired at `at`.
   */
  useScepChallenge(tenantId: string, challengeHash: string, at: string): Promise<ScepChallengeBinding | undefined>;
}

export interface DeviceFilter {
  syncState?: SyncState;
  registrationState?: RegistrationState;
  platform?: Platform;
  templateId?: string;
  q?: string;
  /** Only devices under admin lock (the dashboard's adminLocked count). */
  adminLocked?: true;
  /** Only devices with a prohibited app installed (the dashboard's prohibitedApps count). */
  prohibitedApps?: true;
}

export interface DeviceStore {
  /** Creates the device; conflict if it exists. */
  create(device: Device): Promise<void>;
  get(tenantId: string, id: string): Promise<Device | undefined>;
  /**
   * The device and its live queue (in queue order) in one strongly consistent Query: they share a
   * partition. What a device request starts from (service/device-session.ts).
   */
  getWithQueue(tenantId: string, id: string): Promise<DeviceWithQueue | undefined>;
  /**
   * Deletes a device record (a pending enrollment taken over by the device that enrolled). With
   * `rev`, only if it is still at that rev: false when another writer changed or deleted it first.
   */
  delete(tenantId: string, id: string, rev?: number): Promise<boolean>;
  /**
   * Writes the whole device if nobody changed it since it was read (`device.rev` is the rev read;
   * the stored rev becomes rev+1). Throws ConcurrentUpdateError when another writer won.
   */
  save(device: Device): Promise<Device>;
  list(tenantId: string, filter: DeviceFilter, cursor?: string, limit?: number): Promise<Page<Device>>;
  /** Devices awaiting an answer to a push sent before `before`, across tenants (the sweep); one shard of AWAITING_SHARDS. */
  listAwaitingSince(shard: number, before: string, cursor?: string, limit?: number): Promise<Page<Device>>;
  /** Points a lookup value (Android serial number or device-token hash) at a device. */
  link(tenantId: string, kind: DeviceLink, value: string, deviceId: string): Promise<void>;
  /**
   * Points a lookup value at `deviceId` unless it already points elsewhere (a conditional put: of
   * two concurrent claims, one wins). Returns what it points at afterwards: `deviceId` when this
   * claim won or the value was already this device's, else the other device's id.
   */
  claimLink(tenantId: string, kind: DeviceLink, value: string, deviceId: string): Promise<string>;
  unlink(tenantId: string, kind: DeviceLink, value: string): Promise<void>;
  findByLink(tenantId: string, kind: DeviceLink, value: string): Promise<Device | undefined>;
  /** What a link points at (a device id, or an enrollment token hash for `identity`). */
  resolveLink(tenantId: string, kind: DeviceLink, value: string): Promise<string | undefined>;
}

export interface DeviceWithQueue {
  device: Device;
  live: Command[];
}

/**
 * serial: Android serial number; token: Android device-token hash; identity: Apple identity-certificate
 * hash → enrollment token hash; apple-serial: an Apple device's serial number (the admin's exact search).
 */
export type DeviceLink = 'serial' | 'token' | 'identity' | 'apple-serial';
/** The awaiting-answer index is spread over this many partitions. */
export const AWAITING_SHARDS = 8;

export interface CommandStore {
  /** Queues the command; false (and nothing written) when a command with its id is already queued. */
  enqueue(command: Command): Promise<boolean>;
  /** The device's live queue (Queued, Sent, NotNow), in queue order: one Query. */
  liveQueue(tenantId: string, deviceId: string): Promise<Command[]>;
  get(tenantId: string, deviceId: string, id: string): Promise<Command | undefined>;
  update(command: Command): Promise<void>;
  /** Removes a finished command from the queue (its result lives on in the command log). */
  remove(tenantId: string, deviceId: string, id: string): Promise<void>;
  /** Drops the device's whole queue (withdrawn devices). */
  clear(tenantId: string, deviceId: string): Promise<number>;
}

export interface LogQuery {
  type?: LogType;
  severity?: Severity;
  deviceId?: string;
  from?: string;
  to?: string;
  q?: string;
}

export interface LogStore {
  append(item: Omit<LogItem, 'id' | 'expiresAt'> & { id?: string }): Promise<LogItem>;
  /** Newest first; never returns expired items. */
  query(tenantId: string, query: LogQuery, cursor?: string, limit?: number): Promise<Page<LogItem>>;
}

export interface AlarmStore {
  /** Raises (or re-raises with a new severity); returns the alarm that was active before, if any. */
  raise(alarm: Alarm): Promise<Alarm | undefined>;
  /** Clears; returns the cleared alarm when it was active. */
  clear(tenantId: string, key: string): Promise<Alarm | undefined>;
  list(tenantId: string, limit?: number): Promise<Alarm[]>;
  get(tenantId: string, key: string): Promise<Alarm | undefined>;
}

/** Dashboard counters: named integer counters per tenant, sharded against hot items. */
export interface CounterStore {
  add(tenantId: string, deltas: Record<string, number>, shardKey: string): Promise<void>;
  read(tenantId: string): Promise<Record<string, number>>;
  /** Replaces all counters with a recount (the reconcile job). */
  reset(tenantId: string, values: Record<string, number>): Promise<void>;
}

/** Per tenant-minute push budget, global across workers (conditional ADD). */
export interface PushBudgetStore {
  /** Reserves up to `wanted` pushes in `minute` (epoch minute) under `cap`; returns how many it got. */
  reserve(tenantId: string, minute: number, wanted: number, cap: number): Promise<number>;
  used(tenantId: string, minute: number): Promise<number>;
}

/**
 * The pushes a tenant's budget could not take yet, outside the shared push queue
 * (docs/operations.md §Push backlog): read admin first, then oldest first.
 */
export interface PushBacklogStore {
  /** Adds requests (idempotent: a request re-added keeps one place). */
  add(requests: PushRequest[]): Promise<void>;
  /** Up to `limit` waiting requests of the tenant, admin first, each priority oldest first. */
  head(tenantId: string, limit: number): Promise<PushRequest[]>;
  remove(requests: PushRequest[]): Promise<void>;
  /** True for the one caller that gets to queue the tenant's drain for `minute` (epoch minute). */
  claimDrain(tenantId: string, minute: number): Promise<boolean>;
  /** Gives the claim back (queuing the drain failed), so the next overflow claims it again. */
  releaseDrain(tenantId: string, minute: number): Promise<void>;
}

/** Encrypts tenant secrets (CA key, push keys, unlock tokens, sealed PINs). KMS when deployed. */
export interface SecretBox {
  seal(plaintext: string, context: string): Promise<string>;
  open(sealed: string, context: string): Promise<string>;
}

export interface SecretStore {
  put(tenantId: string, name: string, value: string): Promise<void>;
  get(tenantId: string, name: string): Promise<string | undefined>;
  delete(tenantId: string, name: string): Promise<void>;
}

/** Every store a service uses; one implementation builds them all (lambdas/adapters/dynamodb/stores.ts). */
export interface Stores {
  tenants: TenantStore;
  apiKeys: ApiKeyStore;
  templates: TemplateStore;
  enrollments: EnrollmentStore;
  devices: DeviceStore;
  commands: CommandStore;
  logs: LogStore;
  alarms: AlarmStore;
  counters: CounterStore;
  budget: PushBudgetStore;
  pushBacklog: PushBacklogStore;
  secrets: SecretStore;
  bulk: BulkOperationStore;
  webhooks: WebhookStore;
}

/**
 * What the push queue carries: fresh push requests, or the signal to drain one tenant's backlog
 * (one message per backlogged tenant per minute, however long the backlog).
 */
export type PushMessage = { requests: PushRequest[] } | { drain: { tenantId: string; minute: number } };

/** Carries push work to the push worker: SQS when deployed, in-process locally. */
export interface PushQueue {
  send(batch: PushRequest[], delaySeconds?: number): Promise<void>;
  /** Queues the drain of a tenant's backlog for `minute`, due after `delaySeconds`. */
  sendDrain(tenantId: string, minute: number, delaySeconds: number): Promise<void>;
}

export interface PushTarget {
  deviceId: string;
  token: string;
  /** Apple PushMagic. */
  magic?: string;
}

export type PushOutcome =
  | { deviceId: string; status: 'sent'; messageId?: string }
  | { deviceId: string; status: 'dead-token'; reason: string }
  | { deviceId: string; status: 'retry'; reason: string }
  | { deviceId: string; status: 'failed'; reason: string };

export interface PushCredentialError {
  kind: 'credential';
  reason: string;
}

/** Sends pushes for one tenant over one platform's service. */
export interface PushSender {
  send(tenantId: string, targets: PushTarget[]): Promise<PushOutcome[] | PushCredentialError>;
}

/** One step of a bulk command's fan-out (docs/api.md, "Bulk commands"). */
export type BulkWork =
  /** List one page of the filter's devices and queue their chunks (then the next page). */
  | { kind: 'list'; tenantId: string; operationId: string; page: number; chunksBefore: number; cursor?: string }
  /** Send the command to one chunk of devices. */
  | { kind: 'devices'; tenantId: string; operationId: string; chunk: number; deviceIds: string[] };

/** Carries bulk fan-out work to the bulk worker: SQS when deployed, in-process locally. */
export interface BulkQueue {
  send(work: BulkWork[]): Promise<void>;
}

export interface BulkRefusal {
  deviceId: string;
  code: string;
  message: string;
}

/** A bulk command as stored; its progress is the sum of its chunk results. */
export interface BulkOperation {
  id: string;
  type: string;
  createdAt: string;
  /** Explicit device ids (how many) or a filter of the device list. */
  target: { deviceIds: number } | { filter: DeviceFilter };
  /** Set for a sync fan-out the server starts itself (a template change, the daily resync). */
  requester?: string;
  /** Set for the operation of one device (a Sync or SelectiveWipe): its commands carry its id. */
  deviceId?: string;
  /** The command params, sealed (they may hold a PIN); erased when the operation is done. */
  sealedParams?: string;
  /** Devices found on each listed page (filters). */
  listedPages?: Record<string, number>;
  /** Known once every chunk is queued: at creation for ids, at the end of the listing for a filter. */
  totalChunks?: number;
  /** Chunks recorded so far (a counter; the chunk items are the exact record). */
  chunksDone?: number;
  finishedAt?: string;
}

export interface BulkChunkResult {
  chunk: number;
  targeted: number;
  queued: number;
  refusals: BulkRefusal[];
  finishedAt: string;
}

export interface BulkOperationStore {
  create(tenantId: string, op: BulkOperation): Promise<void>;
  get(tenantId: string, id: string): Promise<BulkOperation | undefined>;
  /** Records how many devices a listed page found (idempotent per page); `totalChunks` on the last page. */
  recordListedPage(
    tenantId: string,
    id: string,
    page: number,
    devices: number,
    totalChunks?: number,
  ): Promise<BulkOperation>;
  /** Records a chunk's result once; false (and nothing counted) when it was already recorded. */
  recordChunk(
    tenantId: string,
    id: string,
    result: BulkChunkResult,
  ): Promise<{ recorded: boolean; op?: BulkOperation }>;
  hasChunk(tenantId: string, id: string, chunk: number): Promise<boolean>;
  /** Every recorded chunk, in chunk order. */
  chunks(tenantId: string, id: string): Promise<BulkChunkResult[]>;
  /** Marks it finished and erases the sealed params; false when it was already finished. */
  finish(tenantId: string, id: string, finishedAt: string): Promise<boolean>;
}
