import * as path from 'node:path';
import type { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import {
  type BundlingOptions,
  type ICommandHooks,
  NodejsFunction,
  OutputFormat,
} from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { DEFAULTS } from './defaults';
import { acknowledge } from './nag';

/** Repository root: entries, the lockfile and tsconfig are resolved from here, never from the cwd. */
export const PROJECT_ROOT = path.resolve(__dirname, '..');

/** Absolute path of a handler entry under `lambda/`. */
export function handlerEntry(relativePath: string): string {
  return path.join(PROJECT_ROOT, 'lambda', relativePath);
}

const NORMALIZE_SOURCE_MAP = path.join(PROJECT_ROOT, 'lib', 'bundling', 'normalize-source-map.cjs');

/**
 * Asset hashes are computed from the bundle, so the bundle must not depend on
 * where the checkout, node_modules or cdk.out are. esbuild writes source map
 * paths relative to the output directory (and resolves symlinked node_modules
 * to their real path), so they are rewritten to project-relative paths.
 */
const deterministicSourceMaps: ICommandHooks = {
  beforeBundling: () => [],
  beforeInstall: () => [],
  afterBundling: (inputDir, outputDir) => [
    `node ${JSON.stringify(NORMALIZE_SOURCE_MAP)} ${JSON.stringify(outputDir)} ${JSON.stringify(inputDir)}`,
  ],
};

/**
 * Bundling shared by every function. The SDK is bundled (externalModules: [])
 * so its version comes from our lockfile, not from whatever the runtime ships.
 * sourcesContent is off: the runtime only needs the mappings, and no source
 * text is shipped.
 */
export const BUNDLING: BundlingOptions = {
  forceDockerBundling: false,
  externalModules: [],
  format: OutputFormat.CJS,
  target: DEFAULTS.bundlingTarget,
  // Prefer ES module builds so esbuild can tree-shake the SDK's unused commands.
  mainFields: ['module', 'main'],
  minify: true,
  sourceMap: true,
  sourcesContent: false,
  metafile: false,
  commandHooks: deterministicSourceMaps,
};

/** Props of {@link ServiceFunction}. */
export interface ServiceFunctionProps {
  /** Absolute path of the TypeScript entry that exports `handler`. */
  readonly entry: string;
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
 * A bundled Node.js handler with its own role and log group. The role is ours
 * (not the Lambda default) so it gets log write access to this one log group
 * instead of the AWSLambdaBasicExecutionRole managed policy.
 */
export class ServiceFunction extends Construct {
  /** The function. */
  public readonly lambdaFunction: NodejsFunction;
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

    this.lambdaFunction = new NodejsFunction(this, 'Function', {
      entry: props.entry,
      handler: 'handler',
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
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
      bundling: BUNDLING,
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
