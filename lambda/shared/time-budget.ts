/** Milliseconds left in the invocation: Lambda's `context.getRemainingTimeInMillis`. */
export type RemainingTime = () => number;

/**
 * What an authorization must still have after LWA answers: the secret write (PutSecretValue, or
 * CreateSecret after it on a first authorization) and the table item write, each retried with
 * DEFAULT_AWS_RETRY (up to 1.5 s of backoff sleeps per write), plus the page. LWA spends the code
 * when it answers, so a Lambda timeout after that point loses the tokens; LWA's timeout is cut
 * short instead, which leaves the code unspent or at worst unanswered.
 */
export const AUTHORIZATION_WRITE_RESERVE_MS = 8_000;

/** Below this an LWA call is more likely to be cut off than answered, so it is not started at all. */
export const MIN_LWA_TIMEOUT_MS = 2_000;

/** One LWA call never waits longer than this, so a client-secret fallback still fits the invocation. */
export const MAX_LWA_TIMEOUT_MS = 10_000;

/**
 * Not enough of the invocation is left to call LWA and still store what it answers. Nothing was
 * sent to LWA, so a code or device code is still unspent.
 */
export class TimeBudgetExhaustedError extends Error {
  constructor(readonly remainingMs: number) {
    super(
      `Only ${remainingMs} ms of the invocation were left, less than the ${MIN_LWA_TIMEOUT_MS + AUTHORIZATION_WRITE_RESERVE_MS} ms an LWA call and the writes after it need; nothing was sent to Login with Amazon. If this recurs, the reads before the call are slow: check DynamoDB and Secrets Manager latency.`,
    );
    this.name = 'TimeBudgetExhaustedError';
  }
}

/**
 * The timeout for the next LWA call: whatever the invocation has left beyond the write reserve,
 * at most MAX_LWA_TIMEOUT_MS. Read again before every call, so a second call (the fallback to the
 * previous client secret) only gets what the first one left.
 */
export function lwaTimeoutWithin(remaining: RemainingTime): number {
  const remainingMs = remaining();
  const available = remainingMs - AUTHORIZATION_WRITE_RESERVE_MS;
  if (available < MIN_LWA_TIMEOUT_MS) throw new TimeBudgetExhaustedError(remainingMs);
  return Math.min(available, MAX_LWA_TIMEOUT_MS);
}
