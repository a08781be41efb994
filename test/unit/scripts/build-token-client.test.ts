import { addJsExtensions } from '../../../scripts/build-token-client';

describe('addJsExtensions (the npm package declarations)', () => {
  it('adds .js to relative specifiers in from clauses and import() types, and leaves packages alone', () => {
    // Prepare
    const emitted = [
      "import type { Region } from '../shared/region-codes';",
      "export { TokenClient, type AccessToken } from './token-client';",
      'export * from "./errors";',
      "import { GetItemCommand } from '@aws-sdk/client-dynamodb';",
      "readonly client: import('./token-client').TokenClient;",
      "import type { Context } from 'aws-lambda';",
    ].join('\n');

    // Act
    const rewritten = addJsExtensions(emitted);

    // Assess
    expect(rewritten.split('\n')).toEqual([
      "import type { Region } from '../shared/region-codes.js';",
      "export { TokenClient, type AccessToken } from './token-client.js';",
      'export * from "./errors.js";',
      "import { GetItemCommand } from '@aws-sdk/client-dynamodb';",
      "readonly client: import('./token-client.js').TokenClient;",
      "import type { Context } from 'aws-lambda';",
    ]);
  });

  it('leaves a specifier that already ends in .js as it is', () => {
    expect(addJsExtensions("export * from './errors.js';")).toBe("export * from './errors.js';");
  });
});
