/** SP-API emulators for tests and the local run. */
export {
  CLIENT_SECRET_PATH,
  ROTATION_SCOPE,
  SpApiEmulator,
  type SpApiEmulatorOptions,
  type SpApiRequestLogEntry,
  startSpApiEmulator,
} from './application-management';
export {
  clientNewSecretNotification,
  clientSecretExpiryNotification,
  EXPIRY_TYPE,
  NEW_SECRET_TYPE,
} from './notifications';
