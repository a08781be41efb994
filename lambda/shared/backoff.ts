export type Sleep = (ms: number) => Promise<void>;

export const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export interface BackoffOptions {
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  readonly sleep: Sleep;
  /** Uniform in [0, 1); injected so tests are deterministic. */
  readonly random: () => number;
}

/** "Full jitter": a uniform delay between 0 and the capped exponential step, so retrying callers spread out. */
export function fullJitterDelay(
  attempt: number,
  options: Pick<BackoffOptions, 'baseDelayMs' | 'maxDelayMs' | 'random'>,
): number {
  const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** attempt);
  return Math.floor(options.random() * ceiling);
}

/**
 * Runs `operation` until it succeeds, fails with a non-retryable error, or runs out of attempts.
 * `minDelayMs` lets a caller honour a server's Retry-After on top of the jitter.
 */
export async function retryWithBackoff<T>(
  operation: (attempt: number) => Promise<T>,
  isRetryable: (error: unknown) => boolean,
  options: BackoffOptions & { minDelayMs?: (error: unknown) => number | undefined },
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await operation(attempt);
    } catch (error) {
      if (attempt + 1 >= options.maxAttempts || !isRetryable(error)) throw error;
      const jitter = fullJitterDelay(attempt, options);
      await options.sleep(Math.max(jitter, options.minDelayMs?.(error) ?? 0));
    }
  }
}

const THROTTLING_NAMES = new Set([
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'ProvisionedThroughputExceededException',
  'RequestThrottledException',
]);

/** Throttling, 5xx and network failures from an AWS SDK call; everything else is a real answer. */
export function isRetryableAwsError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (THROTTLING_NAMES.has(error.name)) return true;
  const meta = (error as { $metadata?: { httpStatusCode?: number } }).$metadata;
  const status = meta?.httpStatusCode;
  if (status !== undefined) return status === 429 || status >= 500;
  // No HTTP status at all means the request never got an answer (reset, timeout, DNS).
  return ['TimeoutError', 'AbortError', 'ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT'].some(
    (code) => error.name === code || (error as { code?: string }).code === code,
  );
}
