import { InternalServiceError, ResourceNotFoundException } from '@aws-sdk/client-secrets-manager';
import { fullJitterDelay, isRetryableAwsError, retryWithBackoff } from '../../../lambda/shared/backoff';

const awsError = (name: string, httpStatusCode?: number): Error =>
  Object.assign(new Error(`${name} happened`), {
    name,
    $metadata: httpStatusCode === undefined ? {} : { httpStatusCode },
  });

describe('fullJitterDelay', () => {
  it('draws uniformly between 0 and the exponential step', () => {
    // Prepare
    const options = { baseDelayMs: 100, maxDelayMs: 10_000 };

    // Act
    const lowest = fullJitterDelay(3, { ...options, random: () => 0 });
    const middle = fullJitterDelay(3, { ...options, random: () => 0.5 });
    const highest = fullJitterDelay(3, { ...options, random: () => 0.999_999 });

    // Assess
    expect(lowest).toBe(0);
    expect(middle).toBe(400);
    expect(highest).toBe(799);
  });

  it('doubles the ceiling per attempt until maxDelayMs caps it', () => {
    // Prepare
    const options = { baseDelayMs: 100, maxDelayMs: 1_000, random: () => 0.999_999 };

    // Act
    const ceilings = [0, 1, 2, 3, 4, 10, 2_000].map((attempt) => fullJitterDelay(attempt, options) + 1);

    // Assess
    expect(ceilings).toEqual([100, 200, 400, 800, 1_000, 1_000, 1_000]);
  });
});

describe('retryWithBackoff', () => {
  const options = () => ({
    maxAttempts: 4,
    baseDelayMs: 100,
    maxDelayMs: 1_000,
    sleep: jest.fn(async (_ms: number) => {}),
    random: () => 0.5,
  });

  it('returns the first success without sleeping', async () => {
    // Prepare
    const opts = options();
    const operation = jest.fn(async () => 'ok');

    // Act
    const result = await retryWithBackoff(operation, () => true, opts);

    // Assess
    expect(result).toBe('ok');
    expect(operation).toHaveBeenCalledTimes(1);
    expect(opts.sleep).not.toHaveBeenCalled();
  });

  it('retries retryable failures with jittered sleeps and passes the attempt number', async () => {
    // Prepare
    const opts = options();
    const operation = jest
      .fn<Promise<string>, [number]>()
      .mockRejectedValueOnce(new Error('one'))
      .mockRejectedValueOnce(new Error('two'))
      .mockResolvedValueOnce('ok');

    // Act
    const result = await retryWithBackoff(operation, () => true, opts);

    // Assess
    expect(result).toBe('ok');
    expect(operation.mock.calls.map(([attempt]) => attempt)).toEqual([0, 1, 2]);
    expect(opts.sleep.mock.calls).toEqual([[50], [100]]);
  });

  it('gives up after maxAttempts and throws the last error', async () => {
    // Prepare
    const opts = options();
    let n = 0;
    const operation = jest.fn(async () => {
      n++;
      throw new Error(`failure ${n}`);
    });

    // Act
    const outcome = retryWithBackoff(operation, () => true, opts);

    // Assess
    await expect(outcome).rejects.toThrow('failure 4');
    expect(operation).toHaveBeenCalledTimes(4);
    expect(opts.sleep).toHaveBeenCalledTimes(3);
  });

  it('throws a non-retryable error at once', async () => {
    // Prepare
    const opts = options();
    const operation = jest.fn(async () => {
      throw new Error('final answer');
    });

    // Act
    const outcome = retryWithBackoff(operation, () => false, opts);

    // Assess
    await expect(outcome).rejects.toThrow('final answer');
    expect(operation).toHaveBeenCalledTimes(1);
    expect(opts.sleep).not.toHaveBeenCalled();
  });

  it('sleeps at least minDelayMs when the caller asks for it, and the jitter when that is longer', async () => {
    // Prepare
    const opts = { ...options(), maxAttempts: 3 };
    const minDelayMs = jest.fn().mockReturnValueOnce(700).mockReturnValueOnce(10);
    const operation = jest
      .fn<Promise<string>, [number]>()
      .mockRejectedValueOnce(new Error('busy'))
      .mockRejectedValueOnce(new Error('busy'))
      .mockResolvedValueOnce('ok');

    // Act
    await retryWithBackoff(operation, () => true, { ...opts, minDelayMs });

    // Assess
    expect(opts.sleep.mock.calls).toEqual([[700], [100]]);
  });
});

describe('isRetryableAwsError', () => {
  it.each([
    'ThrottlingException',
    'Throttling',
    'TooManyRequestsException',
    'RequestLimitExceeded',
    'ProvisionedThroughputExceededException',
    'RequestThrottledException',
  ])('retries %s even though it is a 400', (name) => {
    // Assess
    expect(isRetryableAwsError(awsError(name, 400))).toBe(true);
  });

  it.each([429, 500, 502, 503, 504])('retries HTTP %i', (status) => {
    // Assess
    expect(isRetryableAwsError(awsError('SomeServiceError', status))).toBe(true);
  });

  it('retries a modelled 5xx from the SDK', () => {
    // Prepare
    const error = new InternalServiceError({ message: 'oops', $metadata: { httpStatusCode: 500 } });

    // Assess
    expect(isRetryableAwsError(error)).toBe(true);
  });

  it.each([
    ['AccessDeniedException', 400],
    ['ValidationException', 400],
    ['InvalidRequestException', 400],
    ['ConditionalCheckFailedException', 400],
  ])('does not retry %s (%i)', (name, status) => {
    // Assess
    expect(isRetryableAwsError(awsError(name, status))).toBe(false);
  });

  it('does not retry a modelled 4xx from the SDK', () => {
    // Prepare
    const error = new ResourceNotFoundException({ message: 'gone', $metadata: { httpStatusCode: 400 } });

    // Assess
    expect(isRetryableAwsError(error)).toBe(false);
  });

  it.each(['TimeoutError', 'AbortError'])('retries a %s that never got an answer', (name) => {
    // Assess
    expect(isRetryableAwsError(awsError(name))).toBe(true);
  });

  it.each(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT'])(
    'retries a socket error with code %s',
    (code) => {
      // Prepare
      const error = Object.assign(new Error('socket'), { code });

      // Assess
      expect(isRetryableAwsError(error)).toBe(true);
    },
  );

  it('does not retry an unknown error without a status, nor a non-Error', () => {
    // Assess
    expect(isRetryableAwsError(new Error('bug'))).toBe(false);
    expect(isRetryableAwsError('ThrottlingException')).toBe(false);
    expect(isRetryableAwsError(undefined)).toBe(false);
  });
});
