import { type App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { type AppConfig, type RegionalDeployment, readAppConfig } from './app-context';
import { DEFAULTS } from './defaults';
import type { LwaTokenServiceProps } from './lwa-token-service';
import { LwaTokenStack } from './lwa-token-stack';

/** Thrown when the context asks for a multi-region app that cannot work; names the key and the fix. */
export class RegionalDeploymentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RegionalDeploymentError';
  }
}

/** Options of {@link buildLwaTokenApp}. */
export interface LwaTokenAppOptions {
  /**
   * Register the cdk-nag packs (AwsSolutions, Serverless) on the whole app. Off only where the app
   * also holds stacks that are not this service's and have their own checks.
   * @default true
   */
  readonly nagChecks?: boolean;
}

/**
 * This repository's deployable app, from the context of `app` (`cdk.json` or `-c key=value`):
 * one environment-agnostic stack, or with `-c deployments=…` one stack per AWS region, both
 * checked by the cdk-nag packs. Returns the stacks; `bin/app.ts` is only this call.
 */
export function buildLwaTokenApp(app: App, options: LwaTokenAppOptions = {}): LwaTokenStack[] {
  const config = readAppConfig(app.node);
  const stacks =
    config.deployments === undefined
      ? // No env: the template is account- and region-agnostic, so synth needs no credentials.
        [new LwaTokenStack(app, 'LwaTokenStack', { stackName: config.stackName, service: config.service })]
      : regionalStacks(app, config, config.deployments);
  if (options.nagChecks ?? true) {
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
  }
  return stacks;
}

/** Name of the app credentials secret, and of its replicas, in every region of a multi-region app. */
export function regionalAppSecretName(stackName: string): string {
  return `${stackName}/app-credentials`;
}

/**
 * One stack per AWS region: `env` names the region only (no account, so synth stays offline),
 * the stack serves and refreshes its SP-API regions, and every other context key applies to all.
 * The LWA client secret is one per application, so the stack that serves `applicationRegion` (or,
 * if none does, the first one listed) is the primary: it creates the app secret under a fixed
 * name, replicates it to the other regions and rotates it; the others read their replica.
 */
function regionalStacks(app: App, config: AppConfig, deployments: RegionalDeployment[]): LwaTokenStack[] {
  const service = config.service;
  if (service.appSecretKeyArn !== undefined) {
    throw new RegionalDeploymentError(
      'Context key "appSecretKeyArn" names a key in one AWS region and cannot be combined with "deployments": encrypt the imported app secret and its replicas with aws/secretsmanager, or drop appSecretKeyArn.',
    );
  }
  const applicationRegion = service.applicationRegion ?? DEFAULTS.applicationRegion;
  const primary =
    deployments.find((deployment) => deployment.spApiRegions.includes(applicationRegion)) ?? deployments[0];
  const secretName = regionalAppSecretName(config.stackName);
  const replicaRegions = deployments.filter((d) => d !== primary).map((d) => d.awsRegion);

  const stacks = deployments.map((deployment) => {
    const isPrimary = deployment === primary;
    const appSecret: LwaTokenServiceProps =
      service.appSecretArn !== undefined
        ? { appSecretArn: inRegion(service.appSecretArn, deployment.awsRegion) }
        : isPrimary
          ? {
              appSecretName: secretName,
              ...(replicaRegions.length > 0 ? { appSecretReplicaRegions: replicaRegions } : {}),
            }
          : { existingAppSecretName: secretName };
    return new LwaTokenStack(app, `LwaTokenStack-${deployment.awsRegion}`, {
      stackName: `${config.stackName}-${deployment.awsRegion}`,
      env: { region: deployment.awsRegion },
      service: {
        ...service,
        ...appSecret,
        refreshRegions: deployment.spApiRegions,
        rotateClientSecret: isPrimary,
      },
    });
  });
  // `cdk deploy --all` creates the primary (and the replicas) before the stacks that read them.
  const primaryStack = stacks.find((stack) => stack.service.clientSecretRotation !== undefined);
  for (const stack of stacks) {
    if (primaryStack && stack !== primaryStack) {
      stack.addStackDependency(primaryStack, 'reads the replica of the primary app secret');
    }
  }
  return stacks;
}

/**
 * A replica has the primary's name and suffix and differs only in the region field, so the ARN
 * given for the app secret is read in each stack's own region.
 */
function inRegion(secretArn: string, awsRegion: string): string {
  const fields = secretArn.split(':');
  if (fields.length < 7 || fields[2] !== 'secretsmanager') {
    throw new RegionalDeploymentError(
      `Context key "appSecretArn" must be a complete Secrets Manager ARN (arn:<partition>:secretsmanager:<region>:<account>:secret:<name>-AbCdEf); with "deployments" each stack reads its own region's replica of it. Got ${JSON.stringify(secretArn)}.`,
    );
  }
  fields[3] = awsRegion;
  return fields.join(':');
}
