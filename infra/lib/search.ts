// The optional OpenSearch Service domain (context `search=true`). The
// functions reach it through IAM (SigV4 signed requests, es:ESHttp*), its
// endpoint goes in PIKA_SEARCH_ENDPOINT. Without it search answers 503
// `search_unavailable`.

import { RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as opensearch from 'aws-cdk-lib/aws-opensearchservice';
import { Construct } from 'constructs';

export interface SearchProps {
  readonly prefix: string;
  /** Data node instance type (default `t3.small.search`: a small single-node domain). */
  readonly instanceType?: string;
}

export class Search extends Construct {
  readonly domain: opensearch.Domain;
  /** `https://{domain endpoint}`. */
  readonly endpoint: string;

  constructor(scope: Construct, id: string, props: SearchProps) {
    super(scope, id);
    this.domain = new opensearch.Domain(this, 'Domain', {
      domainName: `${props.prefix}-search`,
      version: opensearch.EngineVersion.OPENSEARCH_2_19,
      capacity: {
        dataNodes: 1,
        dataNodeInstanceType: props.instanceType ?? 't3.small.search',
        multiAzWithStandbyEnabled: false,
      },
      ebs: { volumeSize: 10, volumeType: ec2.EbsDeviceVolumeType.GP3 },
      encryptionAtRest: { enabled: true },
      nodeToNodeEncryption: true,
      enforceHttps: true,
      tlsSecurityPolicy: opensearch.TLSSecurityPolicy.TLS_1_2,
      // Sessions can be re-indexed from DynamoDB, but re-creating a domain
      // takes long: keep it like the data.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.endpoint = `https://${this.domain.domainEndpoint}`;
  }

  /** Lets `grantee` send data plane requests (index, search, delete). */
  grantHttp(grantee: iam.IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['es:ESHttpGet', 'es:ESHttpHead', 'es:ESHttpPost', 'es:ESHttpPut', 'es:ESHttpDelete'],
        resources: [this.domain.domainArn, `${this.domain.domainArn}/*`],
      }),
    );
  }
}
