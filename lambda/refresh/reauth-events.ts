import { type EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { Region } from '../shared/regions';

export const EVENT_SOURCE = 'lwa-token-service';
export const REAUTH_REQUIRED_DETAIL_TYPE = 'Seller reauthorization required';

/**
 * Publishes one EventBridge event per seller that must authorize again, so an operator can
 * route it to email or a ticket. The detail names the seller and region, never a token.
 */
export function reauthEventPublisher(client: EventBridgeClient, eventBusName: string) {
  return async (seller: { sellerId: string; region: Region }): Promise<void> => {
    const output = await client.send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: eventBusName,
            Source: EVENT_SOURCE,
            DetailType: REAUTH_REQUIRED_DETAIL_TYPE,
            Detail: JSON.stringify({
              sellerId: seller.sellerId,
              region: seller.region,
              reason: 'invalid_grant',
            }),
          },
        ],
      }),
    );
    // PutEvents answers 200 even when an entry was rejected; only FailedEntryCount tells.
    if (output.FailedEntryCount) {
      throw new Error(
        `EventBridge rejected the reauthorization event (${output.Entries?.[0]?.ErrorCode ?? 'unknown'})`,
      );
    }
  };
}
