import type { Duration } from 'aws-cdk-lib';
import type * as events from 'aws-cdk-lib/aws-events';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';

/** Settings shared by the authorization API and the refresher. */
export interface LwaTokenCommonProps {
  /**
   * LWA base URLs per region, merged over the defaults. `https://` only, or
   * `http://` on localhost/127.0.0.1 for the emulator; no trailing slash.
   * @default { NA: 'https://api.amazon.com', EU: 'https://api.amazon.co.uk', FE: 'https://api.amazon.co.jp' }
   */
  readonly lwaEndpoints?: { [region: string]: string };
  /**
   * How long before the access token's expiry a refresh is scheduled. Must be
   * more than twice `TOKEN_CLIENT_CACHE_MARGIN_SECONDS` (so readers never see a
   * token inside their cache margin) and at most 30 minutes.
   * @default Duration.minutes(10)
   */
  readonly refreshLead?: Duration;
  /**
   * Retention of the function and access log groups.
   * @default RetentionDays.THREE_MONTHS
   */
  readonly logRetention?: RetentionDays;
  /**
   * Event bus that receives the lifecycle events (source `lwa-token-service`): `Seller authorized`,
   * `Seller reauthorized`, `Seller reauthorization required`, `Seller authorization expiring`,
   * `Token refresh failing`, `Token refresh recovered` and `Client secret rotated`. The callback,
   * the refresher and the rotation may put events on this bus only.
   * @default - the account's default event bus
   */
  readonly eventBus?: events.IEventBus;
}
