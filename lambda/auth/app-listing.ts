import { AppCredentialsError } from '../shared/app-credentials';

type Env = Readonly<Record<string, string | undefined>>;

/**
 * What `/authorize` and `/login` put in the consent URLs: the SP-API application id and whether
 * the application is a draft (`version=beta`). Both are public (every consent URL shows them), so
 * they come from the function's environment and these functions get no access to the app secret.
 */
export interface AppListing {
  readonly applicationId: string;
  readonly draft: boolean;
}

export interface AppListingSource {
  get(): Promise<AppListing>;
}

/**
 * Reads `APPLICATION_ID` and `APPLICATION_DRAFT`. A deployment without an application id answers
 * every call with an {@link AppCredentialsError}, which the routes turn into their 503 page.
 */
export function appListingFromEnv(env: Env = process.env): AppListingSource {
  const applicationId = env.APPLICATION_ID?.trim() ?? '';
  const draft = env.APPLICATION_DRAFT?.trim() === 'true';
  return {
    get: async () => {
      if (applicationId === '') {
        throw new AppCredentialsError(
          'APPLICATION_ID is not set: deploy with the applicationId prop or context key (README, "Deploy").',
        );
      }
      return { applicationId, draft };
    },
  };
}
