import type { Template } from 'aws-cdk-lib/assertions';
import { Match } from 'aws-cdk-lib/assertions';
import { tableDefinitions } from '../../lambdas/adapters/dynamodb/tables';
import { build, templates } from './stacks';

describe('DataStack', () => {
  let t: Template;
  beforeAll(() => {
    t = templates(build()).data;
  });

  const tableWith = (indexes: object[]) => ({
    KeySchema: [
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ],
    BillingMode: 'PAY_PER_REQUEST',
    PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    SSESpecification: { SSEEnabled: true },
    DeletionProtectionEnabled: true,
    GlobalSecondaryIndexes: indexes,
  });

  it('has exactly the two tables, both retained on delete and replace', () => {
    t.resourceCountIs('AWS::DynamoDB::Table', 2);
    const tables = t.findResources('AWS::DynamoDB::Table');
    for (const r of Object.values(tables)) {
      expect(r.DeletionPolicy).toBe('Retain');
      expect(r.UpdateReplacePolicy).toBe('Retain');
    }
  });

  it('Main: pk/sk, gsi1..gsi4 and sparse gsi5, all KEYS_ONLY', () => {
    const gsi = (n: number) => ({
      IndexName: `gsi${n}`,
      KeySchema: [
        { AttributeName: `gsi${n}pk`, KeyType: 'HASH' },
        { AttributeName: `gsi${n}sk`, KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'KEYS_ONLY' },
    });
    t.hasResourceProperties('AWS::DynamoDB::Table', tableWith([1, 2, 3, 4, 5].map(gsi)));
  });

  it('Logs: byDevice (deviceKey/sk, ALL), sharded byTypeShard (typeShardKey/sk, KEYS_ONLY) and the retired byType', () => {
    const idx = (name: string, pk: string, projection: string) => ({
      IndexName: name,
      KeySchema: [
        { AttributeName: pk, KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: projection },
    });
    t.hasResourceProperties(
      'AWS::DynamoDB::Table',
      tableWith([
        idx('byDevice', 'deviceKey', 'ALL'),
        idx('byTypeShard', 'typeShardKey', 'KEYS_ONLY'),
        idx('byType', 'typeKey', 'ALL'),
      ]),
    );
  });

  it('declares every index local mode creates (lambdas/adapters/dynamodb/tables.ts) with the same keys and projection', () => {
    const deployed = Object.values(t.findResources('AWS::DynamoDB::Table')).flatMap(
      (r) => r.Properties.GlobalSecondaryIndexes as object[],
    );
    for (const def of tableDefinitions({ main: 'Main', logs: 'Logs' })) {
      for (const index of def.GlobalSecondaryIndexes ?? []) expect(deployed).toContainEqual(index);
    }
  });

  it('uses the AWS managed key for tables (no customer key in SSESpecification)', () => {
    for (const r of Object.values(t.findResources('AWS::DynamoDB::Table'))) {
      expect(r.Properties.SSESpecification).toEqual({ SSEEnabled: true });
    }
  });

  it('has a retained KMS key with rotation for tenant secrets', () => {
    t.resourceCountIs('AWS::KMS::Key', 1);
    t.hasResource('AWS::KMS::Key', {
      Properties: Match.objectLike({ EnableKeyRotation: true }),
      DeletionPolicy: 'Retain',
    });
  });
});
