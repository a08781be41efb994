import type * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';

/** The `source` of every event the handlers put (lambda/shared/lifecycle-events.ts). */
export const LIFECYCLE_EVENT_SOURCE = 'lwa-token-service';

/**
 * `events:PutEvents` on `bus` for events whose `source` is the service's own, so a function
 * cannot put events that pose as another application's on a bus shared with it.
 */
export function grantPutLifecycleEvents(bus: events.IEventBus, grantee: iam.IGrantable): iam.Grant {
  return iam.Grant.addToPrincipal({
    grantee,
    actions: ['events:PutEvents'],
    resourceArns: [bus.eventBusArn],
    conditions: { StringEquals: { 'events:source': LIFECYCLE_EVENT_SOURCE } },
  });
}
