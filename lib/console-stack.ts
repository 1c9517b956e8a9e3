import type { StackProps } from 'aws-cdk-lib';
import { CfnOutput, CrossStackReferences, ReferenceStrength, Stack } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { AppStack } from './app-stack';
import { ConsoleHosting } from './constructs/console-hosting';

export interface ConsoleStackProps extends StackProps {
  readonly app: AppStack;
  /** The API's custom domain (AppStack's `domainName`): with one, the execute-api endpoint is disabled. */
  readonly domainName?: string;
}

/**
 * The admin console (docs/console.md): static files on S3 behind CloudFront, with the HTTP API as
 * the `/admin/*` origin of the same distribution. Stateless; its own stack so that the API stack's
 * functions and policies stay exactly the product's.
 */
export class ConsoleStack extends Stack {
  readonly hosting: ConsoleHosting;

  constructor(scope: Construct, id: string, props: ConsoleStackProps) {
    super(scope, id, props);
    CrossStackReferences.of(this).consume(ReferenceStrength.STRONG);
    this.hosting = new ConsoleHosting(this, 'Console', {
      apiDomainName: props.domainName ?? `${props.app.api.api.apiId}.execute-api.${this.region}.${this.urlSuffix}`,
    });
    new CfnOutput(this, 'ConsoleUrl', {
      value: this.hosting.url,
      description: 'The admin console: sign in with an admin or viewer API key',
    });
  }
}
