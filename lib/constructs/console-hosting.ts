// The admin console deployed (docs/console.md): its built files in a private S3 bucket, behind one
// CloudFront distribution that also forwards /admin/* to the HTTP API. The console and the API it
// calls share one origin, so there is no CORS, and the CSP can stay `connect-src 'self'`.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CfnElement } from 'aws-cdk-lib';
import { Duration, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import {
  AllowedMethods,
  CachePolicy,
  Function as CloudFrontFunction,
  Distribution,
  FunctionCode,
  FunctionEventType,
  HeadersFrameOption,
  HeadersReferrerPolicy,
  OriginProtocolPolicy,
  OriginRequestPolicy,
  PriceClass,
  ResponseHeadersPolicy,
  ViewerProtocolPolicy,
} from 'aws-cdk-lib/aws-cloudfront';
import { HttpOrigin, S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import { BlockPublicAccess, Bucket, BucketEncryption } from 'aws-cdk-lib/aws-s3';
import { BucketDeployment, Source } from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import { writeConsole } from '../../console/build';
import { CONSOLE_CSP } from '../../lambdas/http/console-static';

export interface ConsoleHostingProps {
  /** The API's host name: its custom domain, or `{apiId}.execute-api.{region}.amazonaws.com`. */
  readonly apiDomainName: string;
}

/** Built once per process: every stack of a synth (and every CDK test) deploys the same files. */
let builtDir: string | undefined;
const consoleDir = () => (builtDir ??= writeConsole(mkdtempSync(join(tmpdir(), 'mdm-console-'))));

/** `/` and `/console` go to the console; `/console/` is its index.html (S3 has no index documents behind OAC). */
const ROUTING_FUNCTION = `function handler(event) {
  var uri = event.request.uri;
  if (uri === '/' || uri === '/console') {
    return { statusCode: 301, statusDescription: 'Moved Permanently', headers: { location: { value: '/console/' } } };
  }
  if (uri === '/console/') event.request.uri = '/console/index.html';
  return event.request;
}`;

/** The wildcards of BucketDeployment's generated policy (cdk-nag names each one), besides the console bucket's keys. */
const DEPLOYER_WILDCARDS = [
  'Action::s3:Abort*',
  'Action::s3:DeleteObject*',
  'Action::s3:GetBucket*',
  'Action::s3:GetObject*',
  'Action::s3:List*',
  'Resource::*',
];

export class ConsoleHosting extends Construct {
  readonly bucket: Bucket;
  readonly distribution: Distribution;
  /** The console's address: https://<distribution>/console/. */
  readonly url: string;

  constructor(scope: Construct, id: string, props: ConsoleHostingProps) {
    super(scope, id);
    this.bucket = new Bucket(this, 'Files', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      // Only build output lives here: the deployment puts it back on every deploy.
      removalPolicy: RemovalPolicy.DESTROY,
      autoDeleteObjects: true,
    });

    const headers = new ResponseHeadersPolicy(this, 'Headers', {
      comment: 'Admin console: strict CSP (same origin only) and security headers',
      securityHeadersBehavior: {
        contentSecurityPolicy: { contentSecurityPolicy: CONSOLE_CSP, override: true },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: HeadersReferrerPolicy.NO_REFERRER, override: true },
        strictTransportSecurity: { accessControlMaxAge: Duration.days(365), includeSubdomains: true, override: true },
      },
    });

    this.distribution = new Distribution(this, 'Distribution', {
      comment: 'Serverless MDM admin console and admin API (one origin)',
      priceClass: PriceClass.PRICE_CLASS_100,
      defaultBehavior: {
        origin: S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        responseHeadersPolicy: headers,
        functionAssociations: [
          {
            eventType: FunctionEventType.VIEWER_REQUEST,
            function: new CloudFrontFunction(this, 'Routing', {
              code: FunctionCode.fromInline(ROUTING_FUNCTION),
              comment: 'Console paths to S3 keys',
            }),
          },
        ],
      },
      additionalBehaviors: {
        // The admin API, uncached, with every viewer header (Authorization) but Host: API Gateway
        // routes by its own host name.
        '/admin/*': {
          origin: new HttpOrigin(props.apiDomainName, { protocolPolicy: OriginProtocolPolicy.HTTPS_ONLY }),
          viewerProtocolPolicy: ViewerProtocolPolicy.HTTPS_ONLY,
          allowedMethods: AllowedMethods.ALLOW_ALL,
          cachePolicy: CachePolicy.CACHING_DISABLED,
          originRequestPolicy: OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
        },
      },
    });
    this.url = `https://${this.distribution.distributionDomainName}/console/`;

    const deployment = new BucketDeployment(this, 'Deploy', {
      sources: [Source.asset(consoleDir())],
      destinationBucket: this.bucket,
      destinationKeyPrefix: 'console/',
      distribution: this.distribution,
      distributionPaths: ['/console/*'],
      memoryLimit: 256,
    });

    this.acknowledge(deployment);
  }

  /** cdk-nag findings that do not apply to a bucket of public build output behind CloudFront. */
  private acknowledge(deployment: BucketDeployment) {
    Validations.of(this.bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        "The bucket holds only the console's build output (no data, no secrets), replaced on every deploy; reads go through CloudFront.",
    });
    Validations.of(this.distribution).acknowledge(
      {
        id: 'AwsSolutions-CFR1',
        reason: "An admin console for the operator's own staff: no geographic restriction is implied by the product.",
      },
      {
        id: 'AwsSolutions-CFR2',
        reason:
          'Every admin request needs an API key (checked by the API); operators who want a WAF attach one to the distribution.',
      },
      {
        id: 'AwsSolutions-CFR3',
        reason:
          'Static build output needs no access log; admin requests are logged by the HTTP API access log and the request logs.',
      },
      {
        id: 'AwsSolutions-CFR4',
        reason:
          'The default *.cloudfront.net certificate allows no minimum TLS version setting; a custom domain with its own certificate can set TLSv1.2_2021.',
      },
    );
    // CDK's own deployment function (one per stack, beside this construct): copies the asset into
    // the bucket and invalidates the distribution.
    const stack = Stack.of(this);
    const bucketKeys = `Resource::<${stack.getLogicalId(this.bucket.node.defaultChild as CfnElement)}.Arn>/*`;
    // The CDK asset bucket, named as cdk-nag renders it: literal account and region when the stack has them.
    const rendered = (value: string, pseudo: string) => (Token.isUnresolved(value) ? `<AWS::${pseudo}>` : value);
    const assetBucket = `cdk-hnb659fds-assets-${rendered(stack.account, 'AccountId')}-${rendered(stack.region, 'Region')}`;
    const assetKeys = `Resource::arn:<AWS::Partition>:s3:::${assetBucket}/*`;
    const deployer = stack.node.children.find((c) => c.node.id.startsWith('Custom::CDKBucketDeployment'));
    for (const scope of [deployer, deployment.handlerRole]) {
      if (!scope) continue;
      Validations.of(scope).acknowledge(
        {
          id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
          reason: "CDK's BucketDeployment function logs through the AWS managed basic execution role.",
        },
        ...[...DEPLOYER_WILDCARDS, bucketKeys, assetKeys].map((w) => ({
          id: `AwsSolutions-IAM5[${w}]`,
          reason:
            "Generated by BucketDeployment: read the CDK asset bucket, write the console bucket's own keys, invalidate the " +
            'distribution (CloudFront invalidation takes no resource). Nothing else.',
        })),
        {
          id: 'AwsSolutions-L1',
          reason: "CDK's BucketDeployment function: its runtime is chosen by the CDK version, not by this project.",
        },
      );
    }
  }
}
