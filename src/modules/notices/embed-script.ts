/**
 * The script product pages include: `<script src="…/embed.js" data-token="fnt_…" async>`.
 * It reads the account from its token, fetches that account's notices (revalidating with
 * the ETag), renders them in a shadow root so page styles neither leak in nor out, and
 * dismisses them. Plain browser JavaScript kept as text: no build step, and bundlers must
 * not rewrite it. Optional attributes: `data-target` (a CSS selector for where notices go)
 * and `data-poll-seconds` (default 60, at least 15; 0 turns polling off). A poll that fails
 * keeps what is shown, raises nothing in the page, and doubles the wait (up to 10 minutes)
 * until one succeeds, so an outage does not fill consoles or hammer the notices API; an answer
 * with `Retry-After` (seconds or an HTTP date) is waited for at least that long, up to an hour
 * (or the poll interval, if longer), so a busy API or a proxy in front of it is heard. A token
 * the API refuses (expired, or its account re-created) fires `forestall:token-expired` once,
 * and polling waits for `window.forestall.setToken(next)`: asking again with it would only be
 * refused again, and a page that listens mints one new token per expiry, not one per poll.
 * A dismissal the API did not take (offline, a 5xx, a refused token) keeps the notice hidden
 * and is sent again before each later load, until the API takes it or says the notice is gone.
 */
