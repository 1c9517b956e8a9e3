// Starts dynalite for a test file (random port), creates the tables, and builds the real stores.
import { randomBytes } from 'node:crypto';
import { type EmbeddedDynamo, ensureTables, startEmbeddedDynamo } from '../../lambdas/adapters/dynamodb/embedded';
import { makeDynamoStores } from '../../lambdas/adapters/dynamodb/stores';
import { AesSecretBox } from '../../lambdas/adapters/local/secret-box';
import type { Clock, Stores } from '../../lambdas/ports';

export class FakeClock implements Clock {
  constructor(private current = new Date('2026-11-23T09:00:00.000Z')) {}
  now(): Date {
    return new Date(this.current);
  }
  set(at: Date | string): void {
    this.current = new Date(at);
  }
  advance(ms: number): void {
    this.current = new Date(this.current.getTime() + ms);
  }
}

export interface DynamoFixture {
  dynamo: EmbeddedDynamo;
  stores: Stores;
  clock: FakeClock;
}

/** Call at the top of a describe: starts dynalite in beforeAll and stops it in afterAll. */
export function useDynamo(): DynamoFixture {
  const fixture = {} as DynamoFixture;
  beforeAll(async () => {
    fixture.dynamo = await startEmbeddedDynamo();
    await ensureTables(fixture.dynamo.client, { main: 'Main', logs: 'Logs' });
    fixture.clock = new FakeClock();
    fixture.stores = makeDynamoStores(
      fixture.dynamo.client,
      { main: 'Main', logs: 'Logs' },
      fixture.clock,
      new AesSecretBox(randomBytes(32)),
    );
  });
  afterAll(async () => {
    await fixture.dynamo?.stop();
  });
  return fixture;
}
