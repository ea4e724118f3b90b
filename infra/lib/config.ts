// Deployment settings of the Pika stack: CDK context values (`cdk synth -c
// key=value`, or the "context" of cdk.json) and the PIKA_LAMBDA_ASSETS
// environment variable. Nothing here needs AWS credentials.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { Node } from 'constructs';
import * as logs from 'aws-cdk-lib/aws-logs';

/** The names of the three Rust binaries (cargo-lambda output directories). */
export const FUNCTION_NAMES = ['pika-api', 'pika-stream', 'pika-jobs'] as const;
export type FunctionName = (typeof FUNCTION_NAMES)[number];

export type AgentRuntime = 'converse' | 'inline-agent';

export interface PikaConfig {
  /** Table prefix: the tables are `{prefix}-sessions` etc. Also prefixes function and log group names. */
  readonly prefix: string;
  /** Directory holding `<function>/bootstrap` for each function. */
  readonly lambdaAssets: string;
  /** Origins of the web page, for API Gateway, the function URL and S3 CORS; none by default (no cross-origin access). */
  readonly corsOrigins: string[];
  /**
   * Whether the functions also accept HS256 tokens signed with a key in
   * Secrets Manager (PIKA_JWT_SECRET_ARN), beside Cognito's. Off by default:
   * nothing on AWS issues them, and whoever reads the key mints site admins.
   */
  readonly hs256Tokens: boolean;
  /** DynamoDB deletion protection on every table (on by default). */
  readonly deletionProtection: boolean;
  /**
   * API Gateway access logs (JSON, one line per request, in their own log
   * group). Needs API Gateway's account-level CloudWatch role, which the
   * stack then declares (one per account and region; retained).
   */
  readonly apiAccessLogs: boolean;
  /** Cognito threat protection (needs the Plus feature plan): full function, or audit only. */
  readonly threatProtection: 'full' | 'audit' | 'off';
  /** Days after which objects under `uploads/` expire. */
  readonly uploadExpiryDays: number;
  /** Cognito authorizer on the REST API (PIKA_AUTH_MODE=authorizer); else the api verifies JWTs itself. */
  readonly authorizer: boolean;
  /** Declare an OpenSearch domain (PIKA_SEARCH_ENDPOINT). */
  readonly search: boolean;
  /** Its data node instance type. */
  readonly searchInstanceType?: string;
  /** AgentCore Memory id (PIKA_MEMORY_ID); user memory is off without it. */
  readonly memoryId?: string;
  /** Namespace templates of the memory's strategies (each holding `{actorId}`), when not the defaults. */
  readonly memoryPreferencesNamespace?: string;
  readonly memoryFactsNamespace?: string;
  readonly agentRuntime: AgentRuntime;
  readonly guardrailId?: string;
  /** Host names `http`/`mcp` tools may call (PIKA_HTTP_TOOLS_ALLOWED_HOSTS); empty: any public host. */
  readonly httpToolsAllowedHosts: string[];
  /** CIDR ranges opened to `http`/`mcp` tools (PIKA_HTTP_TOOLS_ALLOW_PRIVATE). */
  readonly httpToolsAllowPrivate: string[];
  /** A Secrets Manager secret (JSON object) whose values tool headers name as `secret:NAME`. */
  readonly toolSecretsArn?: string;
  readonly guardrailVersion?: string;
  readonly insightsModelId?: string;
  /**
   * The site configuration the api function stores on its first cold start
   * (PIKA_SITE_CONFIG, JSON as `PUT /admin/site` takes it). Default: entities
   * by the `accountId` custom-data attribute, nothing else on.
   */
  readonly siteConfig: string;
  readonly turnDeadlineMarginMs: number;
  readonly rustLog: string;
  readonly logRetention: logs.RetentionDays;
  /** X-Ray active tracing on the functions and the API stage. */
  readonly tracing: boolean;
  /** REST API stage throttling (steady requests per second, burst). */
  readonly apiRateLimit: number;
  readonly apiBurstLimit: number;
  /** Usage plan quota (requests per day, per API key). */
  readonly apiQuotaPerDay: number;
  /**
   * Reserved concurrency of the stream function (0: none): the most turns
   * running at once in the account's Lambda pool, so a flood of turns
   * cannot starve the api and jobs functions, and its cost has a ceiling.
   */
  readonly streamReservedConcurrency: number;
  /** Email subscribed to the alarm topic, if any. */
  readonly alarmEmail?: string;
  /** Chat app ids that get their own EMF alarms (the EMF metrics carry a `chatAppId` dimension). */
  readonly alarmChatAppIds: string[];
  /** Threshold of the ResponseLatency p95 alarms, milliseconds. */
  readonly responseLatencyP95Ms: number;
  /** Threshold of the SelfCorrectionRate alarms (average, 0..1). */
  readonly selfCorrectionRate: number;
}

