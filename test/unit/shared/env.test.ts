import {
  ConfigurationError,
  getIntegerFromEnv,
  getStringFromEnv,
  parseRegionList,
  parseRegionUrlMap,
} from '../../../lambda/shared/env';

describe('getStringFromEnv', () => {
  it('returns the trimmed value', () => {
    // Assess
    expect(getStringFromEnv('TABLE', { TABLE: '  sellers  ' })).toBe('sellers');
  });

  it.each([
    ['unset', {}],
    ['empty', { TABLE: '' }],
    ['blank', { TABLE: '   ' }],
  ])('names the variable when it is %s', (_label, env) => {
    // Act
    const read = () => getStringFromEnv('TABLE', env);

    // Assess
    expect(read).toThrow(ConfigurationError);
    expect(read).toThrow('Environment variable TABLE is not set');
  });

  it('falls back to the default when unset or blank', () => {
    // Assess
    expect(getStringFromEnv('PREFIX', {}, 'lwa-tokens')).toBe('lwa-tokens');
    expect(getStringFromEnv('PREFIX', { PREFIX: ' ' }, 'lwa-tokens')).toBe('lwa-tokens');
  });

  it('reads process.env by default', () => {
    // Prepare
    process.env.ENV_TEST_ONLY_VARIABLE = 'from-process';

    // Act
    const value = getStringFromEnv('ENV_TEST_ONLY_VARIABLE');

    // Assess
    expect(value).toBe('from-process');
    delete process.env.ENV_TEST_ONLY_VARIABLE;
  });

  it('names itself ConfigurationError', () => {
    // Assess
    expect(new ConfigurationError('x').name).toBe('ConfigurationError');
  });
});

describe('getIntegerFromEnv', () => {
  const bounds = { min: 1, max: 50 };

  it('returns the default when unset or blank', () => {
    // Assess
    expect(getIntegerFromEnv('RATE', {}, 20, bounds)).toBe(20);
    expect(getIntegerFromEnv('RATE', { RATE: ' ' }, 20, bounds)).toBe(20);
  });

  it('reads an integer within bounds, inclusive', () => {
    // Assess
    expect(getIntegerFromEnv('RATE', { RATE: '1' }, 20, bounds)).toBe(1);
    expect(getIntegerFromEnv('RATE', { RATE: ' 50 ' }, 20, bounds)).toBe(50);
  });

  it.each(['0', '51', '2.5', 'twenty', '1e400', '-3'])(
    'refuses "%s", naming the variable and the range',
    (raw) => {
      // Act
      const read = () => getIntegerFromEnv('RATE', { RATE: raw }, 20, bounds);

      // Assess
      expect(read).toThrow(ConfigurationError);
      expect(read).toThrow(`Environment variable RATE must be an integer from 1 to 50, got "${raw}"`);
    },
  );
});

describe('parseRegionUrlMap', () => {
  it('reads region to URL and strips trailing slashes', () => {
    // Act
    const map = parseRegionUrlMap(
      'LWA_ENDPOINTS',
      '{"NA":"https://api.amazon.com/","EU":"https://api.amazon.co.uk","FE":"http://127.0.0.1:9000//"}',
    );

    // Assess
    expect(map).toEqual({
      NA: 'https://api.amazon.com',
      EU: 'https://api.amazon.co.uk',
      FE: 'http://127.0.0.1:9000',
    });
  });

  it.each([
    ['not JSON', '{NA:https://api.amazon.com}', 'is not valid JSON'],
    ['an array', '["https://api.amazon.com"]', 'must be a JSON object'],
    ['null', 'null', 'must be a JSON object'],
    ['an unknown region', '{"US":"https://api.amazon.com"}', 'unknown region "US"'],
    ['a non-URL', '{"NA":"api.amazon.com"}', 'no valid http(s) URL for region NA'],
    ['a non-string URL', '{"EU":42}', 'no valid http(s) URL for region EU'],
    ['another scheme', '{"FE":"ftp://api.amazon.co.jp"}', 'no valid http(s) URL for region FE'],
  ])('refuses %s, naming the variable', (_label, raw, problem) => {
    // Act
    const parse = () => parseRegionUrlMap('LWA_ENDPOINTS', raw);

    // Assess
    expect(parse).toThrow(ConfigurationError);
    expect(parse).toThrow('LWA_ENDPOINTS');
    expect(parse).toThrow(problem);
  });
});

describe('parseRegionList', () => {
  it('reads a comma-separated list, trimming and de-duplicating', () => {
    // Assess
    expect(parseRegionList('REGIONS', ' NA, EU ,NA,FE,')).toEqual(['NA', 'EU', 'FE']);
  });

  it.each(['', ' , ', 'NA,US', 'na'])('refuses "%s", naming the variable', (raw) => {
    // Act
    const parse = () => parseRegionList('REGIONS', raw);

    // Assess
    expect(parse).toThrow(ConfigurationError);
    expect(parse).toThrow('Environment variable REGIONS must be a comma-separated list of NA, EU, FE');
  });
});
