import { BadParameterError, MAX_PARAM_LENGTH, readQueryParams } from '../../../lambda/auth/query-params';
import { apiGatewayEvent } from '../../support/api-gateway-event';

const RULES = {
  state: { required: true, pattern: /^[A-Za-z0-9_-]{43}$/, maxLength: 64 },
  code: { required: true, pattern: /^[A-Za-z0-9._~+/=-]+$/, maxLength: 1024 },
  region: { required: false, pattern: /^(NA|EU|FE)$/ },
  note: { required: false, pattern: /^.*$/ },
};
const STATE = 'q1w2e3r4t5y6u7i8o9p0a1s2d3f4g5h6j7k8l9z0x1c';

function problemOf(read: () => unknown): { parameter: string; problem: string } | undefined {
  try {
    read();
    return undefined;
  } catch (error) {
    if (!(error instanceof BadParameterError)) throw error;
    return { parameter: error.parameter, problem: error.problem };
  }
}

describe('readQueryParams', () => {
  it('returns the validated values and leaves optional absent ones out', () => {
    // Prepare
    const event = apiGatewayEvent('/callback', [
      ['state', STATE],
      ['code', 'abc.DEF~123'],
      ['unrelated', 'ignored'],
    ]);

    // Act
    const params = readQueryParams(event, RULES);

    // Assess
    expect(params).toEqual({ state: STATE, code: 'abc.DEF~123' });
  });

  it.each([
    ['no query string at all', [] as Array<[string, string]>],
    ['the parameter absent', [['code', 'c']] as Array<[string, string]>],
    [
      'the parameter empty',
      [
        ['state', ''],
        ['code', 'c'],
      ] as Array<[string, string]>,
    ],
  ])('reports a required parameter as missing with %s', (_, query) => {
    // Prepare
    const event = apiGatewayEvent('/callback', query);

    // Act
    const problem = problemOf(() => readQueryParams(event, RULES));

    // Assess
    expect(problem).toEqual({ parameter: 'state', problem: 'missing' });
  });

  it('reports a repeated parameter as duplicated even though the single-value map kept one', () => {
    // Prepare
    const event = apiGatewayEvent('/callback', [
      ['state', STATE],
      ['state', STATE],
      ['code', 'c'],
    ]);

    // Act
    const problem = problemOf(() => readQueryParams(event, RULES));

    // Assess
    expect(event.queryStringParameters?.state).toBe(STATE);
    expect(problem).toEqual({ parameter: 'state', problem: 'duplicated' });
  });

  it('reports a repeated optional parameter as duplicated too', () => {
    // Prepare
    const event = apiGatewayEvent('/callback', [
      ['state', STATE],
      ['code', 'c'],
      ['region', 'EU'],
      ['region', 'NA'],
    ]);

    // Act
    const problem = problemOf(() => readQueryParams(event, RULES));

    // Assess
    expect(problem).toEqual({ parameter: 'region', problem: 'duplicated' });
  });

  it('reports a value over the rule’s maxLength as oversized before looking at its shape', () => {
    // Prepare
    const event = apiGatewayEvent('/callback', [
      ['state', STATE],
      ['code', 'a'.repeat(1025)],
    ]);

    // Act
    const problem = problemOf(() => readQueryParams(event, RULES));

    // Assess
    expect(problem).toEqual({ parameter: 'code', problem: 'oversized' });
  });

  it('accepts a value of exactly maxLength', () => {
    // Prepare
    const event = apiGatewayEvent('/callback', [
      ['state', STATE],
      ['code', 'a'.repeat(1024)],
    ]);

    // Act
    const params = readQueryParams(event, RULES);

    // Assess
    expect(params.code).toHaveLength(1024);
  });

  it('caps parameters without their own maxLength at MAX_PARAM_LENGTH', () => {
    // Prepare
    const event = apiGatewayEvent('/callback', [
      ['state', STATE],
      ['code', 'c'],
      ['note', 'x'.repeat(MAX_PARAM_LENGTH + 1)],
    ]);

    // Act
    const problem = problemOf(() => readQueryParams(event, RULES));

    // Assess
    expect(problem).toEqual({ parameter: 'note', problem: 'oversized' });
  });

  it.each([
    ['state', 'too-short'],
    ['state', `${STATE.slice(0, 42)}!`],
    ['code', 'has space'],
    ['code', '<script>'],
    ['region', 'eu'],
    ['region', 'US'],
  ])('reports %s=%s as malformed', (name, value) => {
    // Prepare
    const base: Record<string, string> = { state: STATE, code: 'c' };
    base[name] = value;
    const event = apiGatewayEvent('/callback', Object.entries(base));

    // Act
    const problem = problemOf(() => readQueryParams(event, RULES));

    // Assess
    expect(problem).toEqual({ parameter: name, problem: 'malformed' });
  });

  it('falls back to the single-value map when the multi-value map is absent', () => {
    // Prepare
    const event = {
      queryStringParameters: { state: STATE, code: 'c' },
      multiValueQueryStringParameters: null,
    };

    // Act
    const params = readQueryParams(event, RULES);

    // Assess
    expect(params).toEqual({ state: STATE, code: 'c' });
  });

  it('names the parameter and the problem in the message, never the value', () => {
    // Prepare
    const event = apiGatewayEvent('/callback', [
      ['state', STATE],
      ['code', 'secret code value'],
    ]);

    // Act
    let message = '';
    try {
      readQueryParams(event, RULES);
    } catch (error) {
      message = (error as Error).message;
    }

    // Assess
    expect(message).toBe('The code parameter is malformed.');
  });
});
