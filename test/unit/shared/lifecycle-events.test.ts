import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { EVENT_SOURCE, EventBridgePublisher, LifecycleEvent } from '../../../lambda/shared/lifecycle-events';

describe('EventBridgePublisher', () => {
  const eventBridge = mockClient(EventBridgeClient);
  const log = { warn: jest.fn() };
  const onDropped = jest.fn();
  const sleep = jest.fn(async (_ms: number) => {});
  const publisher = () =>
    new EventBridgePublisher(new EventBridgeClient({ region: 'us-east-1' }), 'ops-bus', {
      retry: { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 100, sleep, random: () => 0.5 },
      log,
      onDropped,
    });

  beforeEach(() => {
    eventBridge.reset();
    jest.clearAllMocks();
  });

  it('publishes one event with the contract source, detail type and detail', async () => {
    // Prepare
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
    const detail = { sellerId: 'A2EUQ1WTGCTBG2', region: 'EU', kind: 'seller', reason: 'invalid_grant' };

    // Act
    const sent = await publisher().publish(LifecycleEvent.SellerReauthorizationRequired, detail);

    // Assess
    expect(sent).toBe(true);
    expect(eventBridge).toReceiveCommandTimes(PutEventsCommand, 1);
    expect(eventBridge).toReceiveCommandWith(PutEventsCommand, {
      Entries: [
        {
          EventBusName: 'ops-bus',
          Source: EVENT_SOURCE,
          DetailType: 'Seller reauthorization required',
          Detail: JSON.stringify(detail),
        },
      ],
    });
  });

  it('retries a throttled entry, then reports success', async () => {
    // Prepare
    eventBridge
      .on(PutEventsCommand)
      .resolvesOnce({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'ThrottlingException' }] })
      .resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-2' }] });

    // Act
    const sent = await publisher().publish(LifecycleEvent.SellerAuthorized, {
      sellerId: 'A1',
      kind: 'seller',
    });

    // Assess
    expect(sent).toBe(true);
    expect(eventBridge).toReceiveCommandTimes(PutEventsCommand, 2);
    expect(sleep).toHaveBeenCalledTimes(1);
    expect(onDropped).not.toHaveBeenCalled();
  });

  it('drops an event after its retries without throwing, and logs and counts it', async () => {
    // Prepare
    eventBridge
      .on(PutEventsCommand)
      .rejects(
        Object.assign(new Error('down'), { name: 'InternalException', $metadata: { httpStatusCode: 500 } }),
      );

    // Act
    const sent = await publisher().publish(LifecycleEvent.TokenRefreshFailing, {
      sellerId: 'A1',
      kind: 'seller',
    });

    // Assess
    expect(sent).toBe(false);
    expect(eventBridge).toReceiveCommandTimes(PutEventsCommand, 3);
    expect(onDropped).toHaveBeenCalledWith('Token refresh failing');
    expect(log.warn).toHaveBeenCalledWith(
      expect.stringContaining('dropped'),
      expect.objectContaining({ detailType: 'Token refresh failing' }),
    );
  });

  it.each([
    ['a credential field', { kind: 'seller', refreshToken: 'x' }],
    ['a value shaped like an LWA token', { kind: 'seller', note: 'Atza|abc' }],
  ])('never sends a detail holding %s', async (_label, detail) => {
    // Act
    const sent = await publisher().publish(LifecycleEvent.SellerAuthorized, detail);

    // Assess
    expect(sent).toBe(false);
    expect(eventBridge).not.toReceiveCommand(PutEventsCommand);
    expect(JSON.stringify(log.warn.mock.calls)).not.toContain('Atza|abc');
  });
});
