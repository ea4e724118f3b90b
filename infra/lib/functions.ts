// The three Rust functions (cargo-lambda output, custom runtime on arm64),
// their environment (exactly docs/lambda-env.md) and their least-privilege
// permissions.

import * as path from 'node:path';
import { Arn, ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { Auth } from './auth';
import { FunctionName, PikaConfig } from './config';
import { Search } from './search';
import { Storage } from './storage';

/** The tag a tool function must carry to be invoked by an agent. */
export const TOOL_TAG_KEY = 'agent-tool';
export const TOOL_TAG_VALUE = 'true';

export interface FunctionsProps {
  readonly config: PikaConfig;
  readonly storage: Storage;
  readonly auth: Auth;
  readonly search?: Search;
}

interface FunctionSpec {
  /** `api`, `stream` or `jobs` (PIKA_FUNCTION). */
  readonly role: 'api' | 'stream' | 'jobs';
  readonly asset: FunctionName;
  /** Logical id in the template. */
  readonly logicalId: string;
  readonly memorySize: number;
  readonly timeout: Duration;
  readonly description: string;
}

const SPECS: Record<'api' | 'stream' | 'jobs', FunctionSpec> = {
  api: {
    role: 'api',
    asset: 'pika-api',
    logicalId: 'PikaApiFunction',
    memorySize: 512,
    timeout: Duration.seconds(29),
    description: 'Pika REST API (behind API Gateway)',
  },
  stream: {
    role: 'stream',
    asset: 'pika-stream',
    logicalId: 'PikaStreamFunction',
    memorySize: 1024,
    timeout: Duration.minutes(15),
    description: 'Pika streaming chat turn (function URL, response streaming)',
  },
  jobs: {
    role: 'jobs',
    asset: 'pika-jobs',
    logicalId: 'PikaJobsFunction',
    memorySize: 1024,
    timeout: Duration.minutes(5),
    description: 'Pika background jobs (insights, cleanup, usage report; EventBridge)',
  },
};

export class Functions extends Construct {
  readonly api: lambda.Function;
  readonly stream: lambda.Function;
  readonly jobs: lambda.Function;
  /** The role inline agents' Lambda action groups run under (PIKA_AGENT_ROLE_ARN). */
  readonly agentRole: iam.Role;

  constructor(scope: Construct, id: string, props: FunctionsProps) {
    super(scope, id);
    const { config, storage, auth, search } = props;
    const stack = Stack.of(this);
    const t = storage.tables;

    // --- environment (docs/lambda-env.md) -----------------------------------
    const common: Record<string, string> = {
      PIKA_TABLE_PREFIX: config.prefix,
      PIKA_FILES_BUCKET: storage.filesBucket.bucketName,
      PIKA_INSIGHTS_BUCKET: storage.insightsBucket.bucketName,
      PIKA_AGENT_RUNTIME: config.agentRuntime,
      RUST_LOG: config.rustLog,
    };
    if (search) common.PIKA_SEARCH_ENDPOINT = search.endpoint;
    const memory: Record<string, string> = config.memoryId
      ? {
          PIKA_MEMORY_ID: config.memoryId,
          ...(config.memoryPreferencesNamespace
            ? { PIKA_MEMORY_PREFERENCES_NAMESPACE: config.memoryPreferencesNamespace }
            : {}),
          ...(config.memoryFactsNamespace ? { PIKA_MEMORY_FACTS_NAMESPACE: config.memoryFactsNamespace } : {}),
        }
      : {};
    const cors = { PIKA_CORS_ORIGINS: config.corsOrigins.join(',') };
    // Where Cognito's tokens carry Pika's user fields.
    const claims = {
      PIKA_CLAIM_USER_TYPE: 'custom:userType',
      PIKA_CLAIM_ROLES: 'cognito:groups',
      PIKA_CLAIM_CUSTOM_DATA: 'custom:customData',
    };
    // The stream function (and the api without the authorizer) verify
    // Cognito ID tokens (RS256, JWKS); tokens signed with the HS256 key
    // only when an operator opted in (hs256Tokens).
    const jwt: Record<string, string> = {
      PIKA_AUTH_MODE: 'jwt',
      ...(auth.jwtSecret ? { PIKA_JWT_SECRET_ARN: auth.jwtSecret.secretArn } : {}),
      PIKA_JWKS_URL: auth.jwksUrl,
      PIKA_JWT_ISSUER: auth.issuer,
      PIKA_JWT_AUDIENCE: auth.userPoolClient.userPoolClientId,
      // Cognito ID tokens only (an access token carries no user attributes).
      PIKA_JWT_TOKEN_USE: 'id',
    };

    this.agentRole = new iam.Role(this, 'AgentRole', {
      description: 'Role of Pika inline agents: may invoke only functions tagged agent-tool=true',
      assumedBy: new iam.ServicePrincipal('bedrock.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
    });
    this.agentRole.addToPolicy(invokeTaggedTools(stack, ['lambda:InvokeFunction']));

    // http/mcp tools: the stream runs them, the api lists an mcp server's
    // tools when an admin saves one; both through the same guard.
    const httpTools: Record<string, string> = {
      ...(config.httpToolsAllowedHosts.length > 0
        ? { PIKA_HTTP_TOOLS_ALLOWED_HOSTS: config.httpToolsAllowedHosts.join(',') }
        : {}),
      ...(config.httpToolsAllowPrivate.length > 0
        ? { PIKA_HTTP_TOOLS_ALLOW_PRIVATE: config.httpToolsAllowPrivate.join(',') }
        : {}),
      ...(config.toolSecretsArn ? { PIKA_TOOL_SECRETS_ARN: config.toolSecretsArn } : {}),
    };

    const apiEnv: Record<string, string> = {
      PIKA_FUNCTION: 'api',
      ...common,
      // The site configuration's seed, stored on the first cold start
      // (only the api may write the config table); then PUT /admin/site.
      PIKA_SITE_CONFIG: config.siteConfig,
      PIKA_ASSETS_BUCKET: storage.assetsBucket.bucketName,
      ...httpTools,
      ...(config.insightsModelId ? { PIKA_INSIGHTS_MODEL_ID: config.insightsModelId } : {}),
      ...memory,
      ...(config.authorizer ? { PIKA_AUTH_MODE: 'authorizer' } : jwt),
      ...cors,
      ...claims,
    };
    const streamEnv: Record<string, string> = {
      PIKA_FUNCTION: 'stream',
      ...common,
      ...(config.guardrailId && config.guardrailVersion
        ? { PIKA_GUARDRAIL_ID: config.guardrailId, PIKA_GUARDRAIL_VERSION: config.guardrailVersion }
        : {}),
      ...memory,
      PIKA_TOOL_TAG_CHECK: 'true',
      ...httpTools,
      ...jwt,
      // No PIKA_CORS_ORIGINS: the function URL's own CORS configuration is
      // the one authority for the stream (api.ts).
      ...claims,
      PIKA_TURN_DEADLINE_MARGIN_MS: String(config.turnDeadlineMarginMs),
    };
    const jobsEnv: Record<string, string> = {
      PIKA_FUNCTION: 'jobs',
      ...common,
    };

    this.api = this.makeFunction(SPECS.api, config, apiEnv);
    this.stream = this.makeFunction(SPECS.stream, config, streamEnv);
    this.jobs = this.makeFunction(SPECS.jobs, config, jobsEnv);
    // The stream function's Function URL has no API Gateway in front: its
    // reserved concurrency caps the turns running at once (per-user limits
    // are the chat service's, across containers, in the usage table).
    if (config.streamReservedConcurrency > 0) {
      (this.stream.node.defaultChild as lambda.CfnFunction).reservedConcurrentExecutions =
        config.streamReservedConcurrency;
    }

    // --- permissions --------------------------------------------------------
    // api: every table but the job locks; files and insight documents
    // (presigned PUT/GET, session deletion, user erasure).
    // The turns table: an erasure stops the user's running turns first
    // (their stop flags) and waits for them to end.
    for (const name of ['sessions', 'messages', 'claims', 'config', 'users', 'feedback', 'usage', 'turns'] as const) {
      grantTable(t[name], this.api, true);
    }
    storage.filesBucket.grantReadWrite(this.api);
    // Site admins upload component modules; anyone's page loads them.
    storage.assetsBucket.grantReadWrite(this.api, 'components/*');
    storage.insightsBucket.grantRead(this.api);
    // Deleting leaves a delete marker; the jobs function's cleanup purges
    // the old versions, so the internet-facing role cannot destroy history.
    storage.insightsBucket.grantDelete(this.api);
    if (!config.authorizer) auth.jwtSecret?.grantRead(this.api);
    // Title generation (POST /sessions/{id}/title without a title).
    this.api.addToRolePolicy(bedrockModels(stack, ['bedrock:InvokeModel']));

    // stream: a turn reads the config, writes the session, its messages,
    // the client-message claim and the usage ledger; reads attached files.
    // The turns table: which turn holds a session, its stop flag, its live
    // events (turns, stops and resumes all run on the stream function).
    // The users table: every request records its caller (UserDirectory),
    // and a turn reads the caller's user data overrides.
    for (const name of ['sessions', 'messages', 'claims', 'usage', 'turns', 'users'] as const) {
      grantTable(t[name], this.stream, true);
    }
    grantTable(t.config, this.stream, false);
    storage.filesBucket.grantRead(this.stream);
    auth.jwtSecret?.grantRead(this.stream);
    // The operator's tool secret (their own, not the stack's): read only,
    // by the functions that call tools' servers.
    if (config.toolSecretsArn) {
      const toolSecrets = secretsmanager.Secret.fromSecretCompleteArn(this, 'ToolSecrets', config.toolSecretsArn);
      toolSecrets.grantRead(this.stream);
      toolSecrets.grantRead(this.api);
    }
    this.stream.addToRolePolicy(
      bedrockModels(stack, ['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream']),
    );
    // InvokeInlineAgent has no resource type: it can only be granted on "*".
    this.stream.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['bedrock:InvokeInlineAgent'], resources: ['*'] }),
    );
    // Guardrails: the site's (guardrailId) and each agent's own, which
    // administrators name at run time — so any guardrail of this account.
    this.stream.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['bedrock:ApplyGuardrail'],
        resources: [
          stack.formatArn({
            service: 'bedrock',
            resource: 'guardrail',
            resourceName: '*',
            arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
          }),
        ],
      }),
    );
    // Knowledge bases: the agents' own, named by administrators at run
    // time — so any knowledge base of this account (Retrieve on the
    // Converse path; the inline agent retrieves with the same permission).
    this.stream.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['bedrock:Retrieve'],
        resources: [
          stack.formatArn({
            service: 'bedrock',
            resource: 'knowledge-base',
            resourceName: '*',
            arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
          }),
        ],
      }),
    );
    // Tools: only functions tagged agent-tool=true (PIKA_TOOL_TAG_CHECK
    // reads the tags first; an untagged function may not even be inspected).
    this.stream.addToRolePolicy(invokeTaggedTools(stack, ['lambda:InvokeFunction', 'lambda:ListTags']));

    // jobs: insights (sessions needing insights, their messages, the agents'
    // models, feedback, insight documents, the lock), cleanup (expired
    // sessions with their messages, feedback, uploads and documents) and the
    // usage report (the ledger's daily aggregates).
    for (const name of ['sessions', 'messages', 'feedback', 'locks'] as const) {
      grantTable(t[name], this.jobs, true);
    }
    grantTable(t.config, this.jobs, false);
    grantTable(t.usage, this.jobs, false);
    storage.filesBucket.grantRead(this.jobs);
    storage.filesBucket.grantDelete(this.jobs);
    storage.insightsBucket.grantReadWrite(this.jobs);
    purgeVersions(storage.insightsBucket, this.jobs);
    this.jobs.addToRolePolicy(
      bedrockModels(stack, ['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream']),
    );

    // User memory (AgentCore), only when configured.
    if (config.memoryId) {
      const memoryArn = stack.formatArn({
        service: 'bedrock-agentcore',
        resource: 'memory',
        resourceName: config.memoryId,
        arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
      });
      this.stream.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['bedrock-agentcore:RetrieveMemoryRecords', 'bedrock-agentcore:CreateEvent'],
          resources: [memoryArn],
        }),
      );
      this.api.addToRolePolicy(
        new iam.PolicyStatement({
          // GET /memory lists the caller's records; erasing a user deletes them.
          actions: [
            'bedrock-agentcore:ListMemoryRecords',
            'bedrock-agentcore:RetrieveMemoryRecords',
            'bedrock-agentcore:GetMemoryRecord',
            'bedrock-agentcore:DeleteMemoryRecord',
            'bedrock-agentcore:BatchDeleteMemoryRecords',
            'bedrock-agentcore:ListSessions',
            'bedrock-agentcore:ListEvents',
            'bedrock-agentcore:DeleteEvent',
          ],
          resources: [memoryArn],
        }),
      );
    }

    if (search) {
      for (const fn of [this.api, this.stream, this.jobs]) search.grantHttp(fn);
    }
  }

  private makeFunction(spec: FunctionSpec, config: PikaConfig, environment: Record<string, string>): lambda.Function {
    const functionName = `${config.prefix}-${spec.role}`;
    const logGroup = new logs.LogGroup(this, `${spec.logicalId}Logs`, {
      logGroupName: `/aws/lambda/${functionName}`,
      retention: config.logRetention,
      // The api's log holds the admin audit trail: keep it — except after a
      // failed first deploy, whose retry needs the name free again.
      removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
    });
    const fn = new lambda.Function(this, spec.logicalId, {
      functionName,
      description: spec.description,
      runtime: lambda.Runtime.PROVIDED_AL2023,
      architecture: lambda.Architecture.ARM_64,
      handler: 'bootstrap',
      code: lambda.Code.fromAsset(path.join(config.lambdaAssets, spec.asset)),
      memorySize: spec.memorySize,
      timeout: spec.timeout,
      environment,
      logGroup,
      tracing: config.tracing ? lambda.Tracing.ACTIVE : lambda.Tracing.DISABLED,
    });
    const cfn = fn.node.defaultChild as lambda.CfnFunction;
    cfn.overrideLogicalId(spec.logicalId);
    // lambda.Function always adds DependsOn its role next to the GetAtt of
    // the role's ARN (so the role exists first even where the ARN is not
    // referenced); cfn-lint W3005 flags the redundancy. Harmless, and not
    // removable through the construct's API: ignored for these resources only.
    cfn.addMetadata('cfn-lint', { config: { ignore_checks: ['W3005'] } });
    return fn;
  }
}

