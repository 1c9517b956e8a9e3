// Table and index definitions of docs/architecture.md, in CreateTable form. Local mode and the
// tests create tables from these; lib/data-stack.ts declares the same keys for CloudFormation.
import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';

export const MAIN_GSIS = ['gsi1', 'gsi2', 'gsi3', 'gsi4', 'gsi5'] as const;

export interface TableNames {
  main: string;
  logs: string;
}

const keysOnly = (name: string) => ({
  IndexName: name,
  KeySchema: [
    { AttributeName: `${name}pk`, KeyType: 'HASH' as const },
    { AttributeName: `${name}sk`, KeyType: 'RANGE' as const },
  ],
  Projection: { ProjectionType: 'KEYS_ONLY' as const },
});

export function tableDefinitions(names: TableNames): CreateTableCommandInput[] {
  return [
    {
      TableName: names.main,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
        ...MAIN_GSIS.flatMap((g) => [
          { AttributeName: `${g}pk`, AttributeType: 'S' as const },
          { AttributeName: `${g}sk`, AttributeType: 'S' as const },
        ]),
      ],
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: MAIN_GSIS.map(keysOnly),
    },
    {
      TableName: names.logs,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
        { AttributeName: 'deviceKey', AttributeType: 'S' },
        { AttributeName: 'typeShardKey', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: [
        {
          IndexName: 'byDevice',
          KeySchema: [
            { AttributeName: 'deviceKey', KeyType: 'HASH' },
            { AttributeName: 'sk', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
        {
          // Keys only: a log line is written once more here at ~100 bytes, not its full size.
          IndexName: 'byTypeShard',
          KeySchema: [
            { AttributeName: 'typeShardKey', KeyType: 'HASH' },
            { AttributeName: 'sk', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'KEYS_ONLY' },
        },
      ],
    },
  ];
}
