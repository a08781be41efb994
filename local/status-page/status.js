// The status page's only script: polls /status.json and renders it with textContent only.
(() => {
  const POLL_MS = 2000;
  let data;
  let clockSkewMs = 0;

  const $ = (selector) => document.querySelector(selector);

  function el(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined) node.textContent = text;
    if (className) node.className = className;
    return node;
  }

  function nowSeconds() {
    return (Date.now() + clockSkewMs) / 1000;
  }

  function clock(epochSeconds) {
    return new Date(epochSeconds * 1000).toLocaleTimeString([], { hour12: false });
  }

  function span(seconds) {
    const s = Math.round(Math.abs(seconds));
    if (s < 60) return `${s}s`;
    const m = Math.floor(s / 60);
    if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
    return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
  }

  function relative(epochSeconds) {
    const delta = epochSeconds - nowSeconds();
    return delta >= 0 ? `in ${span(delta)}` : `${span(delta)} ago`;
  }

  function timeCell(epochSeconds, options = {}) {
    const td = el('td');
    if (epochSeconds === undefined) {
      td.textContent = options.none ?? '—';
      return td;
    }
    td.append(el('span', clock(epochSeconds)), el('small', relative(epochSeconds)));
    if (options.markExpired && epochSeconds < nowSeconds()) td.className = 'expired';
    return td;
  }

  function renderSellers() {
    const rows = data.sellers.map((seller) => {
      const tr = el('tr');
      tr.dataset.seller = seller.sellerId;
      tr.dataset.region = seller.region;
      tr.dataset.status = seller.status;
      if (seller.accessTokenExpiresAt !== undefined)
        tr.dataset.expiresAt = String(seller.accessTokenExpiresAt);
      const who = el('td');
      who.append(el('code', seller.kind === 'seller' ? seller.sellerId : seller.scope || seller.sellerId));
      if (seller.kind !== 'seller') who.append(el('small', seller.kind));
      const status = el('td');
      status.append(el('span', seller.status, `status ${seller.status}`));
      if (seller.lastError) status.append(el('small', seller.lastError));
      tr.append(
        who,
        el('td', seller.region),
        status,
        timeCell(seller.accessTokenExpiresAt, { markExpired: true }),
        timeCell(seller.lastRefreshedAt),
        timeCell(seller.nextRefreshAt, { none: 'not scheduled' }),
        el('td', String(seller.failureCount ?? 0)),
      );
      return tr;
    });
    $('#sellers tbody').replaceChildren(...rows);
    $('#sellers').hidden = rows.length === 0;
    $('#empty').hidden = rows.length > 0;
  }

  function renderEvents() {
    const items = data.events.map((event) => {
      const li = el('li', undefined, event.kind);
      li.append(el('span', `${new Date(event.at).toLocaleTimeString([], { hour12: false })}  `));
      li.append(el('span', event.label, 'kind'), document.createTextNode(event.text));
      return li;
    });
    if (items.length === 0) items.push(el('li', 'Nothing yet.', 'muted'));
    $('#events').replaceChildren(...items);
  }

  function renderSetup() {
    const lwa =
      data.lwa.kind === 'emulator'
        ? `LWA emulator · tokens live ${data.lwa.expiresInSeconds}s · refresh tokens rotate ${data.lwa.rotation === 'never' ? 'never' : 'on every refresh'}`
        : 'real LWA and Seller Central';
    $('#setup').textContent = `${lwa} · refresh handler every ${data.refreshEverySeconds}s`;
  }

  function expiryText(iso) {
    const at = Date.parse(iso) / 1000;
    const when = new Date(at * 1000).toLocaleString([], { hour12: false });
    return `${when} (${relative(at)})`;
  }

  function renderClientSecret() {
    const secret = data.clientSecret || {};
    const parts = [
      secret.expiresAt
        ? `The current secret expires ${expiryText(secret.expiresAt)}.`
        : 'The app secret does not say when the current secret expires.',
    ];
    if (secret.previousExpiresAt)
      parts.push(`The previous secret works until ${expiryText(secret.previousExpiresAt)}.`);
    const status = $('#client-secret-status');
    status.textContent = parts.join(' ');
    if (secret.expiresAt) status.dataset.expiresAt = secret.expiresAt;
    $('#send-expiry-notice').hidden = !secret.canRotate;
    $('#send-expiry-help').hidden = !secret.canRotate;
  }

  function render() {
    if (!data) return;
    renderSetup();
    renderClientSecret();
    renderSellers();
    renderEvents();
  }

  async function poll() {
    try {
      const response = await fetch('/status.json', { cache: 'no-store' });
      if (!response.ok) throw new Error(String(response.status));
      data = await response.json();
      clockSkewMs = data.now * 1000 - Date.now();
      $('#connection').textContent = '';
      $('#connection').className = 'where';
      render();
    } catch {
      $('#connection').textContent = '· local run not reachable (stopped?)';
      $('#connection').className = 'where down';
    } finally {
      setTimeout(poll, POLL_MS);
    }
  }

  $('#send-expiry-notice').addEventListener('click', async () => {
    const button = $('#send-expiry-notice');
    button.disabled = true;
    try {
      await fetch('/local/client-secret-expiry-notice', { method: 'POST', headers: { 'X-Local-Run': '1' } });
    } finally {
      button.disabled = false;
    }
  });

  // Relative times tick between polls.
  setInterval(render, 1000);
  poll();
})();
