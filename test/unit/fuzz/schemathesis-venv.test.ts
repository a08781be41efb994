import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ensureSchemathesisVenv } from '../../fuzz/schemathesis-venv';

describe('ensureSchemathesisVenv', () => {
  let tmp: string;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'schemathesis-venv-'));
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('fails, naming the missing interpreter and the fuzzing, when python3 is not on PATH', async () => {
    const setup = ensureSchemathesisVenv({
      python: 'python3-does-not-exist',
      venvDir: path.join(tmp, 'venv'),
      log: () => {},
    });

    await expect(setup).rejects.toMatchObject({ name: 'FuzzSetupError' });
    await expect(setup).rejects.toThrow(/API fuzzing.*python3-does-not-exist .*was not found on PATH/s);
    expect(fs.existsSync(path.join(tmp, 'venv'))).toBe(false);
  });
});
