// The construct library's one entry point (also the jsii assembly's): LwaTokenService and its
// parts. bin/app.ts builds this repository's own deployable app on these exports.
export * from './client-secret-rotation';
export * from './common-props';
export * from './defaults';
export * from './lwa-token-service';
export * from './lwa-token-stack';
export * from './operations-dashboard';
export * from './seller-authorization-api';
export * from './token-refresher';
export * from './token-store';
