// Rewrites the `sources` of every source map in a bundle directory so they no
// longer depend on where the checkout, node_modules or cdk.out live: files of
// the project become project-relative (`lambda/auth/x.ts`) and dependencies
// become `node_modules/<package>/...`. Without this, esbuild's paths (relative
// to the output directory) leak the checkout layout into the asset hash.
// Usage: node normalize-source-map.cjs <bundle dir> <project root>
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const [bundleDir, projectRoot] = process.argv.slice(2);
if (!bundleDir || !projectRoot) {
  process.stderr.write('usage: normalize-source-map.cjs <bundle dir> <project root>\n');
  process.exit(2);
}
const root = fs.realpathSync(projectRoot);
const marker = `${path.sep}node_modules${path.sep}`;

function normalize(source) {
  const absolute = path.resolve(bundleDir, source);
  const relative = path.relative(root, absolute);
  if (!relative.startsWith('..') && !path.isAbsolute(relative) && !relative.includes(marker)) {
    return relative.split(path.sep).join('/');
  }
  const index = absolute.indexOf(marker);
  if (index !== -1) {
    return `node_modules/${absolute
      .slice(index + marker.length)
      .split(path.sep)
      .join('/')}`;
  }
  return path.basename(absolute);
}

for (const name of fs.readdirSync(bundleDir)) {
  if (!name.endsWith('.map')) continue;
  const file = path.join(bundleDir, name);
  const map = JSON.parse(fs.readFileSync(file, 'utf8'));
  map.sources = map.sources.map(normalize);
  delete map.sourceRoot;
  fs.writeFileSync(file, JSON.stringify(map));
}
