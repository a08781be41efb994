/**
 * Runs the emulator as its own process, driven through `/__emulator/` by whoever started it:
 *   npx tsx test/emulators/lwa/cli.ts [--port 4010] [--client-id ID --client-secret S]
 *     [--expires-in 3600] [--rotation never|every-refresh] [--consent-callback-url URL]
 * Prints one JSON line `{"url": "..."}` once listening, so a parent can wait for it; stops on SIGINT/SIGTERM.
 */
import { parseArgs } from 'node:util';
import { DEFAULT_CLIENT } from './emulator';
import { startLwaEmulator } from './server';
import type { LwaRotation } from './types';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '0' },
      'client-id': { type: 'string', default: DEFAULT_CLIENT.clientId },
      'client-secret': { type: 'string', default: DEFAULT_CLIENT.clientSecret },
      'expires-in': { type: 'string', default: '3600' },
      rotation: { type: 'string', default: 'never' },
      'consent-callback-url': { type: 'string' },
    },
  });
  const emulator = await startLwaEmulator({
    port: Number(values.port),
    clients: [{ clientId: values['client-id'], clientSecret: values['client-secret'] }],
    expiresIn: Number(values['expires-in']),
    rotation: values.rotation as LwaRotation, // validated by the emulator
    consentCallbackUrl: values['consent-callback-url'],
  });
  process.stdout.write(`${JSON.stringify({ url: emulator.url })}\n`);
  const shutdown = (): void => {
    emulator.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

main().catch((err: unknown) => {
  process.stderr.write(`lwa emulator: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
