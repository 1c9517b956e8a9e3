import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  DomainName,
  HttpApi,
  HttpMethod,
  HttpRoute,
  HttpRouteKey,
  LogGroupLogDestination,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { Certificate } from 'aws-cdk-lib/aws-certificatemanager';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { RouteDef, Surface } from '../../lambdas/http/types';
import type { Auth } from '../../lambdas/service/auth';

export interface CustomDomain {
  /** e.g. `mdm.example.com`: a name you control, because enrolled devices keep their ServerURL for life. */
  readonly domainName: string;
  /** ACM certificate for `domainName`, in the stack's region (regional endpoint). */
  readonly certificateArn: string;
}

export interface HttpApiRoutesProps {
  readonly logRetention: RetentionDays;
  readonly customDomain?: CustomDomain;
}

/** Why a route has no API Gateway authorizer (cdk-nag APIG4): each auth kind is checked in the handler. */
const AUTH_REASON: Record<Auth, string> = {
  'apple-device':
    'Apple MDM devices cannot present API Gateway credentials; the handler verifies the Mdm-Signature CMS signature ' +
    'over the raw body against the tenant device CA and the certificate bound at enrollment.',
  'android-device':
    'Android agents authenticate with a per-device bearer token that the handler checks against its stored SHA-256 hash.',
  viewer:
    'Admin API keys (stored hashed, per tenant, with roles) are checked by the handler middleware; an authorizer would duplicate that lookup.',
  admin:
    'Admin API keys (stored hashed, per tenant, with roles) are checked by the handler middleware; an authorizer would duplicate that lookup.',
  operator: 'The operator key (held in Secrets Manager) is checked by the handler middleware.',
  public:
    'Public by design: the enrollment profile download and Android enrollment are authorized by a single-use ' +
    'enrollment token in the request; the OpenAPI document holds no data.',
};

/**
 * The HTTP API, generated from the route table (lambdas/api/routes.ts): one route per entry, each to
 * the Lambda integration of its surface. Access logs go to a log group with retention; the access
 * log records the route key, never the raw path (enrollment paths carry tokens).
 */
export class HttpApiRoutes extends Construct {
  readonly api: HttpApi;
  readonly accessLogs: LogGroup;
  /** The URL devices and admins use: `https://{customDomain}` or the execute-api URL, no trailing slash. */
  readonly url: string;
  /** The custom domain, if any: point a CNAME/alias at its `regionalDomainName`. */
  readonly domain?: DomainName;
  private readonly integrations = new Map<Surface, HttpLambdaIntegration>();

  constructor(scope: Construct, id: string, props: HttpApiRoutesProps) {
    super(scope, id);

    const domain = props.customDomain
      ? new DomainName(this, 'Domain', {
          domainName: props.customDomain.domainName,
          certificate: Certificate.fromCertificateArn(this, 'Certificate', props.customDomain.certificateArn),
        })
      : undefined;

    this.accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.api = new HttpApi(this, 'Api', {
      description: 'Serverless MDM: Apple and Android device endpoints and the admin API',
      // With a custom domain, the execute-api URL is switched off so no device is ever enrolled
      // with a ServerURL that dies with the API.
      disableExecuteApiEndpoint: domain !== undefined,
      createDefaultStage: false,
    });
    // The stage is declared here (not by createDefaultStage) to carry access logging.
    this.api.addStage('Stage', {
      stageName: '$default',
      autoDeploy: true,
      domainMapping: domain ? { domainName: domain } : undefined,
      accessLogSettings: {
        destination: new LogGroupLogDestination(this.accessLogs),
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            ip: '$context.identity.sourceIp',
            requestTime: '$context.requestTime',
            routeKey: '$context.routeKey',
            status: '$context.status',
            protocol: '$context.protocol',
            responseLength: '$context.responseLength',
            latency: '$context.responseLatency',
            integrationLatency: '$context.integrationLatency',
            integrationStatus: '$context.integrationStatus',
            integrationError: '$context.integrationErrorMessage',
            userAgent: '$context.identity.userAgent',
          }),
        ),
      },
    });

    // The API resource does not depend on any function, so functions may take this URL in their
    // environment without a dependency cycle (routes and integrations depend on both).
    this.url = props.customDomain ? `https://${props.customDomain.domainName}` : this.api.apiEndpoint;
    this.domain = domain;
  }

  /** Adds one route per entry; every route of a surface shares that surface's integration. */
  addRoutes(routes: readonly RouteDef[], handlers: Record<Surface, IFunction>): HttpRoute[] {
    return routes.map((r) => {
      const route = new HttpRoute(this, `Route-${r.op}`, {
        httpApi: this.api,
        routeKey: HttpRouteKey.with(r.path, HttpMethod[r.method]),
        integration: this.integrationFor(r.surface, handlers[r.surface]),
      });
      Validations.of(route).acknowledge({ id: 'AwsSolutions-APIG4', reason: AUTH_REASON[r.auth] });
      return route;
    });
  }

  private integrationFor(surface: Surface, fn: IFunction): HttpLambdaIntegration {
    let integration = this.integrations.get(surface);
    if (!integration) {
      // One invoke permission per function for this API instead of one per route: ~30 routes
      // would otherwise grow the admin function's resource policy toward its 20 KB limit.
      integration = new HttpLambdaIntegration(`${surface}-integration`, fn, { scopePermissionToRoute: false });
      this.integrations.set(surface, integration);
    }
    return integration;
  }
}
