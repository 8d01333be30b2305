// Frontdesk search: the interaction history across channels. Snippets come as plain
// text segments; matches are wrapped in <mark> built with the DOM, never as HTML.
(() => {
  'use strict';
  const { t, el, api, announce, colon } = window.FD;
  const $ = (s) => document.querySelector(s);
  const fmt = window.FD.time;
  const hitsEl = $('#hits');
  const summary = $('#summary');
  const numbers = new Intl.NumberFormat(window.FD.lang);
  const languages = new Intl.DisplayNames([window.FD.lang], { type: 'language' });

  let users = new Map();
  let teams = new Map();
  const filters = new Map(); // facet field -> Set of values
  let cursor = null;
  const facetFields = ['channel', 'status', 'team', 'assignee', 'category', 'language', 'kind', 'tags'];
  const paramOf = { assignee: 'agent', tags: 'tag' };

  function label(field, value) {
    if (value === 'none') return field === 'team' ? t('side.noTeam') : t('side.nobody');
    if (field === 'team') return teams.get(Number(value)) || value;
    if (field === 'assignee') return users.get(Number(value)) || value;
    if (field === 'channel') return t('channel.' + value);
    if (field === 'status') return t('status.' + value);
    if (field === 'kind') return t('search.kind.' + value);
    if (field === 'category') return t('cat.' + value);
    if (field === 'language') return value === 'und' ? t('search.unknown') : languageName(value);
    return value;
  }

  // languageName names a language code in the page's language ("fr" → "French"), the
  // code itself where the browser cannot.
  function languageName(code) {
    try {
      return languages.of(code) || code;
    } catch (e) {
      return code;
    }
  }

  function params(withCursor) {
    const p = new URLSearchParams();
    const f = new FormData($('#search-form'));
    for (const [k, v] of f.entries()) if (v) p.set(k, v);
    for (const [field, values] of filters) if (values.size) p.set(paramOf[field] || field, [...values].join(','));
    if (withCursor && cursor) p.set('cursor', cursor);
    return p;
  }

  function snippet(segments) {
    return el('p', { class: 'snippet' }, (segments || []).map((s) => (s.match ? el('mark', {}, s.text) : s.text)));
  }

  // inContext links a hit to its message in the inbox, with the words the search
  // matched in it (as the text has them: "réclamations" may have found "réclamation"),
  // for the inbox to mark.
  function inContext(h) {
    const words = [...new Set((h.snippet || []).filter((s) => s.match).map((s) => s.text.trim()).filter(Boolean))].slice(0, 10);
    return '/inbox#all/' + h.conversation_id + '/' + h.message_id + (words.length ? '/' + encodeURIComponent(words.join('\n')) : '');
  }

  function hitNode(h) {
    // Never "#12": the server names a contact without a name by their address or
    // visitor id, as the inbox's list does; "Contact" only if they have neither.
    const who = el('span', { class: 'who' }, h.contact_name || t('thread.contact'));
    return el('li', { class: 'hit' },
      el('article', {},
        el('h3', {}, el('a', { href: inContext(h) }, who, ' — ' + (h.subject || t('search.noSubject')))),
        snippet(h.snippet),
        el('p', { class: 'meta' },
          el('span', { class: 'badge' }, t('channel.' + h.channel)),
          el('span', {}, t('status.' + h.status)),
          h.kind === 'note' ? el('span', { class: 'badge' }, t('thread.note')) : null,
          h.team_id ? el('span', {}, label('team', h.team_id)) : null,
          el('time', { datetime: h.created_at }, fmt.format(new Date(h.created_at))))));
  }

  const facetKey = (field, value) => 'facet-' + field + '-' + value;

  function renderChips() {
    const box = $('#chips');
    // A chip removed gives the focus to its neighbour, else to its facet, else to the
    // search field; a chip kept keeps it.
    const old = [...box.querySelectorAll('.chip')];
    const at = old.indexOf(document.activeElement);
    const gone = at >= 0 ? old[at].dataset.facet : '';
    const restore = window.FD.rememberFocus(box);
    const chips = [];
    for (const [field, values] of filters) {
      for (const v of values) {
        chips.push(el('button', { type: 'button', class: 'chip', 'aria-label': t('search.remove') + ' ' + t('search.facet.' + field) + colon + label(field, v),
          dataset: { focus: 'chip-' + field + '-' + v, facet: facetKey(field, v) },
          onclick: () => { values.delete(v); run(false); } }, t('search.facet.' + field) + colon + label(field, v) + ' ✕'));
      }
    }
    box.replaceChildren(...chips);
    restore(() => chips[Math.min(at, chips.length - 1)] ||
      (gone && $('#facets').querySelector(`[data-focus="${CSS.escape(gone)}"]`)) || $('#q'));
  }

  function renderFacets(facets) {
    const box = $('#facets');
    const was = box.contains(document.activeElement) ? document.activeElement.closest('fieldset') : null;
    const field0 = was ? was.dataset.field : '';
    const restore = window.FD.rememberFocus(box);
    const groups = [];
    for (const field of facetFields) {
      const f = facets && facets[field];
      if (!f || !f.terms || f.terms.length === 0) continue;
      groups.push(el('fieldset', { dataset: { field } }, el('legend', {}, t('search.facet.' + field)),
        f.terms.map((term) => {
          const active = filters.has(field) && filters.get(field).has(String(term.value));
          return el('button', { type: 'button', class: 'facet', 'aria-pressed': String(active), dataset: { focus: facetKey(field, term.value) }, onclick: () => {
            if (!filters.has(field)) filters.set(field, new Set());
            const set = filters.get(field);
            if (active) set.delete(String(term.value)); else set.add(String(term.value));
            run(false);
          } }, label(field, term.value) + ' (' + term.count + ')');
        })));
    }
    box.replaceChildren(...groups);
    // The facet pressed keeps the focus; gone, the first of its group, else the first.
    restore(() => (field0 && box.querySelector(`fieldset[data-field="${CSS.escape(field0)}"] .facet`)) || box.querySelector('.facet') || $('#q'));
  }

  async function run(more) {
    hitsEl.setAttribute('aria-busy', 'true');
    if (!more) { cursor = null; summary.textContent = t('search.searching'); }
    renderChips();
    const p = params(more);
    const exp = $('#export');
    if (exp) exp.href = '/api/v1/search/export.csv?' + params(false);
    try {
      const res = await api('GET', '/api/v1/search?' + p);
      cursor = res.next_cursor || null;
      const nodes = res.hits.map(hitNode);
      if (more) hitsEl.append(...nodes); else hitsEl.replaceChildren(...nodes);
      if (!more) {
        renderFacets(res.facets);
        // The summary is the page's live region for the search: its count is read aloud
        // once, and not repeated in the status line.
        // Words too common to be looked for are named, so that "le" finding nothing
        // and "la facture" finding only "facture" make sense.
        const ignored = res.ignored && res.ignored.length
          ? ' ' + t('search.ignored').replace('{w}', res.ignored.map((w) => t('search.quoted').replace('{w}', w)).join(', ')) : '';
        summary.textContent = res.total === 0 ? t('search.none') + ignored + ' ' + t('search.advice')
          : t(res.total === 1 ? 'search.found.one' : 'search.found')
            .replace('{n}', numbers.format(res.total)).replace('{ms}', numbers.format(Math.round(res.took_ms * 10) / 10)) + ignored;
        history.replaceState(null, '', '/search?' + params(false));
      }
      $('#more').hidden = !cursor;
      if (exp && !more) exp.parentElement.hidden = res.total === 0; // nothing to export
    } catch (e) {
      summary.textContent = e.message;
      // Results of an earlier search must not pass for this one's.
      if (!more) {
        const restore = window.FD.rememberFocus($('#facets'));
        hitsEl.replaceChildren();
        $('#facets').replaceChildren();
        restore('#q');
        if (exp) exp.parentElement.hidden = true;
      }
      cursor = null;
      $('#more').hidden = true;
    } finally {
      hitsEl.setAttribute('aria-busy', 'false');
    }
  }

  async function loadSaved() {
    try {
      const res = await api('GET', '/api/v1/search/saved');
      $('#saved').replaceChildren(...res.saved_searches.map((s) => el('li', {},
        el('a', { href: '/search?' + s.params }, s.name), ' ',
        el('button', { type: 'button', class: 'link', 'aria-label': t('search.delete') + ' ' + s.name,
          onclick: async () => { await api('DELETE', '/api/v1/search/saved/' + s.id); loadSaved(); } }, '✕'))));
    } catch (e) { /* saved searches are optional */ }
  }

  $('#search-form').addEventListener('submit', (ev) => { ev.preventDefault(); run(false); });
  $('#more').addEventListener('click', () => run(true));
  $('#save-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const name = new FormData(ev.target).get('name');
    try {
      await api('POST', '/api/v1/search/saved', { name, params: params(false).toString() });
      ev.target.reset();
      announce(t('side.saved'));
      loadSaved();
    } catch (e) { announce(e.message); }
  });
  document.addEventListener('keydown', (ev) => {
    if (ev.key === '/' && !ev.ctrlKey && !ev.metaKey && !ev.altKey && !window.FD.editing(ev)) { ev.preventDefault(); $('#q').focus(); }
  });

  (async () => {
    try {
      const info = await api('GET', '/api/v1/me');
      users = new Map(info.users.map((u) => [u.id, u.name]));
      teams = new Map(info.teams.map((x) => [x.id, x.name]));
    } catch (e) { /* labels fall back to ids */ }
    // Start from the URL: a saved search or a shared link.
    const start = new URLSearchParams(location.search);
    for (const [k, v] of start) {
      if (['q', 'from', 'to', 'sort'].includes(k)) { const f = document.getElementsByName(k)[0]; if (f) f.value = v; continue; }
      const field = Object.keys(paramOf).find((x) => paramOf[x] === k) || k;
      if (facetFields.includes(field)) filters.set(field, new Set(v.split(',').filter(Boolean)));
    }
    loadSaved();
    run(false);
  })();
})();
