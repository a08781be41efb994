import type { Context } from 'aws-lambda';
import type { RefreshRunSummary } from '../lambda/refresh/refresher';
import type { ApiRoute, ProxyHandler } from './api-gateway';
import type { RotationHandler } from './client-secret-rotation';

type AuthorizeModule = typeof import('../lambda/auth/authorize-handler');
type LoginModule = typeof import('../lambda/auth/login-handler');
type CallbackModule = typeof import('../lambda/auth/callback-handler');
type RefreshModule = typeof import('../lambda/refresh/handler');
type DeviceModule = typeof import('../lambda/device/device-api-handler');
type RotationModule = typeof import('../lambda/rotation/handler');

export type RefreshHandler = (event: unknown, context: Context) => Promise<RefreshRunSummary>;

/** Function timeouts as `lib/defaults.ts` sets them (authTimeout, refreshTimeout). */
export const AUTH_TIMEOUT_MS = 28_000;
export const REFRESH_TIMEOUT_MS = 5 * 60_000;

/** Both device routes go to one function, as in the deployed API. */
const loadDeviceHandler = () => (require('../lambda/device/device-api-handler') as DeviceModule).handler;

interface RouteDefinition {
  readonly method: ApiRoute['method'];
  readonly path: string;
  readonly functionName: string;
  /** Required only when called: a handler reads its environment when its module loads, as in Lambda. */
  readonly load: () => ProxyHandler;
}

/**
 * The API, as `SellerAuthorizationApi` defines it: one row per method. New routes (the device
 * flow's, say) are one more row here.
 */
const API_ROUTES: readonly RouteDefinition[] = [
  {
    method: 'GET',
    path: '/authorize',
    functionName: 'authorize',
    load: () => (require('../lambda/auth/authorize-handler') as AuthorizeModule).handler,
  },
  {
    method: 'GET',
    path: '/login',
    functionName: 'login',
    load: () => (require('../lambda/auth/login-handler') as LoginModule).handler,
  },
  {
    method: 'GET',
    path: '/callback',
    functionName: 'callback',
    load: () => (require('../lambda/auth/callback-handler') as CallbackModule).handler,
  },
  // The device flow's routes, which a deployment has with `deviceAuthorizationApi: true`.
  {
    method: 'POST',
    path: '/device/authorizations',
    functionName: 'device',
    load: () => loadDeviceHandler(),
  },
  {
    method: 'GET',
    path: '/device/authorizations/{id}',
    functionName: 'device',
    load: () => loadDeviceHandler(),
  },
];

/**
 * Loads the real, middy-wrapped handlers that `cdk deploy` ships. Call it once the environment
 * holds their configuration: each validates it at load, like a cold start, and throws a
 * ConfigurationError naming any bad variable.
 */
export function loadApiRoutes(): ApiRoute[] {
  return API_ROUTES.map(({ load, ...route }) => ({ ...route, timeoutMs: AUTH_TIMEOUT_MS, handler: load() }));
}

export function loadRefreshHandler(): RefreshHandler {
  return (require('../lambda/refresh/handler') as RefreshModule).handler;
}

/** The client-secret rotation function, which the notification queue's event source mapping invokes. */
export function loadRotationHandler(): RotationHandler {
  return (require('../lambda/rotation/handler') as RotationModule).handler;
}
