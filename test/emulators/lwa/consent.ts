/**
 * Seller Central's consent page, as far as the website authorization workflow sees it:
 * `GET /apps/authorize/consent?application_id=…&state=…[&version=beta]` shows the application and
 * lets a person pick a seller and Authorize or Deny; the answer is a redirect to the app's
 * callback with `state`, `selling_partner_id` and `spapi_oauth_code`, or `error=access_denied`.
 * Pure functions of the request; the server owns the configuration and issues the codes.
 */

export const CONSENT_PATH = '/apps/authorize/consent';

/** Seller ids offered on the page; any other id can be typed in. */
export const SAMPLE_SELLER_IDS = ['A1LOCALSELLER01', 'A2LOCALSELLER02', 'A3LOCALSELLER03'] as const;

/** The SP-API `selling_partner_id` shape the callback accepts. */
const SELLER_ID = /^A[0-9A-Z]{7,31}$/;
const MAX_PARAM_LENGTH = 1024;

export interface ConsentConfig {
  /** The app's redirect URI (its `/callback`); unset until the app tells the emulator. */
  readonly callbackUrl?: string;
  readonly sampleSellerIds: readonly string[];
}

export interface ConsentRequest {
  readonly applicationId: string;
  readonly state: string;
  readonly beta: boolean;
}

export type ConsentReply =
  | { readonly kind: 'page'; readonly status: number; readonly html: string }
  | { readonly kind: 'redirect'; readonly location: string };

/** The query (GET) or form (POST) fields every consent request carries. */
export function readConsentRequest(params: URLSearchParams): ConsentRequest | string {
  const applicationId = single(params, 'application_id');
  const state = single(params, 'state');
  if (typeof applicationId !== 'string') return applicationId.problem;
  if (typeof state !== 'string') return state.problem;
  return { applicationId, state, beta: params.get('version') === 'beta' };
}

export function showConsent(config: ConsentConfig, params: URLSearchParams): ConsentReply {
  const request = readConsentRequest(params);
  if (typeof request === 'string') return errorPage(400, request);
  if (!config.callbackUrl) return noCallbackPage();
  return { kind: 'page', status: 200, html: consentPage(config, request) };
}

/**
 * The seller's answer. `issueCode` runs only for an authorized, well-formed seller id, so a
 * rejected form never leaves a code behind.
 */
export function answerConsent(
  config: ConsentConfig,
  form: URLSearchParams,
  issueCode: (sellerId: string) => string,
): ConsentReply {
  const request = readConsentRequest(form);
  if (typeof request === 'string') return errorPage(400, request);
  if (!config.callbackUrl) return noCallbackPage();
  const target = new URL(config.callbackUrl);
  switch (form.get('decision')) {
    case 'deny':
      target.searchParams.set('error', 'access_denied');
      target.searchParams.set('state', request.state);
      return { kind: 'redirect', location: target.toString() };
    case 'authorize': {
      const sellerId = (form.get('other_seller_id')?.trim() || form.get('seller_id') || '').trim();
      if (!SELLER_ID.test(sellerId)) {
        const error = sellerId
          ? `"${sellerId}" is not a selling partner id: it starts with A and has 8 to 32 upper-case letters and digits.`
          : 'Pick a seller or type a selling partner id.';
        return { kind: 'page', status: 400, html: consentPage(config, request, error) };
      }
      target.searchParams.set('state', request.state);
      target.searchParams.set('selling_partner_id', sellerId);
      target.searchParams.set('spapi_oauth_code', issueCode(sellerId));
      return { kind: 'redirect', location: target.toString() };
    }
    default:
      return errorPage(400, 'decision must be authorize or deny.');
  }
}

function single(params: URLSearchParams, name: string): string | { problem: string } {
  const values = params.getAll(name);
  if (values.length === 0 || values[0] === '') return { problem: `${name} is missing.` };
  if (values.length > 1) return { problem: `${name} is repeated.` };
  const value = values[0] as string;
  if (value.length > MAX_PARAM_LENGTH) return { problem: `${name} is too long.` };
  return value;
}

const STYLE = `body{font-family:system-ui,sans-serif;background:#f3f4f6;margin:0;color:#111}
header{background:#232f3e;color:#fff;padding:.8rem 1.5rem;font-weight:600}
header span{font-weight:400;opacity:.75;margin-left:.5rem}
main{max-width:34rem;margin:2rem auto;background:#fff;border-radius:8px;padding:1.5rem 2rem;box-shadow:0 1px 3px #0002}
code{background:#f3f4f6;padding:.1rem .3rem;border-radius:3px;word-break:break-all}
fieldset{border:1px solid #ddd;border-radius:6px;margin:1rem 0}
label{display:block;margin:.35rem 0}
input[type=text]{font:inherit;padding:.3rem;width:16rem}
.error{color:#b91c1c;font-weight:600}
.buttons{display:flex;gap:.75rem;margin-top:1.25rem}
button{font:inherit;padding:.5rem 1.4rem;border-radius:6px;border:1px solid #888;background:#fff;cursor:pointer}
button[value=authorize]{background:#ffd814;border-color:#fcd200}
.note{font-size:.85rem;color:#555}`;

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body><header>Seller Central<span>Login with Amazon emulator</span></header><main>${body}</main></body></html>`;
}

function consentPage(config: ConsentConfig, request: ConsentRequest, error?: string): string {
  const sellers = config.sampleSellerIds
    .map(
      (id, i) =>
        `<label><input type="radio" name="seller_id" value="${escapeHtml(id)}"${i === 0 ? ' checked' : ''}> ${escapeHtml(id)}</label>`,
    )
    .join('\n');
  const hidden = [
    ['application_id', request.applicationId],
    ['state', request.state],
    ...(request.beta ? [['version', 'beta']] : []),
  ]
    .map(([name, value]) => `<input type="hidden" name="${name}" value="${escapeHtml(value ?? '')}">`)
    .join('');
  return layout(
    'Authorize application',
    `<h1>Authorize application</h1>
<p>The application <code id="application-id">${escapeHtml(request.applicationId)}</code>${request.beta ? ' (draft, <code>version=beta</code>)' : ''}
asks for access to your selling account through the Selling Partner API.</p>
${error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : ''}
<form method="post" action="${CONSENT_PATH}">${hidden}
<fieldset><legend>Sign in as seller</legend>
${sellers}
<label>or another selling partner id: <input type="text" name="other_seller_id" placeholder="A1B2C3D4E5F6G7" autocomplete="off"></label>
</fieldset>
<div class="buttons"><button type="submit" name="decision" value="authorize">Authorize</button>
<button type="submit" name="decision" value="deny">Deny</button></div>
</form>
<p class="note">Your answer is sent to <code>${escapeHtml(config.callbackUrl ?? '')}</code>.</p>`,
  );
}

export function errorPage(status: number, message: string): ConsentReply {
  return {
    kind: 'page',
    status,
    html: layout(
      'Consent request is not valid',
      `<h1>Consent request is not valid</h1><p>${escapeHtml(message)}</p>`,
    ),
  };
}

function noCallbackPage(): ConsentReply {
  return errorPage(
    503,
    'The emulator does not know the application’s callback URL yet. Set it with the callbackUrl option, setConsentCallbackUrl(), or POST /__emulator/consent {"callbackUrl": "…"}.',
  );
}

function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );
}
