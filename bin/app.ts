import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { LwaTokenStack } from '../lib';
import { readAppConfig } from '../lib/app-context';

const app = new App();
const config = readAppConfig(app.node);

// No env: the template is account- and region-agnostic, so synth needs no credentials.
new LwaTokenStack(app, 'LwaTokenStack', { stackName: config.stackName, service: config.service });

Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
