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

  // errorCodes maps the API's error codes (web/errors.go, docs/api.md) to the keys of
  // their message in the page's language.
  const errorCodes = {
    invalid_json: 'error.badRequest', invalid_form: 'error.badRequest', unsupported_media_type: 'error.badRequest',
    method_not_allowed: 'error.badRequest', unknown_field: 'error.unknownField', wrong_type: 'error.wrongType',
    missing_field: 'error.missingField', invalid: 'error.invalid', unauthorized: 'error.unauthorized',
    forbidden: 'error.forbidden', forbidden_origin: 'error.forbidden', csrf: 'error.csrf', not_found: 'error.notFound',
    conflict: 'error.conflict', payload_too_large: 'error.tooLarge', rate_limited: 'error.rateLimited',
    internal: 'error.internal', not_implemented: 'error.unavailable', unavailable: 'error.unavailable',
    search_unavailable: 'error.searchUnavailable', network: 'error.network',
  };
  // Codes the server may not send, found from the status alone.
  const statusCodes = { 400: 'invalid', 401: 'unauthorized', 403: 'forbidden', 404: 'not_found', 409: 'conflict', 413: 'payload_too_large',
    422: 'invalid', 429: 'rate_limited', 500: 'internal', 502: 'unavailable', 503: 'unavailable', 504: 'unavailable' };

  // fieldName names an API field for people: its field.<name> label, else itself.
  function fieldName(f) {
    const k = 'field.' + f;
    return dict[k] || f;
  }

  // errorMessage is the message shown for an error answer: translated from its code
  // (naming the field, when there is one); the server's own text only for a code this
  // page does not know.
  function errorMessage(status, code, field, serverMessage) {
    let key = errorCodes[code];
    if (!key && code && serverMessage) return serverMessage; // a code this page does not know
    if (!key) key = errorCodes[statusCodes[status]] || 'error.generic';
    if (field && dict[key + '.field']) return t(key + '.field').replace('{field}', fieldName(field));
    return t(key);
  }

  // APIError is a failed API call: status (0 when the server could not be reached),
  // code, field, the translated message, and serverMessage as the server wrote it.
  class APIError extends Error {
    constructor(status, json, code) {
      const err = (json && json.error) || {};
      const c = code || err.code || '';
      super(errorMessage(status, c, err.field, err.message));
      this.status = status;
      this.code = c || statusCodes[status] || '';
      this.field = err.field;
      this.serverMessage = err.message || '';
    }
  }

  // api calls the JSON API with the session cookie and CSRF token; a 401 goes back to
  // the login page. It throws an APIError, also when the server cannot be reached.
  async function api(method, path, data) {
    const opts = { method, credentials: 'same-origin', headers: { 'X-CSRF-Token': csrf, 'Accept': 'application/json' } };
    if (data instanceof FormData) {
      opts.body = data; // multipart, its boundary set by the browser
    } else if (data !== undefined) {
      opts.headers['Content-Type'] = 'application/json';
      opts.body = JSON.stringify(data);
    }
    let res;
    try {
      res = await fetch(path, opts);
    } catch (e) {
      throw new APIError(0, null, 'network'); // "Failed to fetch": offline, server down
    }
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

  // rememberFocus notes the control focused inside container (by its id or its
  // data-focus key) with its caret, before container is redrawn; the function it
  // returns puts the focus back on the same control of the new drawing, or on
  // fallback (a selector, an element or a function returning one) when it is gone.
  // Nothing happens when the focus was elsewhere, or is still on a live element.
  function rememberFocus(container) {
    const a = document.activeElement;
    if (!a || a === document.body || !container || !container.contains(a)) return () => null;
    const key = a.id ? '#' + CSS.escape(a.id)
      : a.dataset && a.dataset.focus ? `[data-focus="${CSS.escape(a.dataset.focus)}"]` : null;
    let sel = null;
    try { if (typeof a.selectionStart === 'number') sel = [a.selectionStart, a.selectionEnd, a.selectionDirection]; } catch (e) { /* no caret */ }
    return (fallback) => {
      const now = document.activeElement;
      if (now && now !== document.body && document.contains(now)) return now; // still (or newly) focused
      // The same control, looked for in container, or in the page if container went too.
      let target = key ? (container.isConnected ? container : document).querySelector(key) : null;
      if (!target && fallback) {
        target = typeof fallback === 'function' ? fallback() : typeof fallback === 'string' ? document.querySelector(fallback) : fallback;
      }
      if (!target) return null;
      target.focus({ preventScroll: true });
      if (sel && target === document.activeElement && typeof target.setSelectionRange === 'function') {
        try { target.setSelectionRange(sel[0], sel[1], sel[2]); } catch (e) { /* not a text field */ }
      }
      return target;
    };
  }

  // editing tells whether a keyboard event belongs to something being typed or a form
  // being filled, where one-key shortcuts must not act: an editable element or form
  // control, or anything inside a form, the inbox composer or side panel, or a dialog.
  function editing(ev) {
    if (ev.isComposing || ev.defaultPrevented) return true;
    const guarded = 'input, textarea, select, [contenteditable]:not([contenteditable="false"]), form, .composer, #side, dialog, [role="dialog"]';
    for (const n of [ev.target, document.activeElement]) {
      if (!(n instanceof Element) || n === document.body) continue;
      if (n.isContentEditable || n.closest(guarded)) return true;
    }
    return false;
  }

  // Units and punctuation of the page's language.
  const unitFormats = new Map();
  function unit(n, u) {
    if (!unitFormats.has(u)) unitFormats.set(u, new Intl.NumberFormat(lang, { style: 'unit', unit: u, unitDisplay: 'short', maximumFractionDigits: 1 }));
    return unitFormats.get(u).format(n);
  }
  const percentFormat = new Intl.NumberFormat(lang, { style: 'percent', maximumFractionDigits: 0 });
  // size writes a number of bytes as kilobytes or megabytes ("12 ko", "12 kB").
  const size = (bytes) => (bytes >= 1024 * 1024 ? unit(Math.round(bytes / 1048576 * 10) / 10, 'megabyte') : unit(Math.max(1, Math.ceil(bytes / 1024)), 'kilobyte'));

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
    lang, csrf, t, el, api, APIError, announce, events, rememberFocus, editing, unit, size,
    percent: (x) => percentFormat.format(x),
    colon: t('punct.colon'), // " : " in French, ": " in English
    me: { id: Number(body.dataset.userId), name: body.dataset.userName, role: body.dataset.role },
    time: new Intl.DateTimeFormat(lang, { dateStyle: 'short', timeStyle: 'short' }),
  };
})();