/** Bedrock model invocation on foundation models (any region: cross-region
 * inference profiles route there) and this account's inference profiles.
 * Model ids are runtime configuration (agents), so they are not listed. */
function bedrockModels(stack: Stack, actions: string[]): iam.PolicyStatement {
  const arn = (resource: string, account: string, region: string) =>
    Arn.format({ service: 'bedrock', resource, resourceName: '*', account, region, arnFormat: ArnFormat.SLASH_RESOURCE_NAME }, stack);
  return new iam.PolicyStatement({
    actions,
    resources: [
      arn('foundation-model', '', '*'),
      arn('inference-profile', stack.account, '*'),
      arn('application-inference-profile', stack.account, '*'),
    ],
  });
}

/** Item reads the adapters make (transactions' condition checks included). */
const DDB_READ = ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query', 'dynamodb:ConditionCheckItem', 'dynamodb:DescribeTable'];
/** Item writes (TransactWriteItems needs the per-item actions). */
const DDB_WRITE = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'];

/** Read (and write) access to `table` and its indexes. Unlike the CDK's
 * `grantReadWriteData` this leaves out `Scan` (docs/storage.md: no scans,
 * anywhere) and the stream actions (the tables have no streams). */
function grantTable(table: dynamodb.Table, fn: lambda.IFunction, write: boolean): void {
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      actions: write ? [...DDB_READ, ...DDB_WRITE] : DDB_READ,
      resources: [table.tableArn, `${table.tableArn}/index/*`],
    }),
  );
}

/** `actions` on this account's functions that carry agent-tool=true. */
function invokeTaggedTools(stack: Stack, actions: string[]): iam.PolicyStatement {
  return new iam.PolicyStatement({
    actions,
    resources: [
      stack.formatArn({ service: 'lambda', resource: 'function', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME }),
    ],
    conditions: { StringEquals: { [`aws:ResourceTag/${TOOL_TAG_KEY}`]: TOOL_TAG_VALUE } },
  });
}

/**
 * The jobs function's cleanup purges every version of deleted insight
 * documents (the bucket is versioned), finishing what a session deletion
 * or a user's erasure by the api function began.
 */
function purgeVersions(bucket: s3.IBucket, fn: lambda.Function): void {
  fn.addToRolePolicy(
    new iam.PolicyStatement({ actions: ['s3:ListBucketVersions'], resources: [bucket.bucketArn] }),
  );
  fn.addToRolePolicy(
    new iam.PolicyStatement({ actions: ['s3:DeleteObjectVersion'], resources: [bucket.arnForObjects('*')] }),
  );
}
