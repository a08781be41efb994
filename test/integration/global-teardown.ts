export default async function globalTeardown(): Promise<void> {
  const server = globalThis.__MOTO_SERVER__;
  globalThis.__MOTO_SERVER__ = undefined;
  await server?.stop();
}
