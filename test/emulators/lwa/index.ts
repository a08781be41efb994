/** Login with Amazon emulator for tests and the local run. See `types.ts` for the contract. */
export { CONSENT_PATH, SAMPLE_SELLER_IDS } from './consent';
export { CODEPAIR_PATH, DEFAULT_CLIENT, TOKEN_PATH } from './emulator';
export { LwaEmulatorServer, startLwaEmulator } from './server';
export type {
  ClientSecretRotation,
  LwaClientApp,
  LwaEmulator,
  LwaEmulatorOptions,
  LwaFault,
  LwaFaultMatch,
  LwaGrantType,
  LwaHold,
  LwaHoldMatch,
  LwaOAuthError,
  LwaRequestLogEntry,
  LwaRotation,
} from './types';
