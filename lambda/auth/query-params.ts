import type { APIGatewayProxyEvent } from 'aws-lambda';

/** Longer than any state, seller id, code or Seller Central URL we expect; anything longer is refused. */
export const MAX_PARAM_LENGTH = 2048;

export interface ParamRule {
  readonly required: boolean;
  readonly pattern: RegExp;
  readonly maxLength?: number;
}

/** A request parameter was missing, repeated, too long or malformed. The message names the parameter only. */
export class BadParameterError extends Error {
  constructor(
    readonly parameter: string,
    readonly problem: 'missing' | 'duplicated' | 'oversized' | 'malformed',
  ) {
    super(`The ${parameter} parameter is ${problem}.`);
    this.name = 'BadParameterError';
  }
}

/**
 * Reads the named query parameters from a REST API proxy event and validates each. Repeats are
 * detected through the multi-value map, because `queryStringParameters` silently keeps the last one.
 */
export function readQueryParams<K extends string>(
  event: Pick<APIGatewayProxyEvent, 'queryStringParameters' | 'multiValueQueryStringParameters'>,
  rules: Readonly<Record<K, ParamRule>>,
): Partial<Record<K, string>> {
  const result: Partial<Record<K, string>> = {};
  for (const name of Object.keys(rules) as K[]) {
    const rule = rules[name];
    const values =
      event.multiValueQueryStringParameters?.[name] ??
      (event.queryStringParameters?.[name] !== undefined
        ? [event.queryStringParameters[name] as string]
        : []);
    if (values.length > 1) throw new BadParameterError(name, 'duplicated');
    const value = values[0];
    if (value === undefined || value === '') {
      if (rule.required) throw new BadParameterError(name, 'missing');
      continue;
    }
    if (value.length > (rule.maxLength ?? MAX_PARAM_LENGTH)) throw new BadParameterError(name, 'oversized');
    if (!rule.pattern.test(value)) throw new BadParameterError(name, 'malformed');
    result[name] = value;
  }
  return result;
}
