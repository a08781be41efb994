import {
  CreateEventBusCommand,
  EventBridgeClient,
  PutRuleCommand,
  PutTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { EVENT_SOURCE } from '../../lambda/shared/lifecycle-events';
import { uniqueName } from './aws-test-env';

/** An event as EventBridge delivered it to the queue. */
export interface ReceivedEvent {
  readonly 'detail-type': string;
  readonly source: string;
  readonly detail: Record<string, unknown>;
}

export interface EventCapture {
  /** The bus to give the handlers as EVENT_BUS_NAME. */
  readonly eventBusName: string;
  /** Every event delivered since the last call, in arrival order (the queue is drained). */
  drain(): Promise<ReceivedEvent[]>;
}

/**
 * A bus of its own in moto, with a rule on our `source` whose target is an SQS queue: events the
 * handlers publish are really routed and received, as a subscriber in the account would get them.
 */
export async function captureLifecycleEvents(): Promise<EventCapture> {
  const eventBridge = new EventBridgeClient({});
  const sqs = new SQSClient({});
  const eventBusName = uniqueName('lifecycle-bus');
  await eventBridge.send(new CreateEventBusCommand({ Name: eventBusName }));
  const queue = await sqs.send(new CreateQueueCommand({ QueueName: uniqueName('lifecycle-events') }));
  const queueUrl = queue.QueueUrl ?? '';
  const attributes = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
  );
  const ruleName = uniqueName('lifecycle-rule');
  await eventBridge.send(
    new PutRuleCommand({
      Name: ruleName,
      EventBusName: eventBusName,
      EventPattern: JSON.stringify({ source: [EVENT_SOURCE] }),
    }),
  );
  await eventBridge.send(
    new PutTargetsCommand({
      Rule: ruleName,
      EventBusName: eventBusName,
      Targets: [{ Id: 'queue', Arn: attributes.Attributes?.QueueArn }],
    }),
  );

  return {
    eventBusName,
    async drain() {
      const events: ReceivedEvent[] = [];
      for (;;) {
        const page = await sqs.send(
          new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
        );
        const messages = page.Messages ?? [];
        if (messages.length === 0) return events;
        for (const message of messages) events.push(JSON.parse(message.Body ?? '{}') as ReceivedEvent);
        await sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: queueUrl,
            Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
          }),
        );
      }
    },
  };
}
