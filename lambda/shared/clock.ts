/** Epoch milliseconds. Injected everywhere time matters so tests can drive it without sleeping. */
export type Clock = () => number;

export const systemClock: Clock = () => Date.now();

export const toEpochSeconds = (ms: number): number => Math.floor(ms / 1000);
