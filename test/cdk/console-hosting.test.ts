// The admin console deployed (docs/console.md): a private bucket behind CloudFront, /admin/* to the
// HTTP API on the same origin, the local server's CSP, and a ConsoleUrl output.

import { Template } from 'aws-cdk-lib/assertions';
import { CONSOLE_CSP } from '../../lambdas/http/console-static';
import { build } from './stacks';

const consoleTemplate = (b: ReturnType<typeof build>) => Template.fromStack(b.consoleStack);

interface Behavior {
  PathPattern: string;
  TargetOriginId: string;
  ViewerProtocolPolicy: string;
  AllowedMethods: string[];
}
interface Origin {
  Id: string;
  DomainName: unknown;
  CustomOriginConfig?: { OriginProtocolPolicy: string };
}

describe('admin console hosting', () => {
  const t = consoleTemplate(build());
  const [distribution] = Object.values(t.findResources('AWS::CloudFront::Distribution')) as Array<{
    Properties: { DistributionConfig: { CacheBehaviors: Behavior[]; Origins: Origin[] } };
  }>;
  const config = distribution.Properties.DistributionConfig;

  it('keeps the bucket private (CloudFront reads it with origin access control)', () => {
    t.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
    });
    t.resourceCountIs('AWS::CloudFront::OriginAccessControl', 1);
  });

  it('forwards /admin/* to the HTTP API over HTTPS, uncached, every method', () => {
    const admin = config.CacheBehaviors.find((b) => b.PathPattern === '/admin/*');
    expect(admin).toMatchObject({
      ViewerProtocolPolicy: 'https-only',
      AllowedMethods: expect.arrayContaining(['GET', 'POST', 'PUT', 'DELETE']),
    });
    const apiOrigin = config.Origins.find((o) => o.Id === admin?.TargetOriginId);
    expect(JSON.stringify(apiOrigin?.DomainName)).toContain('execute-api');
    expect(apiOrigin?.CustomOriginConfig?.OriginProtocolPolicy).toBe('https-only');
  });

  it('uses the custom domain as the API origin when there is one (execute-api is then disabled)', () => {
    const custom = consoleTemplate(
      build({ domainName: 'mdm.example.com', certificateArn: 'arn:aws:acm:eu-west-1:111111111111:certificate/abc' }),
    );
    const [d] = Object.values(custom.findResources('AWS::CloudFront::Distribution')) as (typeof distribution)[];
    const admin = d.Properties.DistributionConfig.CacheBehaviors.find((b) => b.PathPattern === '/admin/*');
    expect(d.Properties.DistributionConfig.Origins.find((o) => o.Id === admin?.TargetOriginId)?.DomainName).toBe(
      'mdm.example.com',
    );
  });

  it('sends the same strict Content-Security-Policy as the local server', () => {
    t.hasResourceProperties('AWS::CloudFront::ResponseHeadersPolicy', {
      ResponseHeadersPolicyConfig: {
        SecurityHeadersConfig: { ContentSecurityPolicy: { ContentSecurityPolicy: CONSOLE_CSP, Override: true } },
      },
    });
  });

  it('deploys the built console under console/ and names its URL', () => {
    t.hasResourceProperties('Custom::CDKBucketDeployment', { DestinationBucketKeyPrefix: 'console/' });
    t.hasOutput('ConsoleUrl', {});
  });
});
