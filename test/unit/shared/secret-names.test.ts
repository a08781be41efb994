import {
  DEFAULT_TOKEN_SECRET_PREFIX,
  grantlessSecretName,
  isScope,
  isSellerId,
  scopeSlug,
  sellerSecretName,
} from '../../../lambda/shared/secret-names';

describe('secret names', () => {
  it('names a seller secret <prefix>/sellers/<REGION>/<sellerId>', () => {
    // Assess
    expect(sellerSecretName(DEFAULT_TOKEN_SECRET_PREFIX, 'NA', 'A2EUQ1WTGCTBG2')).toBe(
      'lwa-tokens/sellers/NA/A2EUQ1WTGCTBG2',
    );
  });

  it('names a grantless secret <prefix>/grantless/<REGION>/<scope slug>', () => {
    // Assess
    expect(grantlessSecretName('lwa-tokens', 'NA', 'sellingpartnerapi::notifications')).toBe(
      'lwa-tokens/grantless/NA/sellingpartnerapi-notifications',
    );
  });

  it.each([
    ['sellingpartnerapi::notifications', 'sellingpartnerapi-notifications'],
    ['sellingpartnerapi::client_credential:rotation', 'sellingpartnerapi-client_credential-rotation'],
    ['profile', 'profile'],
    ['a b/c', 'a-b-c'],
    ['keeps_+=.@-as-is', 'keeps_+=.@-as-is'],
    ['runs:: //of  ::junk', 'runs-of-junk'],
  ])('slugs scope %s as %s', (scope, slug) => {
    // Assess
    expect(scopeSlug(scope)).toBe(slug);
  });

  it.each(['A2EUQ1WTGCTBG2', 'A1B2C3D4', `A${'Z'.repeat(31)}`])('accepts seller id %s', (id) => {
    // Assess
    expect(isSellerId(id)).toBe(true);
  });

  it.each(['', 'a2euq1wtgctbg2', 'B2EUQ1WTGCTBG2', 'A123', `A${'Z'.repeat(32)}`, '../A2EUQ1WTGCTBG2', 42])(
    'refuses seller id %p',
    (id) => {
      // Assess
      expect(isSellerId(id)).toBe(false);
    },
  );

  it('accepts LWA scopes and refuses anything that could change a secret path', () => {
    // Assess
    expect(isScope('sellingpartnerapi::notifications')).toBe(true);
    expect(isScope('profile')).toBe(true);
    expect(isScope('')).toBe(false);
    expect(isScope('a/b')).toBe(false);
    expect(isScope('x'.repeat(129))).toBe(false);
    expect(isScope(undefined)).toBe(false);
  });
});
