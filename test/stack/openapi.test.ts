import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Template } from 'aws-cdk-lib/assertions';
import { parse } from 'yaml';
import { MAX_PARAM_LENGTH, type ParamRule } from '../../lambda/auth/query-params';
import { AUTHORIZE_PARAMS, CALLBACK_PARAMS, LOGIN_PARAMS } from '../../lambda/auth/route-params';
import { AUTHORIZATION_ID_PATTERN } from '../../lambda/device/pending-authorizations';
import { LwaTokenStack } from '../../lib/lwa-token-stack';
import { appWithoutBundling, templateOf } from './helpers';

// docs/openapi.yaml against what the stack deploys and what the handlers accept.

interface Parameter {
  readonly name: string;
  readonly in: 'query' | 'path' | 'header';
  readonly required?: boolean;
  readonly schema: { readonly pattern?: string; readonly maxLength?: number };
}

interface Operation {
  readonly operationId: string;
  readonly parameters?: Parameter[];
  readonly 'x-present-when'?: string;
  readonly requestBody?: { content: Record<string, { schema: { $ref?: string } }> };
  readonly responses: Record<string, { $ref?: string; headers?: Record<string, unknown> }>;
}

interface OpenApiDocument {
  readonly paths: Record<string, Record<string, Operation>>;
  readonly components: {
    readonly schemas: Record<string, { properties?: Record<string, unknown>; required?: string[] }>;
    readonly responses: Record<string, { headers?: Record<string, unknown> }>;
  };
}

const DOCUMENT = parse(
  fs.readFileSync(path.join(__dirname, '..', '..', 'docs', 'openapi.yaml'), 'utf8'),
) as OpenApiDocument;

const HANDLER_PARAMS: Readonly<Record<string, Readonly<Record<string, ParamRule>>>> = {
  'GET /authorize': AUTHORIZE_PARAMS,
  'GET /login': LOGIN_PARAMS,
  'GET /callback': CALLBACK_PARAMS,
};

function documentedOperations(): Array<{ key: string; operation: Operation }> {
  return Object.entries(DOCUMENT.paths).flatMap(([route, methods]) =>
    Object.entries(methods).map(([method, operation]) => ({
      key: `${method.toUpperCase()} ${route}`,
      operation,
    })),
  );
}

/** `GET /device/authorizations/{id}` for every API Gateway method, built from the resource tree. */
function templateOperations(template: Template): Map<string, Record<string, unknown>> {
  const resources = template.findResources('AWS::ApiGateway::Resource');
  const pathOf = (ref: unknown): string => {
    const id = (ref as { Ref?: string }).Ref;
    const resource = id === undefined ? undefined : resources[id];
    // The root resource is a GetAtt on the RestApi, not a Ref to a Resource.
    if (!resource) return '';
    return `${pathOf(resource.Properties.ParentId)}/${resource.Properties.PathPart}`;
  };
  const methods = Object.values(template.findResources('AWS::ApiGateway::Method')).filter(
    (method) => method.Properties.HttpMethod !== 'OPTIONS',
  );
  return new Map(
    methods.map((method) => [
      `${method.Properties.HttpMethod} ${pathOf(method.Properties.ResourceId)}`,
      method.Properties as Record<string, unknown>,
    ]),
  );
}

function synthesize(deviceAuthorizationApi: boolean): Template {
  const app = appWithoutBundling();
  return templateOf(new LwaTokenStack(app, 'OpenApiStack', { service: { deviceAuthorizationApi } }));
}

describe('docs/openapi.yaml', () => {
  let withDevice: Template;
  let withoutDevice: Template;
  beforeAll(() => {
    withDevice = synthesize(true);
    withoutDevice = synthesize(false);
  });

  test('documents exactly the routes of the stack with deviceAuthorizationApi on', () => {
    const documented = documentedOperations()
      .map(({ key }) => key)
      .sort();
    expect([...templateOperations(withDevice).keys()].sort()).toEqual(documented);
  });

  test('marks the operations a stack without deviceAuthorizationApi lacks, and only those', () => {
    const always = documentedOperations()
      .filter(({ operation }) => operation['x-present-when'] === undefined)
      .map(({ key }) => key)
      .sort();
    expect([...templateOperations(withoutDevice).keys()].sort()).toEqual(always);
    const optional = documentedOperations().filter(({ operation }) => operation['x-present-when']);
    expect(optional.map(({ operation }) => operation['x-present-when'])).toEqual(
      optional.map(() => 'deviceAuthorizationApi'),
    );
  });

  test('every query parameter API Gateway requires is documented as required', () => {
    for (const [key, method] of templateOperations(withDevice)) {
      const required = Object.entries((method.RequestParameters ?? {}) as Record<string, boolean>)
        .filter(([name, isRequired]) => isRequired && name.startsWith('method.request.querystring.'))
        .map(([name]) => name.replace('method.request.querystring.', ''));
      const operation = documentedOperations().find((op) => op.key === key)?.operation;
      const documentedRequired = (operation?.parameters ?? [])
        .filter((p) => p.in === 'query' && p.required)
        .map((p) => p.name);
      for (const name of required)
        expect({ key, name, documentedRequired }).toEqual({
          key,
          name,
          documentedRequired: expect.arrayContaining([name]),
        });
    }
  });

  test.each(Object.keys(HANDLER_PARAMS))(
    '%s documents each parameter of the handler spec, with its pattern, size limit and requiredness',
    (key) => {
      const rules = HANDLER_PARAMS[key] as Readonly<Record<string, ParamRule>>;
      const operation = documentedOperations().find((op) => op.key === key)?.operation;
      const documented = Object.fromEntries(
        (operation?.parameters ?? [])
          .filter((p) => p.in === 'query')
          .map((p) => [
            p.name,
            { required: p.required ?? false, pattern: p.schema.pattern, maxLength: p.schema.maxLength },
          ]),
      );
      const expected = Object.fromEntries(
        Object.entries(rules).map(([name, rule]) => [
          name,
          {
            required: rule.required,
            pattern: rule.pattern.source,
            maxLength: rule.maxLength ?? MAX_PARAM_LENGTH,
          },
        ]),
      );
      expect(documented).toEqual(expected);
    },
  );

  test('the device routes document the request model and id pattern the stack and handler use', () => {
    const model = Object.values(withDevice.findResources('AWS::ApiGateway::Model'))[0];
    const body = DOCUMENT.components.schemas.DeviceAuthorizationRequest;
    expect(body).toEqual({
      type: 'object',
      required: model?.Properties.Schema.required,
      properties: model?.Properties.Schema.properties,
    });
    const poll = DOCUMENT.paths['/device/authorizations/{id}']?.get;
    expect(poll?.parameters).toEqual([
      {
        name: 'id',
        in: 'path',
        required: true,
        schema: { type: 'string', pattern: AUTHORIZATION_ID_PATTERN.source },
      },
    ]);
  });

  test('every documented response declares Cache-Control: no-store and Referrer-Policy: no-referrer', () => {
    for (const { key, operation } of documentedOperations()) {
      for (const [status, response] of Object.entries(operation.responses)) {
        const resolved = response.$ref
          ? DOCUMENT.components.responses[response.$ref.replace('#/components/responses/', '')]
          : response;
        expect({ key, status, headers: Object.keys(resolved?.headers ?? {}) }).toEqual({
          key,
          status,
          headers: expect.arrayContaining(['Cache-Control', 'Referrer-Policy']),
        });
      }
    }
  });
});
