// CDK app: `npx cdk synth` / `npx cdk deploy --all`. Tunables come from context (-c key=value);
// see docs/deploy.md. Account and region come only from the CLI's environment, so synth works
// offline and unconfigured (environment-agnostic stacks).
import { App, Tags, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { AppStack } from '../lib/app-stack';
import { ConsoleStack } from '../lib/console-stack';
import { tunablesFromContext } from '../lib/context';
import { DataStack } from '../lib/data-stack';

const app = new App();
const env = { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION };

const data = new DataStack(app, 'MdmData', {
  env,
  description: 'Serverless MDM: stateful resources (DynamoDB tables, tenant secrets key). Retained on delete.',
});
const tunables = tunablesFromContext(app.node);
const mdm = new AppStack(app, 'MdmApp', {
  env,
  description: 'Serverless MDM: API, functions, push queue, schedules and alarms (stateless).',
  mainTable: data.mainTable,
  logsTable: data.logsTable,
  secretsKey: data.secretsKey,
  ...tunables,
});
new ConsoleStack(app, 'MdmConsole', {
  env,
  description: 'Serverless MDM: the admin console (S3 + CloudFront, with the admin API on the same origin).',
  app: mdm,
  domainName: tunables.domainName,
});
Tags.of(app).add('app', 'serverless-mdm');

// cdk-nag 3 is a validation plugin: unacknowledged findings fail `cdk synth`.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
