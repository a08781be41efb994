/**
 * The three SP-API / LWA regions. Secret names, table keys and endpoints are all keyed by these.
 * Kept apart from `./regions` (hosts, the marketplace table) so the token client, which needs only
 * the codes, doesn't carry that table into every consumer's bundle.
 */
export const REGIONS = ['NA', 'EU', 'FE'] as const;
export type Region = (typeof REGIONS)[number];

export function isRegion(value: unknown): value is Region {
  return typeof value === 'string' && (REGIONS as readonly string[]).includes(value);
}
