import * as fs from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import * as path from 'node:path';
import { type ApiEndpoint, type ApiRoute, findRoute, invokeRoute, RequestTooLargeError } from './api-gateway';
import { listenOn } from './ports';

export const HOST = '127.0.0.1';

export interface LocalServerOptions {
  /** The API routes, served exactly as API Gateway would proxy them to the functions. */
  readonly routes: readonly ApiRoute[];
  /** The body of `/status.json`. */
  readonly status: () => Promise<unknown>;
  /** Called when a handler throws (Lambda would report a function error; API Gateway a 502). */
  readonly onHandlerError: (route: ApiRoute, error: unknown) => void;
  /**
   * The status page's buttons: POST paths of the local run only, answered 204. They need the
   * `X-Local-Run: 1` header, which no other site can send here without a CORS preflight.
   */
  readonly actions?: Readonly<Record<string, () => Promise<void>>>;
}

const PAGE_DIR = path.join(__dirname, 'status-page');
const MAX_HEADER_BYTES = 256 * 1024;
const PAGE_CSP =
  "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'none'";

/**
 * The local stand-in for API Gateway, plus the status page. API routes go to the real handlers;
 * `/`, `/status.js` and `/status.json` belong to the local run only.
 */
export class LocalServer {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly page = fs.readFileSync(path.join(PAGE_DIR, 'index.html'));
  private readonly script = fs.readFileSync(path.join(PAGE_DIR, 'status.js'));
  private endpoint: ApiEndpoint = { domainName: 'localhost', stage: 'local' };

  constructor(private readonly options: LocalServerOptions) {
    // Node refuses request lines and headers over 16 KiB with a bare 431; the handlers' own limits
    // (2048 characters a parameter, each up to 12 bytes percent-encoded) must be what answers.
    this.server = createServer({ maxHeaderSize: MAX_HEADER_BYTES }, (req, res) => {
      this.route(req, res).catch(() => {
        if (!res.headersSent && !res.destroyed) sendText(res, 500, 'local server error');
        else res.destroy();
      });
    });
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
  }

  /** Listens on loopback; resolves with the port (useful with port 0). */
  async listen(port: number): Promise<number> {
    await listenOn(this.server, port, HOST, '--port', 'PORT', 'the API and status page');
    const bound = (this.server.address() as AddressInfo).port;
    this.endpoint = { domainName: `localhost:${bound}`, stage: 'local' };
    return bound;
  }

  get url(): string {
    return `http://${this.endpoint.domainName}`;
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    // The status page keeps a connection alive; close() would otherwise wait for it.
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const pathname = new URL(req.url ?? '/', this.url).pathname;
    const api = findRoute(this.options.routes, method, pathname);
    if (api === 'method-not-allowed') {
      req.resume();
      return sendText(res, 405, `${method} is not allowed on ${pathname}`);
    }
    if (api) return this.invoke(api, req, res);
    req.resume();
    const action = method === 'POST' ? this.options.actions?.[pathname] : undefined;
    if (action) {
      if (req.headers['x-local-run'] !== '1') return sendText(res, 403, 'send the X-Local-Run: 1 header');
      await action();
      res.writeHead(204, { 'Cache-Control': 'no-store' }).end();
      return;
    }
    if (method !== 'GET') return sendText(res, 404, `no route for ${method} ${pathname}`);
    switch (pathname) {
      case '/':
        return send(res, 200, 'text/html; charset=utf-8', this.page, { 'Content-Security-Policy': PAGE_CSP });
      case '/status.js':
        return send(res, 200, 'text/javascript; charset=utf-8', this.script);
      case '/status.json':
        return send(res, 200, 'application/json', Buffer.from(JSON.stringify(await this.options.status())));
      case '/favicon.ico':
        res.writeHead(204).end();
        return;
      default:
        return sendText(res, 404, `no route for GET ${pathname}`);
    }
  }

  private async invoke(route: ApiRoute, req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      await invokeRoute(route, req, res, this.endpoint);
    } catch (error) {
      if (error instanceof RequestTooLargeError) return sendText(res, 413, error.message);
      this.options.onHandlerError(route, error);
      // What API Gateway answers when the integration fails.
      send(res, 502, 'application/json', Buffer.from('{"message": "Internal server error"}'));
    }
  }
}

function send(
  res: ServerResponse,
  status: number,
  contentType: string,
  body: Buffer,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, {
    'Content-Type': contentType,
    'Content-Length': body.length,
    // The API's security headers on the local server's own answers too (404, 405, 413, 502).
    'Cache-Control': 'no-store',
    'Referrer-Policy': 'no-referrer',
    'X-Content-Type-Options': 'nosniff',
    ...headers,
  });
  res.end(body);
}

function sendText(res: ServerResponse, status: number, text: string): void {
  send(res, status, 'text/plain; charset=utf-8', Buffer.from(`${text}\n`));
}