export const EMBED_SCRIPT = String.raw`(() => {
  'use strict';
  const script = document.currentScript;
  if (!script) return;
  const base = new URL(script.src).origin;
  let token = script.dataset.token || '';
  const asked = Number(script.dataset.pollSeconds ?? 60);
  const pollSeconds = asked === 0 ? 0 : Number.isFinite(asked) && asked > 0 ? Math.max(asked, 15) : 60;
  const backoffCapSeconds = Math.max(pollSeconds, 600);
  // A Retry-After of days (a misconfigured proxy) must not hide an outage banner for days.
  const retryAfterCapSeconds = Math.max(pollSeconds, 3600);
  const accountOf = (t) => {
    try {
      const body = t.slice(4).split('.')[0].replace(/-/g, '+').replace(/_/g, '/');
      return JSON.parse(atob(body)).account;
    } catch {
      return undefined;
    }
  };
  const host = document.createElement('div');
  host.setAttribute('data-forestall', 'notices');
  const root = host.attachShadow({ mode: 'open' });
  const style = document.createElement('style');
  style.textContent = [
    ':host { all: initial; display: block; font: 15px/1.45 system-ui, sans-serif; }',
    '.notice { display: flex; gap: .75rem; align-items: flex-start; padding: .75rem 1rem;',
    '  margin: 0 0 .5rem; border-radius: .4rem; border-left: 5px solid; color: #1d2430; }',
    '.info { background: #eef4fc; border-color: #1f5fa8; }',
    '.warning { background: #fdf5e6; border-color: #8a5a00; }',
    '.critical { background: #fcecec; border-color: #b01f24; }',
    '.maintenance { background: #eef1f6; border-color: #4a5566; }',
    '.content { flex: 1; } .title { font-weight: 700; margin: 0 0 .25rem; }',
    '.body p { margin: 0 0 .25rem; } a { color: #174f8c; }',
    'button { font: inherit; background: none; border: 1px solid transparent;',
    '  border-radius: .3rem; cursor: pointer; padding: .1rem .45rem; color: #1d2430; }',
    'button:focus-visible, a:focus-visible { outline: 3px solid #174f8c; outline-offset: 2px; }',
  ].join('\n');
  const list = document.createElement('div');
  list.setAttribute('role', 'region');
  list.setAttribute('aria-label', 'Service notices');
  root.append(style, list);
  // Looked up once the page is parsed (a script in the head runs before its target exists);
  // a selector the browser cannot read puts notices at the top of the page, as none does.
  const mount = () => {
    let target = null;
    try {
      target = script.dataset.target ? document.querySelector(script.dataset.target) : null;
    } catch {}
    if (target) target.append(host);
    else document.body.prepend(host);
  };
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', mount);
  else mount();

  let etag = '';
  // The token the API last refused: it is not used to poll again, nor reported twice.
  let refused = '';
  const call = (path, init = {}, bearer = token) =>
    fetch(base + path, {
      ...init,
      headers: { ...(init.headers || {}), authorization: 'Bearer ' + bearer },
    });

  // Notices dismissed here whose dismissal the API has not taken yet: hidden, and sent again.
  const undelivered = new Set();
  // Whether a dismissal's answer settles it: taken, or one a retry would get again (the notice
  // gone, a bad request). A refused token, a busy or unreachable API are worth a retry.
  const settles = (status) =>
    (status >= 200 && status < 300) || (status >= 400 && status < 500 && ![401, 408, 429].includes(status));
  const sendDismissals = async () => {
    const account = accountOf(token);
    if (!account || token === refused) return;
    for (const id of [...undelivered]) {
      try {
        const path = '/v1/accounts/' + encodeURIComponent(account) + '/notices/' + encodeURIComponent(id) + '/dismiss';
        const response = await call(path, { method: 'POST' });
        if (settles(response.status)) undelivered.delete(id);
      } catch {}
    }
  };

  const render = (notices) => {
    list.replaceChildren(
      ...notices.filter((notice) => !undelivered.has(notice.id)).map((notice) => {
        const item = document.createElement('section');
        item.className = 'notice ' + notice.severity;
        item.setAttribute('role', notice.severity === 'critical' ? 'alert' : 'status');
        item.dataset.noticeId = notice.id;
        const content = document.createElement('div');
        content.className = 'content';
        const title = document.createElement('p');
        title.className = 'title';
        title.textContent = notice.title;
        const body = document.createElement('div');
        body.className = 'body';
        body.innerHTML = notice.body_html; // sanitised by forestall
        content.append(title, body);
        if (notice.cta) {
          const link = document.createElement('a');
          link.href = notice.cta.url;
          link.textContent = notice.cta.label;
          link.rel = 'noopener noreferrer';
          link.target = '_blank';
          content.append(link);
        }
        const dismiss = document.createElement('button');
        dismiss.type = 'button';
        dismiss.textContent = '×';
        dismiss.setAttribute('aria-label', 'Dismiss notice: ' + notice.title);
        dismiss.addEventListener('click', () => {
          item.remove();
          undelivered.add(notice.id);
          return sendDismissals();
        });
        item.append(content, dismiss);
        return item;
      }),
    );
  };

  // How long a failed answer asks to be left alone: its Retry-After in seconds or as an HTTP
  // date, 0 without one.
  const retryAfterSeconds = (response) => {
    const value = (response.headers.get('retry-after') || '').trim();
    if (/^\d+$/.test(value)) return Number(value);
    const at = Date.parse(value);
    return Number.isFinite(at) ? Math.max(0, (at - Date.now()) / 1000) : 0;
  };

  const failed = (waitSeconds = 0) => ({ state: 'failed', waitSeconds });
  // Resolves state 'current' when the notices shown are, 'refused' when the token is, and
  // 'failed' otherwise, with the wait the API asked for; never rejects.
  const load = async () => {
    const used = token;
    const account = accountOf(used);
    if (!account) return failed();
    if (used === refused) return { state: 'refused' };
    await sendDismissals();
    try {
      const response = await call(
        '/v1/accounts/' + encodeURIComponent(account) + '/notices',
        { headers: etag ? { 'if-none-match': etag } : {} },
        used,
      );
      // Answered for a token the page has replaced since: whatever it says is stale.
      if (used !== token) return failed();
      if (response.status === 304) return { state: 'current' };
      if (response.status === 401) {
        refused = used;
        script.dispatchEvent(
          new CustomEvent('forestall:token-expired', { bubbles: true, detail: { account } }),
        );
        return { state: 'refused' };
      }
      if (!response.ok) return failed(retryAfterSeconds(response));
      const body = await response.json();
      if (used !== token) return failed();
      etag = response.headers.get('etag') || '';
      render(body.notices);
      return { state: 'current' };
    } catch {
      return failed();
    }
  };
  const refresh = async () => {
    await load();
  };

  // One chain of polls at a time: a new token restarts it, and an older chain stops.
  let chain = 0;
  let timer = 0;
  let delaySeconds = pollSeconds;
  const poll = async () => {
    const mine = ++chain;
    clearTimeout(timer);
    const { state, waitSeconds = 0 } = await load();
    if (mine !== chain || pollSeconds === 0 || state === 'refused') return;
    delaySeconds = state === 'current' ? pollSeconds : Math.min(delaySeconds * 2, backoffCapSeconds);
    const wait = Math.min(Math.max(delaySeconds, waitSeconds), retryAfterCapSeconds);
    timer = setTimeout(poll, wait * 1000);
  };

  window.forestall = {
    refresh,
    setToken(next) {
      token = next;
      etag = '';
      delaySeconds = pollSeconds;
      return poll();
    },
  };
  poll();
})();
`;
