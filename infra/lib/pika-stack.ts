// PikaStack: everything Pika runs on, environment-agnostic (no account or
// region, no lookups): synthesizes without AWS credentials.

import { CfnOutput, Stack, StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { Alarms } from './alarms';
import { Api } from './api';
import { Auth } from './auth';
import { PikaConfig } from './config';
import { Functions } from './functions';
import { Jobs } from './jobs';
import { Search } from './search';
import { Storage } from './storage';

export interface PikaStackProps extends StackProps {
  readonly config: PikaConfig;
}

export class PikaStack extends Stack {
  readonly storage: Storage;
  readonly auth: Auth;
  readonly search?: Search;
  readonly functions: Functions;
  readonly api: Api;
  readonly jobs: Jobs;
  readonly alarms: Alarms;

  constructor(scope: Construct, id: string, props: PikaStackProps) {
    super(scope, id, props);
    const { config } = props;

    this.storage = new Storage(this, 'Storage', {
      prefix: config.prefix,
      corsOrigins: config.corsOrigins,
      deletionProtection: config.deletionProtection,
      uploadExpiryDays: config.uploadExpiryDays,
    });
    this.auth = new Auth(this, 'Auth', {
      prefix: config.prefix,
      hs256Tokens: config.hs256Tokens,
      threatProtection: config.threatProtection,
    });
    this.search = config.search
      ? new Search(this, 'Search', { prefix: config.prefix, instanceType: config.searchInstanceType })
      : undefined;
    this.functions = new Functions(this, 'Functions', {
      config,
      storage: this.storage,
      auth: this.auth,
      search: this.search,
    });
    this.api = new Api(this, 'Api', {
      config,
      auth: this.auth,
      apiFunction: this.functions.api,
      streamFunction: this.functions.stream,
    });
    // The API answers a turn with the stream function's URL (PIKA_STREAM_URL).
    this.functions.api.addEnvironment('PIKA_STREAM_URL', this.api.streamUrl.url);
    this.jobs = new Jobs(this, 'Jobs', { prefix: config.prefix, jobsFunction: this.functions.jobs });
    this.alarms = new Alarms(this, 'Alarms', {
      prefix: config.prefix,
      functions: { api: this.functions.api, stream: this.functions.stream, jobs: this.functions.jobs },
      restApi: this.api.restApi,
      tables: this.storage.tables,
      alarmEmail: config.alarmEmail,
      chatAppIds: config.alarmChatAppIds,
      responseLatencyP95Ms: config.responseLatencyP95Ms,
      selfCorrectionRate: config.selfCorrectionRate,
      jobDeadLetters: this.jobs.deadLetters,
    });

    const out = (id: string, value: string, description: string) =>
      new CfnOutput(this, id, { value, description });
    out('ApiUrl', this.api.restApi.url, 'REST API base URL (stage v1)');
    out('StreamUrl', this.api.streamUrl.url, 'Function URL of the streamed chat turn');
    out('UserPoolId', this.auth.userPool.userPoolId, 'Cognito user pool id');
    out('UserPoolClientId', this.auth.userPoolClient.userPoolClientId, 'Cognito app client id (the JWT audience)');
    out('TablePrefix', config.prefix, 'DynamoDB table prefix (PIKA_TABLE_PREFIX)');
    out('FilesBucketName', this.storage.filesBucket.bucketName, 'Uploads bucket (PIKA_FILES_BUCKET)');
    out('InsightsBucketName', this.storage.insightsBucket.bucketName, 'Insight documents bucket (PIKA_INSIGHTS_BUCKET)');
    out('AssetsBucketName', this.storage.assetsBucket.bucketName, 'Component modules of tags (PIKA_ASSETS_BUCKET)');
    if (this.auth.jwtSecret) {
      out('JwtSecretArn', this.auth.jwtSecret.secretArn, 'Secrets Manager secret holding the HS256 key (hs256Tokens)');
    }
    out('AlarmTopicArn', this.alarms.topic.topicArn, 'SNS topic of the alarms');
    if (this.search) out('SearchEndpoint', this.search.endpoint, 'OpenSearch endpoint (PIKA_SEARCH_ENDPOINT)');
  }
}
