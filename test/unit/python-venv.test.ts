import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ensureMotoVenv } from '../support/python-venv';

let tmp: string;
const lines: string[] = [];
const log = (line: string) => lines.push(line);

beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'python-venv-test-'));
  lines.length = 0;
});

afterEach(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** A stand-in interpreter: a shell script that answers the version probe and fails `-m venv` as given. */
function fakePython(version: string, venvFailure: string): string {
  const file = path.join(tmp, 'fake-python');
  fs.writeFileSync(
    file,
    `#!/bin/sh\nif [ "$1" = "-c" ]; then echo ${version}; exit 0; fi\necho '${venvFailure}' >&2\nexit 1\n`,
    { mode: 0o755 },
  );
  return file;
}

const describeUnix = process.platform === 'win32' ? describe.skip : describe;

describe('ensureMotoVenv', () => {
  it('names the missing interpreter and how to install it', async () => {
    await expect(
      ensureMotoVenv({ python: 'python3-does-not-exist', venvDir: path.join(tmp, 'venv'), log }),
    ).rejects.toThrow(
      /python3-does-not-exist \(3\.9\+\) is required .*install it \(apt-get install python3 python3-venv\)/,
    );
    expect(fs.existsSync(path.join(tmp, 'venv.lock'))).toBe(false);
  });

  describeUnix('with a stand-in interpreter', () => {
    it('says to install python3-venv when ensurepip is missing', async () => {
      const python = fakePython(
        '3.11',
        'The virtual environment was not created successfully because ensurepip is not available.',
      );

      await expect(ensureMotoVenv({ python, venvDir: path.join(tmp, 'venv'), log })).rejects.toThrow(
        /install python3-venv/,
      );
      expect(lines).toEqual([`Creating Python venv for moto at ${path.join(tmp, 'venv')}`]);
      expect(fs.existsSync(path.join(tmp, 'venv'))).toBe(false);
    });

    it('rejects a Python older than moto supports', async () => {
      const python = fakePython('3.8', 'unused');

      await expect(ensureMotoVenv({ python, venvDir: path.join(tmp, 'venv'), log })).rejects.toThrow(
        /is Python 3\.8, but moto needs 3\.9\+/,
      );
    });

    it('reuses a venv whose stamp matches without touching the interpreter', async () => {
      const venvDir = path.join(tmp, 'venv');
      const requirementsFile = path.join(tmp, 'req.txt');
      fs.writeFileSync(requirementsFile, 'moto[server]==0.0.0\n');
      const bin = path.join(venvDir, 'bin');
      fs.mkdirSync(bin, { recursive: true });
      fs.writeFileSync(path.join(bin, 'python'), '');
      fs.writeFileSync(path.join(bin, 'moto_server'), '');
      // sha256 of the requirements above, as ensureMotoVenv writes it after a successful install.
      const stamp = createHash('sha256').update(fs.readFileSync(requirementsFile)).digest('hex');
      fs.writeFileSync(path.join(venvDir, '.requirements.sha256'), `${stamp}\n`);

      await expect(
        ensureMotoVenv({ python: 'python3-does-not-exist', venvDir, requirementsFile, log }),
      ).resolves.toBe(path.join(bin, 'moto_server'));
      expect(lines).toEqual([]);

      // A changed requirements file invalidates the venv, so the interpreter is needed again.
      fs.appendFileSync(requirementsFile, 'flask\n');
      await expect(
        ensureMotoVenv({ python: 'python3-does-not-exist', venvDir, requirementsFile, log }),
      ).rejects.toThrow(/python3-does-not-exist/);
    });

    it('waits for a live lock holder instead of installing alongside it', async () => {
      const venvDir = path.join(tmp, 'venv');
      fs.mkdirSync(`${venvDir}.lock`);
      fs.writeFileSync(path.join(`${venvDir}.lock`, 'owner'), `${process.pid}\n${os.hostname()}\n`);

      await expect(
        ensureMotoVenv({ python: 'python3-does-not-exist', venvDir, log, lockTimeoutMs: 700 }),
      ).rejects.toThrow(/Timed out waiting for .*venv\.lock/);
      expect(lines).toEqual([expect.stringMatching(/^Waiting for another process/)]);
      expect(fs.existsSync(`${venvDir}.lock`)).toBe(true);
    });

    it('reclaims a lock left behind by a dead process', async () => {
      const venvDir = path.join(tmp, 'venv');
      fs.mkdirSync(`${venvDir}.lock`);
      // pid 2^22 + 1 is above Linux's pid_max ceiling, so it cannot be alive.
      fs.writeFileSync(path.join(`${venvDir}.lock`, 'owner'), `4194305\n${os.hostname()}\n`);

      await expect(
        ensureMotoVenv({ python: 'python3-does-not-exist', venvDir, log, lockTimeoutMs: 2000 }),
      ).rejects.toThrow(/python3-does-not-exist/);
      expect(fs.existsSync(`${venvDir}.lock`)).toBe(false);
    });
  });
});
