// DynamoDB tables and S3 buckets of docs/storage.md. The table specs mirror
// `pika-aws-adapters/src/dynamodb/tables.rs` one to one (names, keys, GSIs,
// TTL attributes); change both together.

import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

/** A key: partition attribute and optional sort attribute (all strings). */
interface KeySpec {
  readonly partition: string;
  readonly sort?: string;
}

interface IndexSpec {
  readonly name: string;
  readonly key: KeySpec;
}

export interface TableSpec {
  /** The table is `{prefix}-{suffix}`. */
  readonly suffix: TableName;
  readonly key: KeySpec;
  readonly indexes: IndexSpec[];
  readonly ttl?: string;
}

export type TableName =
  | 'sessions'
  | 'messages'
  | 'claims'
  | 'config'
  | 'users'
  | 'feedback'
  | 'usage'
  | 'locks'
  | 'turns';

const key = (partition: string, sort?: string): KeySpec => ({ partition, sort });
const index = (name: string, partition: string, sort?: string): IndexSpec => ({
  name,
  key: key(partition, sort),
});

/** Every table, in the order of `ALL_TABLES` in tables.rs. */
export const TABLE_SPECS: readonly TableSpec[] = [
  {
    suffix: 'sessions',
    key: key('sessionId'),
    indexes: [
      index('byUser', 'userId', 'sessionId'),
      index('byUserApp', 'userApp', 'sessionId'),
      index('byEntity', 'entityId', 'sessionId'),
      index('byShare', 'shareKey'),
      index('byInsightsDue', 'insightsDue', 'updatedKey'),
      index('byExpiry', 'expiryDue', 'expiresKey'),
    ],
  },
  { suffix: 'messages', key: key('sessionId', 'messageId'), indexes: [] },
  { suffix: 'claims', key: key('claimKey'), indexes: [], ttl: 'ttl' },
  { suffix: 'config', key: key('pk'), indexes: [index('byKind', 'kind', 'itemId')] },
  { suffix: 'users', key: key('userId'), indexes: [] },
  {
    suffix: 'feedback',
    key: key('feedbackId'),
    indexes: [
      index('bySession', 'sessionId', 'createdKey'),
      index('byAll', 'feedbackAll', 'createdKey'),
      index('byStatus', 'status', 'createdKey'),
      index('byChatApp', 'chatAppId', 'createdKey'),
      index('byAppStatus', 'appStatus', 'createdKey'),
    ],
  },
  { suffix: 'usage', key: key('pk', 'sk'), indexes: [], ttl: 'ttl' },
  { suffix: 'locks', key: key('name'), indexes: [], ttl: 'ttl' },
  { suffix: 'turns', key: key('sessionId', 'item'), indexes: [], ttl: 'ttl' },
];

const attr = (name: string): dynamodb.Attribute => ({ name, type: dynamodb.AttributeType.STRING });

/** Logical id of a table: `SessionsTable`, `MessagesTable`, ... */
const logicalId = (suffix: string): string => `${suffix[0].toUpperCase()}${suffix.slice(1)}Table`;

export interface StorageProps {
  readonly prefix: string;
  readonly corsOrigins: string[];
  /** DynamoDB deletion protection on every table. */
  readonly deletionProtection: boolean;
  readonly uploadExpiryDays: number;
}

/** The tables and buckets. Data is retained when the stack is deleted. */
export class Storage extends Construct {
  readonly tables: Record<TableName, dynamodb.Table>;
  /** Uploads (`uploads/...`). */
  readonly filesBucket: s3.Bucket;
  /** Insight documents (`session-insights/...`), versioned. */
  readonly insightsBucket: s3.Bucket;
  /** Tags' web component modules (`components/…`), versioned. */
  readonly assetsBucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: StorageProps) {
    super(scope, id);

    const tables: Partial<Record<TableName, dynamodb.Table>> = {};
    for (const spec of TABLE_SPECS) {
      const table = new dynamodb.Table(this, logicalId(spec.suffix), {
        tableName: `${props.prefix}-${spec.suffix}`,
        partitionKey: attr(spec.key.partition),
        sortKey: spec.key.sort ? attr(spec.key.sort) : undefined,
        billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        timeToLiveAttribute: spec.ttl,
        encryption: dynamodb.TableEncryption.AWS_MANAGED,
        // No DeleteTable, by anyone, until an operator turns this off.
        // (A first deploy that fails cannot remove a protected table: deploy
        // it with `-c deletionProtection=false` while iterating.)
        deletionProtection: props.deletionProtection,
        // Kept when the stack is deleted or the table replaced, but removed
        // when the first deploy fails and rolls back: a retried deploy would
        // otherwise meet a table of the same name and fail again.
        removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
      });
      for (const ix of spec.indexes) {
        table.addGlobalSecondaryIndex({
          indexName: ix.name,
          partitionKey: attr(ix.key.partition),
          sortKey: ix.key.sort ? attr(ix.key.sort) : undefined,
          projectionType: dynamodb.ProjectionType.ALL,
        });
      }
      // Stable logical ids (`SessionsTable`, ...), independent of the construct tree.
      (table.node.defaultChild as dynamodb.CfnTable).overrideLogicalId(logicalId(spec.suffix));
      tables[spec.suffix] = table;
    }
    this.tables = tables as Record<TableName, dynamodb.Table>;

    const protections = {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy: RemovalPolicy.RETAIN,
    } satisfies s3.BucketProps;

    this.filesBucket = new s3.Bucket(this, 'FilesBucket', {
      ...protections,
      lifecycleRules: [
        {
          id: 'expire-uploads',
          prefix: 'uploads/',
          expiration: Duration.days(props.uploadExpiryDays),
        },
        { id: 'abort-incomplete-multipart', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
      cors: [
        {
          // Presigned PUT (upload) and GET (download) straight from the browser.
          allowedMethods: [s3.HttpMethods.PUT, s3.HttpMethods.GET, s3.HttpMethods.HEAD],
          allowedOrigins: props.corsOrigins,
          allowedHeaders: ['*'],
          exposedHeaders: ['ETag'],
          maxAge: 3000,
        },
      ],
    });

    (this.filesBucket.node.defaultChild as s3.CfnBucket).overrideLogicalId('FilesBucket');

    this.insightsBucket = new s3.Bucket(this, 'InsightsBucket', {
      ...protections,
      versioned: true,
      lifecycleRules: [
        { id: 'expire-old-versions', noncurrentVersionExpiration: Duration.days(90) },
        { id: 'abort-incomplete-multipart', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
    });
    (this.insightsBucket.node.defaultChild as s3.CfnBucket).overrideLogicalId('InsightsBucket');

    // The api function serves the modules itself (GET /components/{name}),
    // so the bucket needs no CORS and no public access.
    this.assetsBucket = new s3.Bucket(this, 'AssetsBucket', {
      ...protections,
      versioned: true,
      lifecycleRules: [
        { id: 'expire-old-versions', noncurrentVersionExpiration: Duration.days(90) },
        { id: 'abort-incomplete-multipart', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
    });
    (this.assetsBucket.node.defaultChild as s3.CfnBucket).overrideLogicalId('AssetsBucket');
  }
}
