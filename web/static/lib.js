// Shared helpers of the agent app's pages, as window.FD: the dictionary, a DOM builder
// that only ever inserts text, the JSON API with the session's CSRF token, and the
// status line read by screen readers.
(() => {
  'use strict';
  const body = document.body;
  const csrf = body.dataset.csrf;
  const lang = body.dataset.lang || 'fr';
  const dict = JSON.parse(body.dataset.i18n || '{}');

  // t translates a key of the dictionary.
  const t = (k) => dict[k] || k;

  // el builds an element: el('p', {class: 'x', onclick: f}, 'text', node). Strings become
  // text nodes, never HTML.
  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') e.className = v;
      else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else if (k === 'dataset') Object.assign(e.dataset, v);
      else e.setAttribute(k, v === true ? '' : String(v));
    }
    for (const c of children.flat()) {
      if (c === undefined || c === null || c === false) continue;
      e.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return e;
  }

  class APIError extends Error {
    constructor(status, json) {
      super((json && json.error && json.error.message) || ('HTTP ' + status));
      this.status = status;
      this.field = json && json.error && json.error.field;
    }
  }

  // api calls the JSON API with the session cookie and CSRF token; a 401 goes back to
  // the login page.
  async function api(method, path, data) {
    const opts = { method, credentials: 'same-origin', headers: { 'X-CSRF-Token': csrf, 'Accept': 'application/json' } };
    if (data instanceof FormData) {
      opts.body = data; // multipart, its boundary set by the browser
    } else if (data !== undefined) {
      opts.headers['Content-Type'] = 'application/json';
      opts.body = JSON.stringify(data);
    }
    const res = await fetch(path, opts);
    if (res.status === 401) {
      location.href = '/login?next=' + encodeURIComponent(location.pathname + location.search + location.hash);
      throw new APIError(401, null);
    }
    if (res.status === 204) return null;
    let json = null;
    try { json = await res.json(); } catch (e) { /* not JSON */ }
    if (!res.ok) throw new APIError(res.status, json);
    return json;
  }

  // announce writes msg in the page's status line (role=status, read aloud).
  function announce(msg) {
    const s = document.getElementById('status');
    if (!s) return;
    s.textContent = '';
    // A fresh text lets screen readers read the same message twice in a row.
    requestAnimationFrame(() => { s.textContent = msg; });
  }

  // events returns the events of an agent socket frame: one, or an array of them.
  function events(data) {
    const v = JSON.parse(data);
    return Array.isArray(v) ? v : [v];
  }

  window.FD = {
    lang, csrf, t, el, api, APIError, announce, events,
    me: { id: Number(body.dataset.userId), name: body.dataset.userName, role: body.dataset.role },
    time: new Intl.DateTimeFormat(lang, { dateStyle: 'short', timeStyle: 'short' }),
  };
})();
