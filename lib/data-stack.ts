import type { StackProps } from 'aws-cdk-lib';
import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { AttributeType, BillingMode, ProjectionType, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';

/** The TTL attribute on both tables (epoch seconds); reads also filter on it (see docs/architecture.md). */
export const TTL_ATTRIBUTE = 'expiresAt';

/** Main table device indexes; gsi5 is the sparse "awaiting an answer" index. All KEYS_ONLY. */
export const MAIN_INDEXES = ['gsi1', 'gsi2', 'gsi3', 'gsi4', 'gsi5'] as const;
/** Logs table indexes: name -> partition key and projection (sort key is the table's `sk`). */
export const LOGS_INDEXES = {
  // ALL: a device's timeline and command history page straight from the index.
  byDevice: { partitionKey: 'deviceKey', projection: ProjectionType.ALL },
  // KEYS_ONLY: written for every line; a page of a type reads its lines with one BatchGetItem.
  byTypeShard: { partitionKey: 'typeShardKey', projection: ProjectionType.KEYS_ONLY },
  // Retired (lines no longer carry `typeKey`, so it takes no writes): kept for one release so
  // that updating a deployment adds one index and removes none (CloudFormation changes at most
  // one index of a table per update). Remove it in a later release (docs/operations.md).
  byType: { partitionKey: 'typeKey', projection: ProjectionType.ALL },
} as const;

export interface DataStackProps extends StackProps {
  /**
   * DynamoDB deletion protection on both tables. RETAIN already keeps them when the stack is
   * deleted; this also refuses a stray DeleteTable call.
   * @default true
   */
  readonly deletionProtection?: boolean;
}

/**
 * Stateful resources only: the two tables and the KMS key that seals tenant secrets.
 * Everything here is RETAINed; the stateless AppStack can be destroyed and redeployed freely.
 */
export class DataStack extends Stack {
  readonly mainTable: ITable;
  readonly logsTable: ITable;
  /** Key for envelope encryption of tenant secrets (CA keys, push keys) by the app's SecretBox. */
  readonly secretsKey: IKey;

  constructor(scope: Construct, id: string, props: DataStackProps = {}) {
    super(scope, id, props);
    const deletionProtection = props.deletionProtection ?? true;

    const common = {
      partitionKey: { name: 'pk', type: AttributeType.STRING },
      sortKey: { name: 'sk', type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: TableEncryption.AWS_MANAGED,
      timeToLiveAttribute: TTL_ATTRIBUTE,
      removalPolicy: RemovalPolicy.RETAIN,
      deletionProtection,
    };

    const main = new Table(this, 'Main', common);
    // KEYS_ONLY: a device write that does not move it between lists costs no index write;
    // lists read keys from the index and then BatchGetItem the devices.
    for (const name of MAIN_INDEXES) {
      main.addGlobalSecondaryIndex({
        indexName: name,
        partitionKey: { name: `${name}pk`, type: AttributeType.STRING },
        sortKey: { name: `${name}sk`, type: AttributeType.STRING },
        projectionType: ProjectionType.KEYS_ONLY,
      });
    }

    const logs = new Table(this, 'Logs', common);
    // Partition keys are sharded where one tenant writes at fleet rate (docs/architecture.md).
    for (const [indexName, { partitionKey, projection }] of Object.entries(LOGS_INDEXES)) {
      logs.addGlobalSecondaryIndex({
        indexName,
        partitionKey: { name: partitionKey, type: AttributeType.STRING },
        sortKey: { name: 'sk', type: AttributeType.STRING },
        projectionType: projection,
      });
    }

    this.secretsKey = new Key(this, 'SecretsKey', {
      description: 'Serverless MDM: envelope encryption of tenant secrets (device CA keys, push credentials)',
      enableKeyRotation: true,
      // Losing this key loses every sealed tenant secret.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.mainTable = main;
    this.logsTable = logs;
  }
}
