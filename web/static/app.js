// Frontdesk agent app: the live inbox. Vanilla JS, no build step. Every piece of message
// or contact text is inserted with textContent, never as HTML.
(() => {
  'use strict';
  const { t, el, api, announce, me, colon, unit } = window.FD;
  const $ = (sel) => document.querySelector(sel);
  const listEl = $('#conversations');
  const threadEl = $('#thread');
  const sideEl = $('#side');
  const moreBtn = $('#more');
  const timeFmt = window.FD.time;

  const state = {
    view: 'all',
    items: [],
    cursor: null,
    current: null, // conversation detail
    users: [],
    teams: [],
    lastEventId: 0,
    viewers: new Map(), // user id -> name, on the current conversation
    typers: new Map(),
    visitorTyping: false,
    noteMode: false,
    notify: localStorage.getItem('fd.notify') === 'on',
    chosenPresence: 'online',
  };
  const views = ['mine', 'unassigned', 'teams', 'all'];

  // ---- Conversation list -------------------------------------------------------------

  function listParams(cursor) {
    const f = new FormData($('#filters'));
    const p = new URLSearchParams({ view: state.view, sort: 'priority', limit: '50' });
    for (const [k, v] of f.entries()) if (v) p.set(k, v);
    if (cursor) p.set('cursor', cursor);
    return p;
  }

  async function loadList(append) {
    if (!append) listEl.setAttribute('aria-busy', 'true');
    try {
      const page = await api('GET', '/api/v1/conversations?' + listParams(append ? state.cursor : null));
      state.items = append ? state.items.concat(page.conversations) : page.conversations;
      state.cursor = page.next_cursor || null;
      renderList();
    } catch (e) {
      announce(t('error.generic'));
    } finally {
      listEl.removeAttribute('aria-busy');
    }
  }

  function waiting(c) {
    if (!c.waiting_since) return '';
    const min = Math.max(0, Math.round((Date.now() - Date.parse(c.waiting_since)) / 60000));
    if (min < 60) return unit(min, 'minute');
    if (min < 48 * 60) return unit(Math.round(min / 60), 'hour');
    return unit(Math.round(min / 1440), 'day');
  }

  function renderList() {
    // A conversation button focused before the redraw is focused again after it; if
    // its conversation left the list, the one now at its place.
    const focused = listEl.contains(document.activeElement) ? document.activeElement.closest('li') : null;
    const at = focused ? [...listEl.children].indexOf(focused) : -1;
    const restore = window.FD.rememberFocus(listEl);
    listEl.replaceChildren();
    if (state.items.length === 0) {
      listEl.append(el('li', { class: 'placeholder' }, t('list.empty')));
    }
    for (const c of state.items) {
      const current = state.current && state.current.id === c.id;
      const who = c.contact_name || ('#' + c.contact_id);
      listEl.append(el('li', {},
        el('button', { type: 'button', 'aria-current': current ? 'true' : 'false', dataset: { id: c.id, focus: 'conv-' + c.id },
          onclick: () => openConversation(c.id, true) },
          el('span', { class: 'who' }, who),
          c.unread ? el('span', { class: 'badge unread' }, ' ' + c.unread + ' ', el('span', { class: 'sr-only' }, t('list.unread'))) : null,
          el('span', { class: 'subject' }, c.subject || ''),
          el('span', { class: 'preview' }, c.preview || ''),
          el('span', { class: 'meta' },
            el('span', { class: 'badge' }, t('channel.' + c.channel)),
            el('span', {}, t('status.' + c.status)),
            el('span', { class: 'badge' + (c.priority >= 70 ? ' high' : '') }, 'P' + c.priority),
            c.category ? el('span', {}, t('cat.' + c.category)) : null,
            c.tension && c.tension !== 'calm' ? el('span', { class: 'badge high' }, t('tension.' + c.tension)) : null,
            c.waiting_since ? el('span', { title: timeFmt.format(new Date(c.waiting_since)) }, t('list.waiting') + ' ' + waiting(c)) : null))));
    }
    moreBtn.hidden = !state.cursor;
    restore(() => {
      const buttons = listEl.querySelectorAll('button[data-id]');
      return buttons[Math.min(at, buttons.length - 1)] || (moreBtn.hidden ? null : moreBtn);
    });
  }

  async function loadCounts() {
    try {
      const counts = await api('GET', '/api/v1/inbox/counts');
      for (const v of views) {
        const n = counts[v] || 0;
        document.querySelector(`[data-count="${v}"]`).textContent = n ? String(n) : '';
      }
    } catch (e) { /* counts are a hint; the list is the truth */ }
  }

  let refreshTimer = 0;
  function scheduleRefresh() {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(() => { loadList(false); loadCounts(); }, 300);
  }

  function setView(v) {
    if (!views.includes(v)) v = 'all';
    state.view = v;
    for (const a of document.querySelectorAll('.views a')) {
      if (a.dataset.view === v) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
    }
    loadList(false);
  }

  // ---- Thread --------------------------------------------------------------------------

  function userName(id) {
    if (id === undefined || id === null || id === 0) return t('thread.system');
    if (id === me.id) return t('thread.you');
    const u = state.users.find((x) => x.id === id);
    return u ? u.name : '#' + id;
  }

  function messageNode(m, contactName) {
    const author = m.kind === 'in' ? (contactName || t('thread.contact'))
      : m.kind === 'system' ? t('thread.system')
        // A reply the router sent by itself has no author: never "#undefined".
        : !m.author_user_id ? t(m.kind === 'out' ? 'thread.auto' : 'thread.system') : userName(m.author_user_id);
    const head = el('div', { class: 'head' },
      el('strong', {}, author),
      m.kind === 'note' ? el('span', {}, t('thread.note')) : null,
      el('time', { datetime: m.created_at }, timeFmt.format(new Date(m.created_at))));
    if (m.kind === 'out' && m.delivery_status) {
      const failed = m.delivery_status === 'failed';
      head.append(el('span', { class: failed ? 'failed' : '' },
        t('thread.' + (failed ? 'failed' : m.delivery_status === 'queued' ? 'queued' : 'sent')),
        failed && m.delivery_error ? ' — ' + m.delivery_error : ''));
    }
    const art = el('article', { class: 'msg ' + m.kind, dataset: { id: m.id } }, head,
      m.subject && m.kind === 'in' && m.subject !== (state.current && state.current.subject) ? el('p', { class: 'text' }, el('strong', {}, m.subject)) : null,
      el('p', { class: 'text' }, m.text || ''));
    for (const a of m.attachments || []) {
      art.append(el('p', {}, el('a', { href: '/api/v1/attachments/' + a.id, download: a.filename || '' },
        '📎 ' + (a.filename || t('thread.attachment')) + ' (' + window.FD.size(a.size) + ')')));
    }
    return el('li', { dataset: { at: m.created_at, mid: m.id } }, art);
  }

  const eventKeys = { created: 'timeline.created', reopened: 'timeline.reopened', status_changed: 'timeline.status',
    assigned: 'timeline.assigned', team_changed: 'timeline.team', priority_changed: 'timeline.priority',
    tags_changed: 'timeline.tags', delivery_failed: 'timeline.delivery', classified: 'timeline.classified',
    classification_corrected: 'timeline.corrected', handed_off: 'timeline.handedOff', sla_warning: 'timeline.slaWarning',
    sla_breached: 'timeline.slaBreached', call_answered: 'timeline.callAnswered', call_missed: 'timeline.callMissed',
    phone_message: 'timeline.phoneMessage', phone_message_acknowledged: 'timeline.phoneMessageAck',
    phone_message_callback_done: 'timeline.phoneMessageDone', phone_message_overdue: 'timeline.phoneMessageOverdue',
    message_edited: 'timeline.messageEdited', message_deleted: 'timeline.messageDeleted' };

  function eventNode(e) {
    let detail = '';
    try {
      const d = typeof e.data === 'string' ? JSON.parse(e.data || '{}') : (e.data || {}); // the API sends an object
      if (e.type === 'status_changed' || e.type === 'reopened') detail = t('status.' + d.to);
      else if (e.type === 'assigned') detail = d.to ? userName(d.to) : t('side.nobody');
      else if (e.type === 'team_changed') detail = teamName(d.to);
      else if (e.type === 'priority_changed') detail = String(d.to);
      else if (e.type === 'tags_changed') detail = (d.to || []).join(', ');
      else if (e.type === 'delivery_failed') detail = d.reason || '';
      else if (e.type === 'classified') detail = (d.category ? t('cat.' + d.category) : '—') + (d.priority !== undefined ? ', P' + d.priority : '');
      else if (e.type === 'classification_corrected' && d.to) detail = t('cat.' + d.to.category);
      else if (e.type === 'handed_off') detail = t('routing.handoff.' + d.kind) + (d.status ? ' (' + t('handoff.' + d.status) + ')' : '');
      else if (e.type === 'sla_warning' || e.type === 'sla_breached') detail = t('sla.' + d.target);
    } catch (err) { /* an unknown event shape shows its type only */ }
    return el('li', { class: 'event', dataset: { at: e.created_at } },
      (eventKeys[e.type] ? t(eventKeys[e.type]) : e.type) + (detail ? colon + detail : '') +
      (e.actor_user_id ? ' — ' + userName(e.actor_user_id) : '') + ' · ' + timeFmt.format(new Date(e.created_at)));
  }

  function teamName(id) {
    if (!id) return t('side.noTeam');
    const tm = state.teams.find((x) => x.id === id);
    return tm ? tm.name : '#' + id;
  }

  // openConversation shows conversation id; with messageId (a search hit), that
  // message is brought into view, marked and given the focus, so the reader starts
  // from it in context.
  // live marks a refresh caused by a live event: it never moves the focus, and leaves
  // the side panel's forms alone while the focus is in them.
  async function openConversation(id, focus, messageId, words, live) {
    let d;
    try {
      d = await api('GET', '/api/v1/conversations/' + id);
    } catch (e) {
      if (e.status === 404) { state.current = null; renderEmpty(); scheduleRefresh(); return; }
      announce(t('error.generic'));
      return;
    }
    const switched = !state.current || state.current.id !== d.id;
    state.current = d;
    if (switched) {
      state.viewers.clear();
      state.typers.clear();
      state.visitorTyping = false;
      send({ type: 'viewing', conversation_id: d.id });
      history.replaceState(null, '', '#' + state.view + '/' + d.id);
    }
    renderThread(d, switched);
    // A field of the side panel being filled in is left alone until the focus leaves
    // the panel (a live refresh also spares its forms); a button used is focused again.
    const a = document.activeElement;
    const busy = sideEl.contains(a) && (a.matches('input, select, textarea') || (live && a.closest('form, .routing')));
    if (!switched && busy) deferSide(d); else renderSide(d);
    for (const b of listEl.querySelectorAll('button[data-id]')) b.setAttribute('aria-current', String(Number(b.dataset.id) === d.id));
    markRead(d);
    const target = messageId && threadEl.querySelector(`li[data-mid="${messageId}"] article`);
    if (target) {
      target.classList.add('target');
      target.setAttribute('tabindex', '-1');
      target.setAttribute('aria-describedby', 'target-label');
      target.prepend(el('p', { id: 'target-label', class: 'target-label' }, t('thread.found')));
      for (const p of target.querySelectorAll('p.text')) markWords(p, words || []);
      target.scrollIntoView({ block: 'center' });
      target.focus({ preventScroll: true });
    } else if (messageId) {
      announce(t('thread.notFound'));
    } else if (focus) threadEl.focus();
  }

  // markWords wraps, in the text nodes under node, each case-insensitive occurrence of
  // words in <mark>, through the DOM (the text is never parsed as HTML).
  function markWords(node, words) {
    const wanted = words.map((w) => w.toLocaleLowerCase()).filter((w) => w.length > 1);
    if (!wanted.length) return;
    const walker = document.createTreeWalker(node, NodeFilter.SHOW_TEXT);
    const texts = [];
    while (walker.nextNode()) texts.push(walker.currentNode);
    for (const tn of texts) {
      const text = tn.nodeValue;
      const lower = text.toLocaleLowerCase();
      if (lower.length !== text.length) continue; // a lower case of another length: offsets would not match
      const parts = [];
      let at = 0;
      while (at < text.length) {
        let best = -1, len = 0;
        for (const w of wanted) {
          const i = lower.indexOf(w, at);
          if (i >= 0 && (best < 0 || i < best || (i === best && w.length > len))) { best = i; len = w.length; }
        }
        if (best < 0) break;
        if (best > at) parts.push(text.slice(at, best));
        parts.push(el('mark', {}, text.slice(best, best + len)));
        at = best + len;
      }
      if (!parts.length) continue;
      if (at < text.length) parts.push(text.slice(at));
      tn.replaceWith(...parts);
    }
  }

  function markRead(d) {
    const lastIn = [...d.messages].reverse().find((m) => m.kind === 'in');
    if (!lastIn) return;
    const item = state.items.find((c) => c.id === d.id);
    if (item && item.unread) { item.unread = 0; renderList(); }
    api('POST', `/api/v1/conversations/${d.id}/read`, { message_id: lastIn.id }).then(loadCounts, () => {});
  }

  function renderEmpty() {
    threadEl.replaceChildren(el('p', { class: 'placeholder' }, t('thread.empty')));
    sideEl.replaceChildren();
    send({ type: 'viewing', conversation_id: 0 });
  }

  function renderThread(d, switched) {
    const contactName = d.contact.name || (d.contact.identities[0] && d.contact.identities[0].value) || '';
    // A refresh of the same conversation keeps its composer element as it is: the
    // draft, the files chosen, the focus and the caret stay; only the rest is redrawn.
    const kept = !switched ? threadEl.querySelector('form.composer') : null;
    const oldList = threadEl.querySelector('.items');
    const atBottom = !oldList || oldList.scrollHeight - oldList.scrollTop - oldList.clientHeight < 40;
    const oldScroll = oldList ? oldList.scrollTop : 0;
    // Focus in the thread itself (its list, a message, a file link) stays there too.
    const inMsg = oldList && oldList.contains(document.activeElement) ? document.activeElement.closest('li[data-mid]') : null;
    const mid = inMsg ? inMsg.dataset.mid : '';
    const restore = window.FD.rememberFocus(oldList);
    const items = [];
    for (const m of d.messages) items.push({ at: m.created_at, node: messageNode(m, contactName) });
    for (const e of d.events) if (e.type !== 'created') items.push({ at: e.created_at, node: eventNode(e) });
    items.sort((a, b) => a.at.localeCompare(b.at));
    // Focusable, so that the keyboard scrolls a long thread.
    const list = el('ol', { class: 'items', tabindex: '0', 'aria-label': d.subject || contactName, dataset: { focus: 'items' } }, items.map((i) => i.node));
    const header = el('header', {},
      el('h2', { id: 'thread-title' }, d.subject || contactName),
      el('div', {}, contactName, ' · ', t('channel.' + d.channel), ' · ', t('status.' + d.status)),
      el('div', { class: 'presence-line', id: 'presence-line', 'aria-live': 'polite' }));
    threadEl.setAttribute('aria-labelledby', 'thread-title');
    if (kept) {
      for (const n of [...threadEl.childNodes]) if (n !== kept) n.remove();
      kept.before(header, list);
    } else {
      threadEl.replaceChildren(header, list, composer(''));
    }
    // A reader scrolled up in the thread stays where they were.
    list.scrollTop = kept && !atBottom ? oldScroll : list.scrollHeight;
    if (!switched) {
      restore(() => {
        const art = mid && list.querySelector(`li[data-mid="${CSS.escape(mid)}"] article`);
        if (!art) return list;
        art.setAttribute('tabindex', '-1');
        return art;
      });
    }
    renderPresenceLine();
  }

  // composer draws the reply form with draft in its box and the files already chosen
  // (kept when the agent switches between reply and note).
  function composer(draft, kept) {
    const area = el('textarea', { id: 'reply', 'aria-label': state.noteMode ? t('compose.note') : t('compose.reply'),
      placeholder: state.noteMode ? t('compose.notePlace') : t('compose.placeholder') });
    area.value = draft;
    const sendBtn = el('button', { type: 'submit', class: 'primary' }, t('compose.send'));
    const tab = (note, label) => el('button', { type: 'button', 'aria-pressed': String(state.noteMode === note),
      onclick: () => setMode(note, true) }, label);
    // Files go with a reply or a note, except by SMS or phone, which cannot carry them.
    const canAttach = !(state.current && ['sms', 'telephony'].includes(state.current.channel));
    // The files chosen are kept here, not in the input: each can be removed, and a
    // second choice adds to the first.
    const picked = canAttach && kept ? kept.slice() : [];
    const files = el('input', { type: 'file', id: 'reply-files', multiple: true, class: 'sr-only',
      onchange: () => {
        // Checked here against the server's limits (GET /api/v1/me), so that a file too
        // many or too heavy is said at once, not after its upload.
        const lim = state.limits || {};
        const refused = [];
        for (const f of files.files) {
          if (picked.some((p) => p.name === f.name && p.size === f.size)) continue;
          const total = picked.reduce((n, p) => n + p.size, 0) + f.size;
          if (lim.max_files && picked.length >= lim.max_files) {
            refused.push(t('compose.tooMany').replace('{name}', f.name).replace('{max}', lim.max_files));
          } else if (lim.max_file_bytes && total > lim.max_file_bytes) {
            refused.push(t('compose.tooLarge').replace('{name}', f.name).replace('{max}', window.FD.size(lim.max_file_bytes)));
          } else {
            picked.push(f);
          }
        }
        files.value = '';
        drawChosen();
        if (refused.length) announce(refused.join(' '));
      } });
    const chosen = el('ul', { class: 'chosen', 'aria-live': 'polite', 'aria-label': t('compose.files') });
    function drawChosen(focusAt) {
      chosen.replaceChildren(...picked.map((f, i) => el('li', {},
        el('span', { class: 'name' }, f.name + ' (' + window.FD.size(f.size) + ')'),
        el('button', { type: 'button', 'aria-label': t('compose.remove') + ' ' + f.name, dataset: { focus: 'remove-' + i },
          onclick: () => {
            picked.splice(i, 1);
            drawChosen(i);
            announce(t('compose.removed').replace('{name}', f.name));
          } }, t('compose.remove')))));
      if (focusAt !== undefined) {
        // The next file's button, else the previous one's, else the file chooser.
        const btns = chosen.querySelectorAll('button');
        (btns[Math.min(focusAt, btns.length - 1)] || files).focus();
      }
    }
    drawChosen();
    // clear drops the files sent (not any chosen while they were on their way).
    const attachments = { files: picked, clear: (sent) => {
      for (const f of sent) { const i = picked.indexOf(f); if (i >= 0) picked.splice(i, 1); }
      drawChosen();
    } };
    const attach = canAttach ? el('label', { for: 'reply-files', class: 'attach button' }, t('compose.attach')) : null;
    const form = el('form', { class: 'composer' + (state.noteMode ? ' note' : ''), onsubmit: (ev) => { ev.preventDefault(); submitReply(area, sendBtn, attachments); } },
      el('div', { class: 'tabs', role: 'group', 'aria-label': t('compose.reply') }, tab(false, t('compose.reply')), tab(true, t('compose.note'))),
      area,
      canAttach ? files : null, chosen,
      el('div', { class: 'actions' }, attach, el('span', { class: 'hint' }, el('kbd', {}, 'Ctrl'), ' + ', el('kbd', {}, '⏎')), sendBtn));
    area.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter' && (ev.ctrlKey || ev.metaKey)) { ev.preventDefault(); submitReply(area, sendBtn, attachments); }
    });
    area.addEventListener('input', typingStarted);
    form.picked = picked; // for setMode
    return form;
  }

  function setMode(note, focus) {
    state.noteMode = note;
    const form = threadEl.querySelector('.composer');
    if (!form) return;
    const area = form.querySelector('textarea');
    const fresh = composer(area.value, form.picked);
    form.replaceWith(fresh);
    if (focus) fresh.querySelector('textarea').focus();
  }

  // submitReply sends the reply or note with the files chosen (files.files, dropped by
  // files.clear once sent). While it goes the form is busy and its button says so.
  // The files were checked against the reply's limits when chosen (composer); should
  // the server still refuse them, its answer is shown.
  async function submitReply(area, btn, files) {
    const text = area.value.trim();
    const picked = files ? files.files.slice() : [];
    if ((!text && !picked.length) || !state.current || btn.disabled) return;
    const form = btn.form;
    btn.disabled = true;
    btn.textContent = t('compose.sending');
    if (form) form.setAttribute('aria-busy', 'true');
    if (picked.length) announce(t('compose.uploading'));
    const removers = form ? [...form.querySelectorAll('.chosen button')] : [];
    for (const b of removers) b.disabled = true; // the files are on their way
    let body = { text, note: state.noteMode };
    if (picked.length) {
      body = new FormData();
      body.append('text', text);
      body.append('note', String(state.noteMode));
      for (const f of picked) body.append('file', f, f.name);
    }
    try {
      const m = await api('POST', `/api/v1/conversations/${state.current.id}/messages`, body);
      area.value = '';
      if (picked.length) files.clear(picked);
      typingStopped();
      appendMessage(m);
      announce(t('compose.sent'));
    } catch (e) {
      announce(e.message || t('error.generic'));
    } finally {
      btn.disabled = false;
      btn.textContent = t('compose.send');
      if (form) form.removeAttribute('aria-busy');
      for (const b of removers) b.disabled = false;
      // Back to the reply box, the one on the page should the composer have been redrawn.
      (document.getElementById('reply') || area).focus();
    }
  }

  function appendMessage(m) {
    const d = state.current;
    if (!d || m.conversation_id !== d.id) return;
    if (d.messages.some((x) => x.id === m.id)) return;
    d.messages.push(m);
    const list = threadEl.querySelector('.items');
    if (!list) return;
    const name = d.contact.name || '';
    list.append(messageNode(m, name));
    list.scrollTop = list.scrollHeight;
    if (m.kind === 'in') {
      announce((name || t('thread.contact')) + colon + (m.text || '').slice(0, 120));
      markRead(d);
    }
  }

  // ---- Side panel ------------------------------------------------------------------------

  function option(value, label, selected) {
    return el('option', { value: String(value), selected: selected ? true : null }, label);
  }

  // deferSide keeps d for the side panel until the focus leaves it: a live refresh
  // would otherwise wipe what the agent is choosing or typing there.
  let pendingSide = null;
  function deferSide(d) { pendingSide = d; }
  sideEl.addEventListener('focusout', (ev) => {
    if (!pendingSide || sideEl.contains(ev.relatedTarget)) return;
    setTimeout(() => {
      if (!pendingSide || sideEl.contains(document.activeElement)) return;
      const d = pendingSide;
      pendingSide = null;
      if (state.current && state.current.id === d.id) renderSide(state.current);
    }, 0);
  });

  function renderSide(d) {
    pendingSide = null;
    const oldRouting = sideEl.querySelector('.routing');
    const inRouting = oldRouting && oldRouting.contains(document.activeElement);
    const restore = window.FD.rememberFocus(sideEl);
    const c = d.contact;
    const ids = el('dd', {}, c.identities.map((i) => el('div', {}, i.value)));
    const status = el('select', { id: 'f-status', name: 'status' },
      ['open', 'pending', 'snoozed', 'resolved'].map((s) => option(s, t('status.' + s), d.status === s)));
    const until = el('input', { id: 'f-until', type: 'datetime-local', name: 'snoozed_until' });
    if (d.snoozed_until) until.value = toLocalInput(d.snoozed_until);
    const untilWrap = el('label', { hidden: d.status !== 'snoozed' }, t('side.snoozeUntil'), until);
    const untilShown = () => {
      untilWrap.hidden = status.value !== 'snoozed';
      if (untilWrap.hidden) until.removeAttribute('aria-required'); else until.setAttribute('aria-required', 'true');
    };
    untilShown();
    status.addEventListener('change', untilShown);
    until.addEventListener('input', () => until.removeAttribute('aria-invalid'));
    const assignee = el('select', { id: 'f-assignee' }, option(0, t('side.nobody'), !d.assignee_id),
      state.users.map((u) => option(u.id, u.name + (u.presence && u.presence !== 'offline' ? ' (' + t('presence.' + u.presence) + ')' : ''), d.assignee_id === u.id)));
    const team = el('select', { id: 'f-team' }, option(0, t('side.noTeam'), !d.team_id),
      state.teams.map((tm) => option(tm.id, tm.name, d.team_id === tm.id)));
    const priority = el('input', { id: 'f-priority', type: 'number', min: 0, max: 100, value: d.priority });
    const tags = el('input', { id: 'f-tags', value: (d.tags || []).join(', ') });
    const form = el('form', { onsubmit: async (ev) => {
      ev.preventDefault();
      const patch = {
        status: status.value, priority: Number(priority.value), assignee_id: Number(assignee.value), team_id: Number(team.value),
        tags: tags.value.split(',').map((s) => s.trim()).filter(Boolean),
      };
      if (status.value === 'snoozed') {
        // The server wants a future date: say so here rather than send an empty one.
        const when = until.value ? new Date(until.value) : null;
        const problem = !when || isNaN(when) ? 'side.snoozeNeedsDate' : when <= new Date() ? 'side.snoozePast' : '';
        if (problem) {
          until.setAttribute('aria-invalid', 'true');
          until.focus();
          announce(t(problem));
          return;
        }
        patch.snoozed_until = when.toISOString();
      }
      await patchConversation(patch);
    } },
    el('label', {}, t('side.status'), status), untilWrap,
    el('label', {}, t('side.assignee'), assignee),
    el('label', {}, t('side.team'), team),
    el('label', {}, t('side.priority'), priority),
    el('label', {}, t('side.tags'), tags),
    el('p', {}, el('button', { type: 'submit', class: 'primary', dataset: { focus: 'save' } }, t('side.save'))));
    sideEl.replaceChildren(
      el('h2', {}, t('side.contact')),
      el('dl', {}, el('dt', {}, t('admin.name')), el('dd', {}, c.name || '—'), el('dt', {}, t('side.contact')), ids,
        c.language ? [el('dt', {}, t('side.language')), el('dd', {}, c.language)] : null,
        c.accessibility ? [el('dt', {}, t('side.accessibility')), el('dd', {}, c.accessibility)] : null),
      el('div', { class: 'quick' },
        el('button', { type: 'button', onclick: assignToMe, dataset: { focus: 'assign' } }, t('side.assignMe')),
        el('button', { type: 'button', onclick: resolve, dataset: { focus: 'resolve' } }, t('side.resolve'))),
      el('h2', {}, t('side.details')),
      form,
      window.FD.routing.panel(d, { users: state.users, teams: state.teams, user: userName,
        reload: () => openConversation(d.id, false) }));
    // The control used before the redraw (a button, a field) has the focus again.
    // Gone (a routing form, an answered handoff), the focus goes to the routing
    // section's title, else to the form's Save button.
    restore(() => (inRouting && sideEl.querySelector('#routing-title')) || sideEl.querySelector('[data-focus="save"]'));
  }

  function toLocalInput(iso) {
    const d = new Date(iso);
    const pad = (n) => String(n).padStart(2, '0');
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
  }

  async function patchConversation(patch) {
    if (!state.current) return;
    try {
      await api('PATCH', '/api/v1/conversations/' + state.current.id, patch);
      announce(t('side.saved'));
      await openConversation(state.current.id, false);
      scheduleRefresh();
    } catch (e) {
      announce(e.message || t('error.generic'));
      if (e.status === 404) { state.current = null; renderEmpty(); scheduleRefresh(); }
    }
  }

  const assignToMe = () => patchConversation({ assignee_id: me.id });
  const resolve = () => patchConversation({ status: 'resolved' });

  // ---- Live feed -------------------------------------------------------------------------

  let ws = null;
  let backoff = 1000;
  let wasOffline = false;

  function send(obj) {
    if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(obj));
  }

  function connect() {
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    ws = new WebSocket(`${proto}//${location.host}/ws/agent?last_event_id=${state.lastEventId}`);
    ws.onopen = () => {
      backoff = 1000;
      if (wasOffline) announce(t('error.reconnected'));
      wasOffline = false;
      send({ type: 'presence', state: state.chosenPresence });
      if (state.current) send({ type: 'viewing', conversation_id: state.current.id });
    };
    ws.onmessage = (m) => {
      let evs;
      try { evs = window.FD.events(m.data); } catch (e) { return; }
      // Events queued while the desk is busy arrive together, as an array.
      for (const one of evs) handle(one);
    };
    ws.onclose = () => {
      ws = null;
      if (!wasOffline) announce(t('error.offline'));
      wasOffline = true;
      const delay = backoff / 2 + Math.random() * backoff / 2;
      backoff = Math.min(backoff * 2, 30000);
      setTimeout(connect, delay);
    };
  }

  function handle(ev) {
    if (ev.type === 'hello') {
      if (ev.reset) {
        announce(t('error.reset'));
        state.lastEventId = ev.last_event_id;
        scheduleRefresh();
        if (state.current) openConversation(state.current.id, false, 0, [], true);
      } else if (state.lastEventId === 0) {
        state.lastEventId = ev.last_event_id;
      }
      return;
    }
    if (ev.id) {
      if (ev.id <= state.lastEventId) return; // already seen
      state.lastEventId = ev.id;
    }
    const onCurrent = state.current && ev.conversation_id === state.current.id;
    switch (ev.type) {
      case 'message.created':
        if (onCurrent) {
          if (ev.message) appendMessage(ev.message); else openConversation(state.current.id, false, 0, [], true);
        }
        if (ev.kind === 'in' && !onCurrent) notify(ev);
        scheduleRefresh();
        break;
      case 'conversation.created':
        notify(ev);
        scheduleRefresh();
        break;
      case 'sla.warning':
      case 'sla.breached':
        if (me.role !== 'agent' || ev.assignee_id === me.id) {
          announce(t(ev.type === 'sla.breached' ? 'routing.breached' : 'routing.warning') + ' #' + ev.conversation_id);
        }
        if (onCurrent) openConversation(state.current.id, false, 0, [], true);
        scheduleRefresh();
        break;
      case 'conversation.updated':
      case 'message.updated':
      case 'handoff.updated':
        if (onCurrent) openConversation(state.current.id, false, 0, [], true);
        scheduleRefresh();
        break;
      case 'viewing':
        if (onCurrent && ev.user_id !== me.id) {
          if (ev.state === 'on') state.viewers.set(ev.user_id, ev.name); else { state.viewers.delete(ev.user_id); state.typers.delete(ev.user_id); }
          renderPresenceLine();
        }
        break;
      case 'typing':
        if (onCurrent) {
          if (!ev.user_id) state.visitorTyping = ev.state === 'on';
          else if (ev.user_id !== me.id) { if (ev.state === 'on') state.typers.set(ev.user_id, ev.name); else state.typers.delete(ev.user_id); }
          renderPresenceLine();
        }
        break;
      case 'presence': {
        const u = state.users.find((x) => x.id === ev.user_id);
        if (u) u.presence = ev.state;
        break;
      }
    }
  }

  function renderPresenceLine() {
    const line = $('#presence-line');
    if (!line) return;
    const parts = [];
    if (state.viewers.size) parts.push(t('thread.viewing') + ' ' + [...state.viewers.values()].join(', '));
    for (const name of state.typers.values()) parts.push(name + ' ' + t('thread.typing'));
    if (state.visitorTyping) parts.push(t('thread.visitorTyping'));
    line.textContent = parts.join(' · ');
  }

  let typingTimer = 0;
  let typingSent = 0;
  function typingStarted() {
    if (!state.current) return;
    const now = Date.now();
    if (now - typingSent > 3000) {
      send({ type: 'typing', conversation_id: state.current.id, state: 'on' });
      typingSent = now;
    }
    clearTimeout(typingTimer);
    typingTimer = setTimeout(typingStopped, 5000);
  }
  function typingStopped() {
    clearTimeout(typingTimer);
    if (typingSent && state.current) send({ type: 'typing', conversation_id: state.current.id, state: 'off' });
    typingSent = 0;
  }

  // ---- Notifications -----------------------------------------------------------------------

  const notifyBtn = $('#notify');
  function renderNotify() { notifyBtn.setAttribute('aria-pressed', String(state.notify)); }
  notifyBtn.addEventListener('click', async () => {
    if (!state.notify && 'Notification' in window && Notification.permission !== 'granted') {
      try { await Notification.requestPermission(); } catch (e) { /* refused */ }
    }
    state.notify = !state.notify;
    localStorage.setItem('fd.notify', state.notify ? 'on' : 'off');
    renderNotify();
  });

  function notify(ev) {
    if (!state.notify || ev.channel !== 'webchat') return;
    if ('Notification' in window && Notification.permission === 'granted' && document.hidden) {
      new Notification(t('notify.newChat'), { body: t('channel.' + ev.channel) });
    }
    beep();
  }

  function beep() {
    try {
      const ctx = new (window.AudioContext || window.webkitAudioContext)();
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.frequency.value = 880;
      gain.gain.value = 0.08;
      osc.connect(gain).connect(ctx.destination);
      osc.start();
      osc.stop(ctx.currentTime + 0.15);
      osc.onended = () => ctx.close();
    } catch (e) { /* no audio */ }
  }

  // ---- Presence ------------------------------------------------------------------------------

  const presenceSel = $('#presence');
  presenceSel.addEventListener('change', () => {
    state.chosenPresence = presenceSel.value;
    send({ type: 'presence', state: state.chosenPresence });
  });
  let awayTimer = 0;
  document.addEventListener('visibilitychange', () => {
    clearTimeout(awayTimer);
    if (document.hidden) awayTimer = setTimeout(() => send({ type: 'presence', state: 'away' }), 5 * 60000);
    else send({ type: 'presence', state: state.chosenPresence });
  });

  // ---- Keyboard --------------------------------------------------------------------------------

  const help = $('#help');
  $('#help-open').addEventListener('click', () => help.showModal());

  function move(delta) {
    if (state.items.length === 0) return;
    let i = state.current ? state.items.findIndex((c) => c.id === state.current.id) : -1;
    i = Math.min(state.items.length - 1, Math.max(0, i + delta));
    openConversation(state.items[i].id, false).then(() => {
      const b = listEl.querySelector(`button[data-id="${state.items[i].id}"]`);
      if (b) b.focus();
    });
  }

  document.addEventListener('keydown', (ev) => {
    if (ev.ctrlKey || ev.metaKey || ev.altKey || help.open) return;
    // Never while typing or filling a form: the reply box, the side panel, a field.
    if (window.FD.editing(ev)) return;
    switch (ev.key) {
      case 'j': move(1); break;
      case 'k': move(-1); break;
      case 'r': if (state.current) { ev.preventDefault(); setMode(false, true); } break;
      case 'n': if (state.current) { ev.preventDefault(); setMode(true, true); } break;
      case 'e': if (state.current) resolve(); break;
      case 'a': if (state.current) assignToMe(); break;
      case 't': window.FD.routing.takeNext((id) => openConversation(id, true)); break;
      case '?': help.showModal(); break;
      default: return;
    }
  });

  // ---- Start ----------------------------------------------------------------------------------

  for (const a of document.querySelectorAll('.views a')) {
    a.addEventListener('click', (ev) => { ev.preventDefault(); history.replaceState(null, '', '#' + a.dataset.view); setView(a.dataset.view); });
  }
  $('#filters').addEventListener('change', () => loadList(false));
  moreBtn.addEventListener('click', () => loadList(true));
  $('#take-next').addEventListener('click', () => window.FD.routing.takeNext((id) => { scheduleRefresh(); openConversation(id, true); }));
  renderNotify();

  // openFromHash opens what the address names: #view/conversation/message/words (a
  // search hit's link), at start and when a link is followed or pasted while the inbox
  // is open (the page's own changes use replaceState, which fires no hashchange).
  function openFromHash(initial) {
    const [view, id, mid, found] = location.hash.slice(1).split('/');
    if (initial || (view && view !== state.view)) setView(view || 'all');
    let words = [];
    try { words = found ? decodeURIComponent(found).split('\n') : []; } catch (e) { /* a mangled link: no marks */ }
    if (id && Number(id)) openConversation(Number(id), false, Number(mid) || 0, words);
  }

  async function start() {
    try {
      const info = await api('GET', '/api/v1/me');
      state.users = info.users;
      state.limits = info.limits;
      state.teams = info.teams;
    } catch (e) { announce(t('error.generic')); }
    openFromHash(true);
    loadCounts();
    connect();
  }
  window.addEventListener('hashchange', () => openFromHash(false));
  start();
})();
