#!/usr/bin/env node
// `npx lwa-tokens …`: runs the TypeScript CLI through tsx, so there is no separate build step.
require('tsx/cjs');
require('../cli/lwa-tokens.ts')
  .main(process.argv.slice(2))
  .then((code) => process.exit(code));
