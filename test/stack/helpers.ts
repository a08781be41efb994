import * as fs from 'node:fs';
import * as path from 'node:path';
import { App, type Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';

/** Context that skips esbuild: for prop-combination tests that never look at the code assets. */
export const NO_BUNDLING = { 'aws:cdk:bundling-stacks': [] };

export function appWithoutBundling(): App {
  return new App({ context: NO_BUNDLING });
}

export interface PolicyStatement {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Condition?: Record<string, Record<string, unknown>>;
}

export function actionsOf(statement: PolicyStatement): string[] {
  return Array.isArray(statement.Action) ? statement.Action : [statement.Action];
}

export function resourcesOf(statement: PolicyStatement): unknown[] {
  return Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
}

/** Every statement of every AWS::IAM::Policy, keyed by the policy's logical ID. */
export function policyStatements(template: Template): Array<{ policy: string; statement: PolicyStatement }> {
  const policies = template.findResources('AWS::IAM::Policy');
  return Object.entries(policies).flatMap(([policy, resource]) =>
    (resource.Properties.PolicyDocument.Statement as PolicyStatement[]).map((statement) => ({
      policy,
      statement,
    })),
  );
}

/** Statements of the policy attached to the role whose logical ID starts with `rolePrefix`. */
export function statementsOfRole(template: Template, rolePrefix: string): PolicyStatement[] {
  const policies = template.findResources('AWS::IAM::Policy');
  return Object.values(policies)
    .filter((policy) =>
      (policy.Properties.Roles as Array<{ Ref: string }>).some((role) => role.Ref.startsWith(rolePrefix)),
    )
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement as PolicyStatement[]);
}

/**
 * CloudFormation value as a readable string, the way cdk-nag prints it:
 * `{ Fn::Join }` joined, `{ Ref: X }` → `<X>`, `{ Fn::GetAtt: [X, Arn] }` → `<X.Arn>`.
 */
export function flatten(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    const node = value as Record<string, unknown>;
    if ('Fn::Join' in node) {
      const [delimiter, parts] = node['Fn::Join'] as [string, unknown[]];
      return parts.map(flatten).join(delimiter);
    }
    if ('Ref' in node) return `<${String(node.Ref)}>`;
    if ('Fn::GetAtt' in node) {
      const [resource, attribute] = node['Fn::GetAtt'] as [string, string];
      return `<${resource}.${attribute}>`;
    }
  }
  return JSON.stringify(value);
}

/** Asset hashes change with every handler edit; the snapshot should only change with the template. */
export function normalizeAssetHashes(template: unknown): unknown {
  return JSON.parse(JSON.stringify(template).replace(/[0-9a-f]{64}/g, '[ASSET_HASH]'));
}

export interface ValidationReport {
  readonly pluginReports: Array<{
    readonly pluginName: string;
    readonly violations: Array<{ ruleName: string; severity?: string; violatingConstructs?: unknown[] }>;
  }>;
}

/** The validation report CDK writes next to the templates (cdk-nag 3 reports through it). */
export function readValidationReport(assembly: CloudAssembly): ValidationReport {
  const file = path.join(assembly.directory, 'validation-report.json');
  if (!fs.existsSync(file))
    throw new Error(`No validation report at ${file}: were the nag plugins registered?`);
  return JSON.parse(fs.readFileSync(file, 'utf8')) as ValidationReport;
}

export function templateOf(stack: Stack): Template {
  return Template.fromStack(stack);
}

type TemplateResource = ReturnType<Template['findResources']>[string];

/** The single resource of `type`; fails the test if there are none or several. */
export function onlyResource(template: Template, type: string): TemplateResource {
  const resources = Object.values(template.findResources(type));
  if (resources.length !== 1 || resources[0] === undefined) {
    throw new Error(`Expected exactly one ${type}, found ${resources.length}`);
  }
  return resources[0];
}
