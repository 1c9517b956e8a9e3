// The embedded database of `npm start` and the tests: reads must not leave database iterators
// open, or memory and the data folder grow with every request (docs/operations.md, local mode).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PutItemCommand, QueryCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { makeDynamo } from '../../lambdas/adapters/dynamodb/client';
import { ensureTables, startEmbeddedDynamo } from '../../lambdas/adapters/dynamodb/embedded';

/** Every abstract-level database (LevelDB on disk, or in memory) attaches an open iterator and detaches it on close. */
function countOpenIterators(): { open(): number; restore(): void } {
  const fromDynalite = require.resolve('abstract-level', { paths: [dirname(require.resolve('dynalite'))] });
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { AbstractLevel } = require(fromDynalite) as {
    AbstractLevel: { prototype: { attachResource(r: object): void; detachResource(r: object): void } };
  };
  const open = new Set<object>();
  const realAttach = AbstractLevel.prototype.attachResource;
  const realDetach = AbstractLevel.prototype.detachResource;
  AbstractLevel.prototype.attachResource = function (this: unknown, r: object) {
    open.add(r);
    realAttach.call(this, r);
  };
  AbstractLevel.prototype.detachResource = function (this: unknown, r: object) {
    open.delete(r);
    realDetach.call(this, r);
  };
  return {
    open: () => open.size,
    restore: () => {
      AbstractLevel.prototype.attachResource = realAttach;
      AbstractLevel.prototype.detachResource = realDetach;
    },
  };
}

describe.each([
  ['on disk (npm start)', true],
  ['in memory (tests, bench)', false],
])('embedded dynalite %s', (_name, onDisk) => {
  it('closes the iterator of every Query and Scan, whether read to the end or cut short by Limit', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mdm-embedded-'));
    const iterators = countOpenIterators();
    const dynamo = await startEmbeddedDynamo(onDisk ? { path: join(dir, 'dynamodb') } : {});
    try {
      await ensureTables(dynamo.client, { main: 'Main', logs: 'Logs' });
      for (let i = 0; i < 10; i++) {
        await dynamo.client.send(
          new PutItemCommand({ TableName: 'Main', Item: { pk: { S: 'DEVICE#t#d' }, sk: { S: `CMD#${i}` } } }),
        );
      }
      const before = iterators.open();
      const query = (limit?: number) =>
        dynamo.client.send(
          new QueryCommand({
            TableName: 'Main',
            KeyConditionExpression: 'pk = :pk',
            ExpressionAttributeValues: { ':pk': { S: 'DEVICE#t#d' } },
            Limit: limit,
          }),
        );
      for (let i = 0; i < 20; i++) {
        expect((await query()).Items).toHaveLength(10);
        expect((await query(2)).Items).toHaveLength(2);
        expect((await dynamo.client.send(new ScanCommand({ TableName: 'Main', Limit: 3 }))).Items).toHaveLength(3);
      }
      // A stream closes its iterator as it ends, a moment after the answer went out.
      for (let tries = 0; iterators.open() > before && tries < 100; tries++) await new Promise((r) => setImmediate(r));
      expect(iterators.open()).toBe(before);
    } finally {
      await dynamo.stop();
      iterators.restore();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('bringing the tables up to date on a client the stores already use', () => {
  it('leaves the stores writing what they wrote before (items with unset fields)', async () => {
    const dynamo = await startEmbeddedDynamo({});
    try {
      const tables = { main: 'Main', logs: 'Logs' };
      await ensureTables(dynamo.client, tables);
      const { doc } = makeDynamo(dynamo.client, tables);
      // A second start-up pass (the bench's server does one): its document client must not
      // change the translation options the stores' client shares with it.
      await ensureTables(dynamo.client, tables);
      const command = { pk: 'DEVICE#t#d', sk: 'CMD#1', payload: { RequestType: 'Restart', Queries: undefined } };
      await doc.send(new PutCommand({ TableName: 'Main', Item: command }));
      const stored = await doc.send(new GetCommand({ TableName: 'Main', Key: { pk: command.pk, sk: command.sk } }));
      expect(stored.Item?.payload).toEqual({ RequestType: 'Restart' });
    } finally {
      await dynamo.stop();
    }
  });
});
