import type { FleetItem } from './fleet';
import type { Settings } from './settings';

/** What to do about a seller who must authorize again: the stack's authorize link when known. */
export async function reauthorizeHint(item: FleetItem, settings: Settings): Promise<string> {
  if (item.kind === 'device') return 'Run `lwa-tokens device-login` for the account again.';
  if (item.kind === 'grantless')
    return 'Check the app credentials and the scope; the refresher retries grantless items.';
  const authorizeUrl = await settings.optional('authorizeUrl').catch(() => undefined);
  return authorizeUrl
    ? `The seller must authorize again: ${authorizeUrl}?region=${item.region}`
    : 'The seller must authorize again through the AuthorizeUrl stack output (?region=…).';
}
