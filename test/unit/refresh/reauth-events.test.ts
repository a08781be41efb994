import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import {
  EVENT_SOURCE,
  REAUTH_REQUIRED_DETAIL_TYPE,
  reauthEventPublisher,
} from '../../../lambda/refresh/reauth-events';

describe('reauthEventPublisher', () => {
  const eventBridge = mockClient(EventBridgeClient);

  beforeEach(() => {
    eventBridge.reset();
  });

  it('publishes one event naming the seller and region, and nothing else', async () => {
    // Prepare
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
    const publish = reauthEventPublisher(new EventBridgeClient({ region: 'us-east-1' }), 'ops-bus');

    // Act
    await publish({ sellerId: 'A2EUQ1WTGCTBG2', region: 'EU' });

    // Assess
    expect(eventBridge).toReceiveCommandTimes(PutEventsCommand, 1);
    expect(eventBridge).toReceiveCommandWith(PutEventsCommand, {
      Entries: [
        {
          EventBusName: 'ops-bus',
          Source: EVENT_SOURCE,
          DetailType: REAUTH_REQUIRED_DETAIL_TYPE,
          Detail: JSON.stringify({ sellerId: 'A2EUQ1WTGCTBG2', region: 'EU', reason: 'invalid_grant' }),
        },
      ],
    });
  });
});
