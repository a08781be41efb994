import { SELLER_ID_PATTERN } from '../shared/secret-names';
import type { ParamRule } from './query-params';
import { STATE_PATTERN } from './state-store';

/*
 * The query parameters each authorization route reads, with their patterns and size limits
 * (MAX_PARAM_LENGTH where no maxLength is given). docs/openapi.yaml describes the same rules;
 * test/stack/openapi.test.ts fails when the two disagree.
 */

/** `GET /authorize`: `region`, or `marketplace` (with `account=vendor` for Vendor Central). */
export const AUTHORIZE_PARAMS = {
  region: { required: false, pattern: /^(NA|EU|FE)$/ },
  marketplace: { required: false, pattern: /^[A-Za-z0-9]{2,20}$/ },
  account: { required: false, pattern: /^(seller|vendor)$/ },
} as const satisfies Readonly<Record<string, ParamRule>>;

/** `GET /login`, as Seller Central calls it. */
export const LOGIN_PARAMS = {
  amazon_callback_uri: { required: true, pattern: /^https?:\/\/\S+$/ },
  amazon_state: { required: true, pattern: /^[\x21-\x7E]+$/ },
  selling_partner_id: { required: false, pattern: SELLER_ID_PATTERN },
} as const satisfies Readonly<Record<string, ParamRule>>;

/** `GET /callback`: seller and code are required unless `error` says the seller declined. */
export const CALLBACK_PARAMS = {
  state: { required: true, pattern: STATE_PATTERN, maxLength: 64 },
  error: { required: false, pattern: /^[a-z_]{1,64}$/ },
  selling_partner_id: { required: false, pattern: SELLER_ID_PATTERN, maxLength: 64 },
  spapi_oauth_code: { required: false, pattern: /^[A-Za-z0-9._~+/=-]+$/, maxLength: 1024 },
  region: { required: false, pattern: /^(NA|EU|FE)$/ },
} as const satisfies Readonly<Record<string, ParamRule>>;
