/**
 * The one SP-API Application Management operation the service uses: ask Amazon for a new LWA
 * client secret. Amazon answers 204 and sends the secret as a notification, never in the answer.
 */

/** The grantless scope that `rotateApplicationClientSecret` requires. */
export const ROTATION_SCOPE = 'sellingpartnerapi::client_credential:rotation';
export const CLIENT_SECRET_PATH = '/applications/2023-11-30/clientSecret';

/**
 * - `transient`: 429, 5xx, timeouts, network errors: ask again later;
 * - `forbidden`: 403, the token lacks the rotation scope or the app may not rotate;
 * - `request`: any other refusal, which asking again will not fix.
 */
export type ApplicationManagementFailureKind = 'transient' | 'forbidden' | 'request';

/** A failed rotation request. The message carries the HTTP status and SP-API's error code only. */
export class ApplicationManagementError extends Error {
  readonly kind: ApplicationManagementFailureKind;

  constructor(
    readonly status: number | undefined,
    readonly code: string,
  ) {
    super(`SP-API rotateApplicationClientSecret answered ${code}${status ? ` (HTTP ${status})` : ''}`);
    this.name = 'ApplicationManagementError';
    this.kind =
      status === undefined || status === 429 || status >= 500
        ? 'transient'
        : status === 403
          ? 'forbidden'
          : 'request';
  }
}

export interface ApplicationManagementClientOptions {
  readonly timeoutMs?: number;
  readonly fetch?: typeof fetch;
}

const SAFE_CODE = /^[A-Za-z0-9_.-]{1,64}$/;

export class ApplicationManagementClient {
  private readonly timeoutMs: number;
  private readonly fetchImpl: typeof fetch;

  constructor(options: ApplicationManagementClientOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.fetchImpl = options.fetch ?? fetch;
  }

  /** `POST /applications/2023-11-30/clientSecret` with a grantless token of {@link ROTATION_SCOPE}. */
  async rotateClientSecret(baseUrl: string, accessToken: string): Promise<void> {
    let response: Response;
    try {
      response = await this.fetchImpl(`${baseUrl}${CLIENT_SECRET_PATH}`, {
        method: 'POST',
        headers: { 'x-amz-access-token': accessToken, accept: 'application/json' },
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      const name = (error as { name?: unknown } | null)?.name;
      throw new ApplicationManagementError(
        undefined,
        name === 'TimeoutError' || name === 'AbortError' ? 'timeout' : 'network_error',
      );
    }
    if (response.ok) {
      await response.body?.cancel();
      return;
    }
    let code = `http_${response.status}`;
    try {
      const body = (await response.json()) as { errors?: Array<{ code?: unknown }> };
      const first = body.errors?.[0]?.code;
      if (typeof first === 'string' && SAFE_CODE.test(first)) code = first;
    } catch {
      // A non-JSON error page is classified by its status alone.
    }
    throw new ApplicationManagementError(response.status, code);
  }
}
