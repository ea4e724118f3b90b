// The two HTTP entry points: the REST API (API Gateway v1, Lambda proxy to
// pika-api, Cognito authorizer) and the stream function's URL (response
// streaming; the chat turn is not on the REST API, whose integrations
// buffer and stop at 29 s).

import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { Auth } from './auth';
import { PikaConfig } from './config';

export interface ApiProps {
  readonly config: PikaConfig;
  readonly auth: Auth;
  readonly apiFunction: lambda.IFunction;
  readonly streamFunction: lambda.Function;
}

/** Request headers the web page sends. */
const ALLOWED_HEADERS = [
  'Authorization',
  'Content-Type',
  'Accept',
  'Last-Event-ID',
  'X-Amz-Date',
  'X-Api-Key',
  'X-Amz-Security-Token',
];

export class Api extends Construct {
  readonly restApi: apigw.RestApi;
  readonly usagePlan: apigw.UsagePlan;
  readonly streamUrl: lambda.FunctionUrl;

  constructor(scope: Construct, id: string, props: ApiProps) {
    super(scope, id);
    const { config, auth } = props;

    // One JSON line per request: who (the authorizer's `sub`), from where,
    // what, the status and the request id that problem documents carry.
    const accessLogs = config.apiAccessLogs
      ? new logs.LogGroup(this, 'AccessLogs', {
          logGroupName: `/aws/apigateway/${config.prefix}-api-access`,
          retention: config.logRetention,
          removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
        })
      : undefined;
    const cors = config.corsOrigins.length > 0;
    this.restApi = new apigw.RestApi(this, 'RestApi', {
      restApiName: `${config.prefix}-api`,
      description: 'Pika HTTP API (PIKA.md section 11) without the streamed chat turn',
      endpointTypes: [apigw.EndpointType.REGIONAL],
      // Access logging needs API Gateway's account-level CloudWatch role (a
      // singleton per account and region, kept when the stack goes).
      cloudWatchRole: config.apiAccessLogs,
      ...(config.apiAccessLogs ? { cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN } : {}),
      deployOptions: {
        stageName: 'v1',
        throttlingRateLimit: config.apiRateLimit,
        throttlingBurstLimit: config.apiBurstLimit,
        metricsEnabled: true,
        tracingEnabled: config.tracing,
        ...(accessLogs
          ? {
              accessLogDestination: new apigw.LogGroupLogDestination(accessLogs),
              accessLogFormat: apigw.AccessLogFormat.custom(
                JSON.stringify({
                  requestId: apigw.AccessLogField.contextRequestId(),
                  time: apigw.AccessLogField.contextRequestTime(),
                  ip: apigw.AccessLogField.contextIdentitySourceIp(),
                  user: apigw.AccessLogField.contextAuthorizerClaims('sub'),
                  method: apigw.AccessLogField.contextHttpMethod(),
                  path: apigw.AccessLogField.contextPath(),
                  status: apigw.AccessLogField.contextStatus(),
                  bytes: apigw.AccessLogField.contextResponseLength(),
                  latencyMs: apigw.AccessLogField.contextResponseLatency(),
                  error: apigw.AccessLogField.contextErrorMessage(),
                }),
              ),
            }
          : {}),
      },
      // No origin configured: no cross-origin access at all.
      ...(cors
        ? {
            defaultCorsPreflightOptions: {
              allowOrigins: config.corsOrigins,
              allowMethods: apigw.Cors.ALL_METHODS,
              allowHeaders: ALLOWED_HEADERS,
              maxAge: Duration.hours(1),
            },
          }
        : {}),
    });

    // The stack declares its own output (ApiUrl).
    this.restApi.node.tryRemoveChild('Endpoint');

    // Errors API Gateway answers itself (401 from the authorizer, 429 from
    // throttling) carry CORS headers too, so the page can read them. Gateway
    // responses take one static origin: the configured one, or "*" when
    // several are configured (the API uses bearer tokens, not cookies).
    const origin = config.corsOrigins.length === 1 ? config.corsOrigins[0] : '*';
    for (const type of cors ? [apigw.ResponseType.DEFAULT_4XX, apigw.ResponseType.DEFAULT_5XX] : []) {
      this.restApi.addGatewayResponse(type === apigw.ResponseType.DEFAULT_4XX ? 'Default4xx' : 'Default5xx', {
        type,
        responseHeaders: {
          'Access-Control-Allow-Origin': `'${origin}'`,
          'Access-Control-Allow-Headers': `'${ALLOWED_HEADERS.join(',')}'`,
        },
      });
    }

    const integration = new apigw.LambdaIntegration(props.apiFunction, {
      proxy: true,
      allowTestInvoke: false,
    });
    const authorizer = config.authorizer
      ? new apigw.CognitoUserPoolsAuthorizer(this, 'Authorizer', {
          authorizerName: `${config.prefix}-cognito`,
          cognitoUserPools: [auth.userPool],
          resultsCacheTtl: Duration.minutes(5),
        })
      : undefined;
    const secured: apigw.MethodOptions = authorizer
      ? { authorizer, authorizationType: apigw.AuthorizationType.COGNITO }
      : { authorizationType: apigw.AuthorizationType.NONE };

    this.restApi.root.addMethod('ANY', integration, secured);
    this.restApi.root.addProxy({
      defaultIntegration: integration,
      defaultMethodOptions: secured,
      anyMethod: true,
    });
    // Liveness needs no token.
    this.restApi.root
      .addResource('health')
      .addMethod('GET', integration, { authorizationType: apigw.AuthorizationType.NONE });
    // Tags' component modules: the page loads them as scripts, which carry
    // no token (the api function serves them as modules only).
    this.restApi.root
      .addResource('components')
      .addResource('{name}')
      .addMethod('GET', integration, { authorizationType: apigw.AuthorizationType.NONE });

    // Clients with an API key (e.g. server-to-server integrations) are
    // throttled and capped by this plan on top of the stage throttling.
    this.usagePlan = this.restApi.addUsagePlan('UsagePlan', {
      name: `${config.prefix}-default`,
      description: 'Default Pika usage plan',
      throttle: { rateLimit: config.apiRateLimit, burstLimit: config.apiBurstLimit },
      quota: { limit: config.apiQuotaPerDay, period: apigw.Period.DAY },
    });
    this.usagePlan.addApiStage({ stage: this.restApi.deploymentStage });

    // The streamed turn: the function verifies the JWT itself.
    this.streamUrl = props.streamFunction.addFunctionUrl({
      authType: lambda.FunctionUrlAuthType.NONE,
      invokeMode: lambda.InvokeMode.RESPONSE_STREAM,
      ...(cors
        ? {
            cors: {
              allowedOrigins: config.corsOrigins,
              allowedMethods: [lambda.HttpMethod.GET, lambda.HttpMethod.POST],
              allowedHeaders: ALLOWED_HEADERS.map((h) => h.toLowerCase()),
              exposedHeaders: ['x-chatbot-session-id', 'x-request-id'],
              maxAge: Duration.hours(1),
            },
          }
        : {}),
    });
  }
}
