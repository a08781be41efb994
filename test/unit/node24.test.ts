import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ensureNode24, NODE24_PACKAGE, Node24UnavailableError } from '../support/node24';

let tmp: string;
const lines: string[] = [];
const log = (line: string) => lines.push(line);

beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'node24-test-'));
  lines.length = 0;
});

afterEach(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** A stand-in npm: a shell script that runs `body` with the install prefix in $PREFIX. */
function fakeNpm(body: string): string {
  const file = path.join(tmp, 'fake-npm');
  fs.writeFileSync(file, `#!/bin/sh\nPREFIX="$3"\n${body}\n`, { mode: 0o755 });
  return file;
}

/** What the npm `node` package leaves behind: node_modules/node/bin/node, here answering `version`. */
const installFakeNode = (version: string) =>
  `mkdir -p "$PREFIX/node_modules/node/bin" && printf '#!/bin/sh\\necho ${version}\\n' > "$PREFIX/node_modules/node/bin/node" && chmod +x "$PREFIX/node_modules/node/bin/node"`;

const describeUnix = process.platform === 'win32' ? describe.skip : describe;

describeUnix('ensureNode24', () => {
  const prefix = () => path.join(tmp, 'node24');

  it('names the package and the registry when npm cannot install it, and releases its lock', async () => {
    const npm = fakeNpm(`echo "npm error 404 Not Found - GET https://registry.npmjs.org/node" >&2\nexit 1`);

    const install = ensureNode24({ prefix: prefix(), npm, log });

    await expect(install).rejects.toThrow(Node24UnavailableError);
    await expect(install).rejects.toThrow(
      new RegExp(
        `${NODE24_PACKAGE.replaceAll('.', '\\.')} failed \\(exit 1\\); the npm registry must be reachable.*404 Not Found`,
        's',
      ),
    );
    expect(fs.existsSync(`${prefix()}.lock`)).toBe(false);
  });

  it('refuses a binary that reports another version', async () => {
    const npm = fakeNpm(installFakeNode('v22.1.0'));

    await expect(ensureNode24({ prefix: prefix(), npm, log })).rejects.toThrow(
      /reports v22\.1\.0; delete .* and re-run/,
    );
  });

  it('installs once, then finds the pinned version without calling npm', async () => {
    const pinned = `v${NODE24_PACKAGE.split('@')[1]}`;
    const npm = fakeNpm(`${installFakeNode(pinned)}\necho called >> "${tmp}/npm-calls"`);

    const first = await ensureNode24({ prefix: prefix(), npm, log });
    const second = await ensureNode24({ prefix: prefix(), npm, log });

    expect(first).toBe(path.join(prefix(), 'node_modules', 'node', 'bin', 'node'));
    expect(second).toBe(first);
    expect(fs.readFileSync(path.join(tmp, 'npm-calls'), 'utf8')).toBe('called\n');
    expect(lines).toEqual([
      expect.stringContaining(`Installing ${NODE24_PACKAGE}`),
      expect.stringMatching(new RegExp(`^Installed ${NODE24_PACKAGE.replaceAll('.', '\\.')} in`)),
    ]);
  });
});
