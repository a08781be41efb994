import type { Logger } from '@aws-lambda-powertools/logger';
import { type EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { type BackoffOptions, isRetryableAwsError, retryWithBackoff } from './backoff';
import { errorName } from './logger';

/** The `source` of every event this service publishes (DESIGN.md, "Lifecycle events"). */
export const EVENT_SOURCE = 'lwa-token-service';

/** Detail types, fixed by the public contract because consumers subscribe to them. */
export const LifecycleEvent = {
  SellerAuthorized: 'Seller authorized',
  SellerReauthorized: 'Seller reauthorized',
  SellerReauthorizationRequired: 'Seller reauthorization required',
  SellerAuthorizationExpiring: 'Seller authorization expiring',
  TokenRefreshFailing: 'Token refresh failing',
  TokenRefreshRecovered: 'Token refresh recovered',
  ClientSecretRotated: 'Client secret rotated',
  ClientSecretExpiring: 'Client secret expiring',
} as const;
export type LifecycleEvent = (typeof LifecycleEvent)[keyof typeof LifecycleEvent];

/**
 * An event's detail: who it is about (`sellerId`, `scope` or `accountId`), `region`, `kind`,
 * a `reason` where one applies and the relevant timestamps. Never a token, code or secret.
 */
export interface LifecycleEventDetail {
  readonly kind: string;
  readonly sellerId?: string;
  readonly scope?: string;
  readonly accountId?: string;
  readonly region?: string;
  readonly reason?: string;
  readonly [field: string]: string | number | boolean | undefined;
}

/** Publishes lifecycle events. Delivery is best effort: it reports failure, it never throws. */
export interface LifecycleEventPublisher {
  /** Resolves to true when the event was accepted, false when it was dropped after retries. */
  publish(type: LifecycleEvent, detail: LifecycleEventDetail): Promise<boolean>;
}

/** A publisher that drops everything, for callers configured without an event bus. */
export const noLifecycleEvents: LifecycleEventPublisher = { publish: async () => false };

/** Keys that would carry a credential. A detail holding one is a programming error, never sent. */
const FORBIDDEN_KEYS = new Set([
  'accessToken',
  'refreshToken',
  'clientSecret',
  'previousClientSecret',
  'newClientSecret',
  'code',
  'deviceCode',
  'state',
]);
/** LWA access and refresh tokens start like this; a value that does is never published. */
const TOKEN_PREFIX = /^Atz[ar]\|/;

/** Raised (and caught by the publisher) when a detail would leak a credential. */
export class UnsafeEventDetailError extends Error {
  constructor(field: string) {
    super(`Lifecycle event detail field "${field}" looks like a credential; the event was not sent.`);
    this.name = 'UnsafeEventDetailError';
  }
}

export function assertSafeDetail(detail: LifecycleEventDetail): void {
  for (const [key, value] of Object.entries(detail)) {
    if (FORBIDDEN_KEYS.has(key) || (typeof value === 'string' && TOKEN_PREFIX.test(value))) {
      throw new UnsafeEventDetailError(key);
    }
  }
}

/** EventBridge accepted the request but rejected the entry; only FailedEntryCount tells. */
export class EventRejectedError extends Error {
  constructor(readonly errorCode: string) {
    super(`EventBridge rejected the event (${errorCode}).`);
    this.name = 'EventRejectedError';
  }
}

const RETRYABLE_ENTRY_CODES = new Set(['ThrottlingException', 'InternalFailure', 'InternalException']);

function isRetryablePublishError(error: unknown): boolean {
  if (error instanceof EventRejectedError) return RETRYABLE_ENTRY_CODES.has(error.errorCode);
  return isRetryableAwsError(error);
}

export interface EventBridgePublisherOptions {
  readonly retry: BackoffOptions;
  readonly log: Pick<Logger, 'warn'>;
  /** Called once per event dropped after its retries, e.g. to count a metric. */
  readonly onDropped?: (type: LifecycleEvent) => void;
}

/**
 * Sends lifecycle events to one EventBridge bus. Throttling and 5xx are retried with backoff;
 * an event that still fails is logged by its detail type and counted, and the caller goes on:
 * a lost notification must never fail a refresh or an authorization.
 */
export class EventBridgePublisher implements LifecycleEventPublisher {
  constructor(
    private readonly client: EventBridgeClient,
    private readonly eventBusName: string,
    private readonly options: EventBridgePublisherOptions,
  ) {}

  async publish(type: LifecycleEvent, detail: LifecycleEventDetail): Promise<boolean> {
    try {
      assertSafeDetail(detail);
      await retryWithBackoff(() => this.send(type, detail), isRetryablePublishError, this.options.retry);
      return true;
    } catch (error) {
      this.options.onDropped?.(type);
      this.options.log.warn('Could not publish a lifecycle event; it was dropped', {
        detailType: type,
        error: errorName(error),
        ...(error instanceof EventRejectedError ? { errorCode: error.errorCode } : {}),
      });
      return false;
    }
  }

  private async send(type: LifecycleEvent, detail: LifecycleEventDetail): Promise<void> {
    const output = await this.client.send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: this.eventBusName,
            Source: EVENT_SOURCE,
            DetailType: type,
            Detail: JSON.stringify(detail),
          },
        ],
      }),
    );
    if (output.FailedEntryCount) {
      throw new EventRejectedError(output.Entries?.[0]?.ErrorCode ?? 'unknown');
    }
  }
}
