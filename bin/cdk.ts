// CDK app: `npx cdk synth` / `npx cdk deploy --all`. Tunables come from context (-c key=value);
// see docs/deploy.md. Account and region come only from the CLI's environment, so synth works
// offline and unconfigured (environment-agnostic stacks).
import { App, Tags, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { AppStack } from '../lib/app-stack';
import { tunablesFromContext } from '../lib/context';
import { DataStack } from '../lib/data-stack';

const app = new App();
const env = { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION };

const data = new DataStack(app, 'MdmData', {
  env,
  description: 'Serverless MDM: stateful resources (DynamoDB tables, tenant secrets key). Retained on delete.',
});
new AppStack(app, 'MdmApp', {
  env,
  description: 'Serverless MDM: API, functions, push queue, schedules and alarms (stateless).',
  mainTable: data.mainTable,
  logsTable: data.logsTable,
  secretsKey: data.secretsKey,
  ...tunablesFromContext(app.node),
});
Tags.of(app).add('app', 'serverless-mdm');

// cdk-nag 3 is a validation plugin: unacknowledged findings fail `cdk synth`.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