function str(node: Node, key: string): string | undefined {
  const v: unknown = node.tryGetContext(key);
  if (v === undefined || v === null) return undefined;
  const s = String(v).trim();
  return s === '' ? undefined : s;
}

function bool(node: Node, key: string, dflt: boolean): boolean {
  const v: unknown = node.tryGetContext(key);
  if (v === undefined || v === null || v === '') return dflt;
  if (v === true || v === 'true') return true;
  if (v === false || v === 'false') return false;
  throw new Error(`context ${key}: expected true or false, got ${JSON.stringify(v)}`);
}

function int(node: Node, key: string, dflt: number, min: number, max: number): number {
  const s = str(node, key);
  if (s === undefined) return dflt;
  const n = Number(s);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new Error(`context ${key}: expected an integer in [${min}, ${max}], got ${s}`);
  }
  return n;
}

function list(node: Node, key: string, dflt: string[]): string[] {
  const v: unknown = node.tryGetContext(key);
  if (v === undefined || v === null || v === '') return dflt;
  const items = Array.isArray(v) ? v.map(String) : String(v).split(',');
  return items.map((s) => s.trim()).filter((s) => s !== '');
}

/** Reads and validates the configuration; throws with the offending key. */
export function readConfig(node: Node, env: NodeJS.ProcessEnv = process.env): PikaConfig {
  const prefix = str(node, 'prefix') ?? 'pika';
  if (!/^[a-z][a-z0-9-]{0,39}$/.test(prefix)) {
    throw new Error(`context prefix: lower-case letters, digits and '-', starting with a letter, at most 40 (got ${prefix})`);
  }

  const infraDir = path.resolve(__dirname, '..');
  const assets = env.PIKA_LAMBDA_ASSETS && env.PIKA_LAMBDA_ASSETS.trim() !== ''
    ? path.resolve(env.PIKA_LAMBDA_ASSETS)
    : path.resolve(infraDir, '..', 'target', 'lambda');
  for (const name of FUNCTION_NAMES) {
    const bootstrap = path.join(assets, name, 'bootstrap');
    if (!fs.existsSync(bootstrap)) {
      throw new Error(
        `missing ${bootstrap}: build the functions with \`bash scripts/build-lambdas.sh\` ` +
          '(or point PIKA_LAMBDA_ASSETS at a directory holding pika-api/, pika-stream/, pika-jobs/; infra/synth.sh creates placeholders)',
      );
    }
  }

  // No default origin: a production stack allows only the origins its
  // operator names (a page on localhost must be listed explicitly).
  const corsOrigins = list(node, 'corsOrigins', []);
  for (const o of corsOrigins) {
    if (o !== '*' && !/^https?:\/\/[^/\s,]+$/.test(o)) {
      throw new Error(`context corsOrigins: ${o} is not an origin (scheme://host[:port], no path)`);
    }
  }

  const agentRuntime = str(node, 'agentRuntime') ?? 'converse';
  if (agentRuntime !== 'converse' && agentRuntime !== 'inline-agent') {
    throw new Error(`context agentRuntime: converse or inline-agent, got ${agentRuntime}`);
  }

  const retentionDays = int(node, 'logRetentionDays', 90, 1, 3653);
  if (!(Object.values(logs.RetentionDays) as unknown[]).includes(retentionDays)) {
    throw new Error(`context logRetentionDays: ${retentionDays} is not a CloudWatch Logs retention (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, ...)`);
  }

  const guardrailId = str(node, 'guardrailId');
  const guardrailVersion = str(node, 'guardrailVersion');
  if ((guardrailId === undefined) !== (guardrailVersion === undefined)) {
    throw new Error('context guardrailId and guardrailVersion go together');
  }

  const httpToolsAllowedHosts = list(node, 'httpToolsAllowedHosts', []);
  for (const h of httpToolsAllowedHosts) {
    if (!/^[a-zA-Z0-9.-]+$/.test(h)) {
      throw new Error(`context httpToolsAllowedHosts: ${h} is not a host name`);
    }
  }
  const httpToolsAllowPrivate = list(node, 'httpToolsAllowPrivate', []);
  for (const c of httpToolsAllowPrivate) {
    if (!/^[0-9a-fA-F.:]+\/\d{1,3}$/.test(c)) {
      throw new Error(`context httpToolsAllowPrivate: ${c} is not an address range (10.0.0.0/16)`);
    }
  }
  const toolSecretsArn = str(node, 'toolSecretsArn');
  if (toolSecretsArn !== undefined && !/^arn:aws[a-z-]*:secretsmanager:[^:]+:\d{12}:secret:.+$/.test(toolSecretsArn)) {
    throw new Error(`context toolSecretsArn: not a Secrets Manager secret ARN: ${toolSecretsArn}`);
  }

  const memoryId = str(node, 'memoryId');
  const memoryPreferencesNamespace = str(node, 'memoryPreferencesNamespace');
  const memoryFactsNamespace = str(node, 'memoryFactsNamespace');
  for (const [k, v] of [['memoryPreferencesNamespace', memoryPreferencesNamespace], ['memoryFactsNamespace', memoryFactsNamespace]]) {
    if (v !== undefined && !v.includes('{actorId}')) {
      throw new Error(`context ${k}: must hold {actorId} (else every user's records share one namespace)`);
    }
  }
  if (memoryId !== undefined && !/^[a-zA-Z][a-zA-Z0-9-_]{0,99}$/.test(memoryId)) {
    throw new Error(`context memoryId: not an AgentCore memory id: ${memoryId}`);
  }

  const siteRaw: unknown = node.tryGetContext('siteConfig');
  let siteConfig: string;
  if (siteRaw === undefined || siteRaw === null || siteRaw === '') {
    siteConfig = JSON.stringify({ features: { entity: { enabled: true, attributePath: 'accountId' } } });
  } else {
    let parsed: unknown;
    try {
      parsed = typeof siteRaw === 'string' ? JSON.parse(siteRaw) : siteRaw;
    } catch (e) {
      throw new Error(`context siteConfig: not JSON (${String(e)})`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new Error('context siteConfig: a JSON object, as PUT /admin/site takes it');
    }
    siteConfig = JSON.stringify(parsed);
  }

  const threatProtection = str(node, 'threatProtection') ?? 'full';
  if (threatProtection !== 'full' && threatProtection !== 'audit' && threatProtection !== 'off') {
    throw new Error(`context threatProtection: full, audit or off, got ${threatProtection}`);
  }

  const selfCorrectionRate = Number(str(node, 'selfCorrectionRateAlarm') ?? '0.3');
  if (!(selfCorrectionRate > 0 && selfCorrectionRate <= 1)) {
    throw new Error('context selfCorrectionRateAlarm: a number in (0, 1]');
  }

  return {
    prefix,
    lambdaAssets: assets,
    corsOrigins,
    hs256Tokens: bool(node, 'hs256Tokens', false),
    deletionProtection: bool(node, 'deletionProtection', true),
    apiAccessLogs: bool(node, 'apiAccessLogs', true),
    threatProtection,
    uploadExpiryDays: int(node, 'uploadExpiryDays', 30, 1, 3650),
    authorizer: bool(node, 'authorizer', true),
    search: bool(node, 'search', false),
    searchInstanceType: str(node, 'searchInstanceType'),
    memoryId,
    memoryPreferencesNamespace,
    memoryFactsNamespace,
    agentRuntime,
    guardrailId,
    httpToolsAllowedHosts,
    httpToolsAllowPrivate,
    toolSecretsArn,
    guardrailVersion,
    insightsModelId: str(node, 'insightsModelId'),
    siteConfig,
    turnDeadlineMarginMs: int(node, 'turnDeadlineMarginMs', 10000, 1000, 120000),
    rustLog: str(node, 'rustLog') ?? 'info',
    logRetention: retentionDays as logs.RetentionDays,
    tracing: bool(node, 'tracing', false),
    apiRateLimit: int(node, 'apiRateLimit', 50, 1, 10000),
    apiBurstLimit: int(node, 'apiBurstLimit', 100, 1, 5000),
    apiQuotaPerDay: int(node, 'apiQuotaPerDay', 100000, 1, 100000000),
    streamReservedConcurrency: int(node, 'streamReservedConcurrency', 50, 0, 10000),
    alarmEmail: str(node, 'alarmEmail'),
    alarmChatAppIds: list(node, 'alarmChatAppIds', []),
    responseLatencyP95Ms: int(node, 'responseLatencyP95MsAlarm', 60000, 100, 900000),
    selfCorrectionRate,
  };
}
