import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { type BundlingOptions, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { DEFAULTS } from './defaults';
import {
  HANDLER_BUILD_OPTIONS,
  type HandlerBundleName,
  handlerBundleDir,
  PACKAGE_ROOT,
} from './handler-bundles';
import { acknowledge } from './nag';

/** Repository root (the package root once published): bundles are resolved from here, never from the cwd. */
export const PROJECT_ROOT = PACKAGE_ROOT;

/** Absolute path of a handler source under `lambda/` (in the repository; a package ships bundles only). */
export function handlerEntry(relativePath: string): string {
  return path.join(PROJECT_ROOT, 'lambda', relativePath);
}

/**
 * The esbuild settings of the prebuilt handler bundles, in the shape of the
 * CDK's NodejsFunction bundling options (the cold-start bench builds its
 * baselines with them).
 */
export const BUNDLING: BundlingOptions = {
  externalModules: [...HANDLER_BUILD_OPTIONS.external],
  format: OutputFormat.CJS,
  target: HANDLER_BUILD_OPTIONS.target,
  mainFields: [...HANDLER_BUILD_OPTIONS.mainFields],
  minify: HANDLER_BUILD_OPTIONS.minify,
  sourceMap: HANDLER_BUILD_OPTIONS.sourcemap,
  sourcesContent: HANDLER_BUILD_OPTIONS.sourcesContent,
};

/** Thrown when a prebuilt handler bundle is missing from the package. */
export class HandlerBundleMissingError extends Error {
  constructor(name: string, directory: string) {
    super(
      `The prebuilt Lambda bundle "${name}" is missing (${directory}). In a clone of the repository run \`npm run build:handlers\` (npm ci does it through prepare); an installed package ships its bundles, so reinstall it.`,
    );
    this.name = 'HandlerBundleMissingError';
  }
}

/**
 * The prebuilt bundle as a Lambda code asset (its hash covers the bundle and its source map).
 * In a checkout of the repository that has not built them yet (a fresh clone before `npm ci`, a
 * worktree), the bundles are built here once; a published package ships them and has no sources.
 */
export function prebuiltHandlerCode(name: HandlerBundleName, root: string = PACKAGE_ROOT): lambda.Code {
  const directory = handlerBundleDir(name, root);
  const bundle = path.join(directory, 'index.js');
  const buildScript = path.join(root, 'scripts', 'build-handlers.ts');
  if (!fs.existsSync(bundle) && fs.existsSync(buildScript)) {
    execFileSync('npx', ['tsx', buildScript], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  }
  if (!fs.existsSync(bundle)) throw new HandlerBundleMissingError(name, directory);
  return lambda.Code.fromAsset(directory);
}

/** Props of {@link ServiceFunction}. */
export interface ServiceFunctionProps {
  /** The prebuilt handler bundle (see lib/handler-bundles.ts). */
  readonly bundle: HandlerBundleName;
  /** Function description shown in the console. */
  readonly description: string;
  /** Memory in MiB. */
  readonly memorySize: number;
  /** Function timeout. */
  readonly timeout: Duration;
  /** Handler configuration; the Powertools and Node variables are added. */
  readonly environment: Record<string, string>;
  /** Retention of the function's log group. */
  readonly logRetention: logs.RetentionDays;
  /**
   * Reserved concurrency.
   * @default - unreserved
   */
  readonly reservedConcurrentExecutions?: number;
  /**
   * Where failed asynchronous invocations go.
   * @default - none
   */
  readonly onFailure?: lambda.IDestination;
  /**
   * Retries of a failed asynchronous invocation.
   * @default - the Lambda default (2)
   */
  readonly retryAttempts?: number;
  /**
   * Maximum age of a queued asynchronous event.
   * @default - the Lambda default (6 hours)
   */
  readonly maxEventAge?: Duration;
}

/**
 * A prebuilt Node.js handler with its own role and log group. The role is ours
 * (not the Lambda default) so it gets log write access to this one log group
 * instead of the AWSLambdaBasicExecutionRole managed policy.
 */
export class ServiceFunction extends Construct {
  /** The function. */
  public readonly lambdaFunction: lambda.Function;
  /** The function's execution role. */
  public readonly role: iam.Role;
  /** The function's log group. */
  public readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: ServiceFunctionProps) {
    super(scope, id);

    this.logGroup = new logs.LogGroup(this, 'LogGroup', { retention: props.logRetention });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role: ${props.description}`,
    });
    this.logGroup.grantWrite(this.role);

    this.lambdaFunction = new lambda.Function(this, 'Function', {
      code: prebuiltHandlerCode(props.bundle),
      handler: 'index.handler',
      description: props.description,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize,
      timeout: props.timeout,
      role: this.role,
      logGroup: this.logGroup,
      tracing: lambda.Tracing.ACTIVE,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      onFailure: props.onFailure,
      retryAttempts: props.retryAttempts,
      maxEventAge: props.maxEventAge,
      environment: {
        POWERTOOLS_SERVICE_NAME: DEFAULTS.serviceName,
        POWERTOOLS_METRICS_NAMESPACE: DEFAULTS.metricsNamespace,
        POWERTOOLS_LOG_LEVEL: DEFAULTS.logLevel,
        NODE_OPTIONS: '--enable-source-maps',
        ...props.environment,
      },
    });

    acknowledge(
      this.role,
      'AwsSolutions-IAM5[Resource::*]',
      'X-Ray PutTraceSegments and PutTelemetryRecords do not support resource-level permissions, so active tracing needs Resource "*".',
    );
  }
}
