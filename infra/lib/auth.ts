// Identity: the Cognito user pool whose ID tokens the REST API's authorizer
// and the stream function accept, and — only when an operator opts in
// (`hs256Tokens`) — an HS256 key (a Secrets Manager secret; functions get
// its ARN, never its value).

import { Aws, Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';

export interface AuthProps {
  readonly prefix: string;
  /** Create the HS256 key (PIKA_JWT_SECRET_ARN). */
  readonly hs256Tokens: boolean;
  /** Cognito threat protection: full function, audit only, or off. */
  readonly threatProtection: 'full' | 'audit' | 'off';
}

export class Auth extends Construct {
  readonly userPool: cognito.UserPool;
  readonly userPoolClient: cognito.UserPoolClient;
  /** The `iss` of the pool's tokens. */
  readonly issuer: string;
  /** The pool's JWKS URL. */
  readonly jwksUrl: string;
  /** The HS256 key of PIKA_JWT_SECRET_ARN (a random 64-character string), when `hs256Tokens`. */
  readonly jwtSecret?: secretsmanager.Secret;

  constructor(scope: Construct, id: string, props: AuthProps) {
    super(scope, id);

    this.userPool = new cognito.UserPool(this, 'UserPool', {
      userPoolName: `${props.prefix}-users`,
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      autoVerify: { email: true },
      accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
      passwordPolicy: {
        minLength: 12,
        requireDigits: true,
        requireLowercase: true,
        requireUppercase: true,
        requireSymbols: false,
      },
      mfa: cognito.Mfa.OPTIONAL,
      mfaSecondFactor: { otp: true, sms: false },
      // Pika's user fields (PIKA.md §2), set by administrators only: the
      // web client below may not write them. Roles are Cognito groups
      // (`cognito:groups`), e.g. `pika:site-admin`.
      customAttributes: {
        userType: new cognito.StringAttribute({ mutable: true, maxLen: 32 }),
        customData: new cognito.StringAttribute({ mutable: true, maxLen: 2048 }),
      },
      // Compromised-credential and risk-based sign-in checks (Plus plan).
      ...(props.threatProtection === 'off'
        ? {}
        : {
            featurePlan: cognito.FeaturePlan.PLUS,
            standardThreatProtectionMode:
              props.threatProtection === 'full'
                ? cognito.StandardThreatProtectionMode.FULL_FUNCTION
                : cognito.StandardThreatProtectionMode.AUDIT_ONLY,
          }),
      removalPolicy: RemovalPolicy.RETAIN,
    });

    // A public client (a browser page): no secret, SRP sign-in, ID tokens
    // carry `aud` = this client's id.
    this.userPoolClient = this.userPool.addClient('WebClient', {
      userPoolClientName: `${props.prefix}-web`,
      generateSecret: false,
      authFlows: { userSrp: true },
      disableOAuth: true,
      // Users may change their own name, never their type or custom data.
      writeAttributes: new cognito.ClientAttributes().withStandardAttributes({
        givenName: true,
        familyName: true,
      }),
      readAttributes: new cognito.ClientAttributes()
        .withStandardAttributes({ email: true, emailVerified: true, givenName: true, familyName: true })
        .withCustomAttributes('userType', 'customData'),
      preventUserExistenceErrors: true,
      idTokenValidity: Duration.hours(1),
      accessTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.days(30),
    });

    this.issuer = `https://cognito-idp.${Aws.REGION}.${Aws.URL_SUFFIX}/${this.userPool.userPoolId}`;
    this.jwksUrl = `${this.issuer}/.well-known/jwks.json`;

    if (props.hs256Tokens) {
      this.jwtSecret = new secretsmanager.Secret(this, 'JwtSecret', {
        description: 'Pika HS256 JWT key (PIKA_JWT_SECRET_ARN)',
        generateSecretString: {
          passwordLength: 64,
          excludePunctuation: true,
          includeSpace: false,
        },
        removalPolicy: RemovalPolicy.RETAIN,
      });
    }
  }
}
