import {
  MalformedTokenSecretError,
  parseTokenSecret,
  serializeTokenSecret,
  type TokenSecretValue,
} from '../../../lambda/shared/token-secret';

const NAME = 'lwa-tokens/sellers/NA/A2EUQ1WTGCTBG2';
const ACCESS_TOKEN = 'Atza|IwEBIaccess-token-value';
const REFRESH_TOKEN = 'Atzr|IwEBIrefresh-token-value';

const SELLER: TokenSecretValue = {
  sellerId: 'A2EUQ1WTGCTBG2',
  region: 'NA',
  accessToken: ACCESS_TOKEN,
  accessTokenExpiresAt: '2026-11-24T21:19:26.000Z',
  refreshToken: REFRESH_TOKEN,
  tokenType: 'bearer',
  updatedAt: '2026-11-24T20:19:26.000Z',
};

const parseError = (value: string | undefined): Error => {
  try {
    parseTokenSecret(NAME, value);
  } catch (error) {
    if (error instanceof Error) return error;
  }
  throw new Error('expected parseTokenSecret to throw');
};

describe('token secret JSON', () => {
  it('round-trips a seller secret', () => {
    // Act
    const parsed = parseTokenSecret(NAME, serializeTokenSecret(SELLER));

    // Assess
    expect(parsed).toEqual({ ...SELLER, scope: undefined });
  });

  it('writes the keys in the contract order', () => {
    // Act
    const keys = Object.keys(JSON.parse(serializeTokenSecret(SELLER)));

    // Assess
    expect(keys).toEqual([
      'sellerId',
      'region',
      'accessToken',
      'accessTokenExpiresAt',
      'refreshToken',
      'tokenType',
      'updatedAt',
    ]);
  });

  it('round-trips a grantless secret, which has a scope and no sellerId or refreshToken', () => {
    // Prepare
    const grantless: TokenSecretValue = {
      scope: 'sellingpartnerapi::notifications',
      region: 'EU',
      accessToken: ACCESS_TOKEN,
      accessTokenExpiresAt: '2026-11-24T21:19:26.000Z',
      tokenType: 'bearer',
      updatedAt: '2026-11-24T20:19:26.000Z',
    };

    // Act
    const json = serializeTokenSecret(grantless);
    const parsed = parseTokenSecret(NAME, json);

    // Assess
    expect(JSON.parse(json)).not.toHaveProperty('sellerId');
    expect(JSON.parse(json)).not.toHaveProperty('refreshToken');
    expect(parsed).toEqual({ ...grantless, sellerId: undefined, refreshToken: undefined });
  });

  it('defaults tokenType to bearer and updatedAt to the expiry, and drops an empty refresh token', () => {
    // Prepare
    const { tokenType: _t, updatedAt: _u, ...rest } = SELLER;

    // Act
    const parsed = parseTokenSecret(NAME, JSON.stringify({ ...rest, refreshToken: '' }));

    // Assess
    expect(parsed.tokenType).toBe('bearer');
    expect(parsed.updatedAt).toBe(SELLER.accessTokenExpiresAt);
    expect(parsed.refreshToken).toBeUndefined();
  });

  it.each([
    ['no SecretString', undefined],
    ['no SecretString', ''],
    ['not JSON', `{"accessToken":"${ACCESS_TOKEN}","refreshToken":"${REFRESH_TOKEN}"`],
    ['not an object', `"${REFRESH_TOKEN}"`],
    ['not an object', 'null'],
    ['missing region', JSON.stringify({ ...SELLER, region: undefined })],
    ['unknown region', JSON.stringify({ ...SELLER, region: 'US' })],
    ['missing accessToken', JSON.stringify({ ...SELLER, accessToken: '' })],
    ['missing accessTokenExpiresAt', JSON.stringify({ ...SELLER, accessTokenExpiresAt: 12 })],
    ['accessTokenExpiresAt is not a date', JSON.stringify({ ...SELLER, accessTokenExpiresAt: 'later' })],
  ])('reports %s without including the value', (problem, value) => {
    // Act
    const error = parseError(value);

    // Assess
    expect(error).toBeInstanceOf(MalformedTokenSecretError);
    expect(error.name).toBe('MalformedTokenSecretError');
    expect(error.message).toContain(NAME);
    expect(error.message).toContain(`(${problem})`);
    expect(error.message).not.toContain(ACCESS_TOKEN);
    expect(error.message).not.toContain(REFRESH_TOKEN);
  });
});
