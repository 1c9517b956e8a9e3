// Builds every DynamoDB store from one client: the only storage implementation (docs/architecture.md §Principles).
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Clock, SecretBox, Stores } from '../../ports';
import { DynamoBulkOperationStore } from './bulk-store';
import { makeDynamo } from './client';
import { SignedCursors, storedCursorKey } from './cursor';
import { DynamoCommandStore, DynamoDeviceStore } from './device-stores';
import { DynamoAlarmStore, DynamoCounterStore, DynamoLogStore, DynamoPushBudgetStore } from './ops-stores';
import { DynamoPushBacklogStore } from './push-backlog-store';
import type { TableNames } from './tables';
import {
  DynamoApiKeyStore,
  DynamoEnrollmentStore,
  DynamoSecretStore,
  DynamoTemplateStore,
  DynamoTenantStore,
} from './tenant-stores';
import { DynamoWebhookStore } from './webhook-store';

export function makeDynamoStores(client: DynamoDBClient, tables: TableNames, clock: Clock, box: SecretBox): Stores {
  const db = makeDynamo(client, tables);
  const cursors = new SignedCursors(storedCursorKey(db, box));
  return {
    tenants: new DynamoTenantStore(db, cursors),
    apiKeys: new DynamoApiKeyStore(db),
    templates: new DynamoTemplateStore(db, cursors),
    enrollments: new DynamoEnrollmentStore(db),
    devices: new DynamoDeviceStore(db, cursors),
    commands: new DynamoCommandStore(db),
    logs: new DynamoLogStore(db, clock, cursors),
    alarms: new DynamoAlarmStore(db),
    counters: new DynamoCounterStore(db),
    budget: new DynamoPushBudgetStore(db),
    pushBacklog: new DynamoPushBacklogStore(db),
    secrets: new DynamoSecretStore(db, box),
    bulk: new DynamoBulkOperationStore(db),
    webhooks: new DynamoWebhookStore(db, clock, cursors),
  };
}
