import { Stack, Validations } from 'aws-cdk-lib';
// Not re-exported from the package root; using cdk-nag's own flattener keeps our
// finding IDs byte-identical to the ones the IAM5 rule reports.
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference';
import type { IConstruct } from 'constructs';

/** Acknowledges one cdk-nag finding on `scope` and everything below it. */
export function acknowledge(scope: IConstruct, id: string, reason: string): void {
  Validations.of(scope).acknowledge({ id, reason });
}

/**
 * Acknowledges AwsSolutions-IAM5 for exactly one wildcard resource (for example
 * `arn:…:secret:lwa-tokens/*`), so any other wildcard added later still fails.
 */
export function acknowledgeWildcardResource(scope: IConstruct, resourceArn: string, reason: string): void {
  const flattened = flattenCfnReference(Stack.of(scope).resolve(resourceArn));
  acknowledge(scope, `AwsSolutions-IAM5[Resource::${flattened}]`, reason);
}
