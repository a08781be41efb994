import type { APIGatewayProxyResult } from 'aws-lambda';

/**
 * Headers on every response of the authorization routes. `no-store` keeps redirects that carry a
 * state out of caches; `no-referrer` keeps the callback's query string (the one-time code) from
 * leaking to any page the seller visits next.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Cache-Control': 'no-store',
  'Referrer-Policy': 'no-referrer',
  'X-Content-Type-Options': 'nosniff',
  'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
};

export function redirect(location: string): APIGatewayProxyResult {
  return { statusCode: 302, headers: { ...SECURITY_HEADERS, Location: location }, body: '' };
}

export function htmlPage(statusCode: number, title: string, message: string): APIGatewayProxyResult {
  const body = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;line-height:1.5}</style>
</head><body><h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p></body></html>`;
  return {
    statusCode,
    headers: { ...SECURITY_HEADERS, 'Content-Type': 'text/html; charset=utf-8' },
    body,
  };
}

export function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );
}
