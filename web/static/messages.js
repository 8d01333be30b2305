// Frontdesk phone messages (prise de messages): taking a message for an absent
// colleague or team, and working through the ones received. Text is inserted as text.
(() => {
  'use strict';
  const { t, el, api, announce, me, colon } = window.FD;
  const $ = (s) => document.querySelector(s);
  const listEl = $('#pm-list');
  const fmt = window.FD.time;

  let users = [];
  let teams = [];
  let box = 'mine';
  let cursor = null;
  let items = [];

  const name = (id) => { const u = users.find((x) => x.id === id); return u ? u.name : '#' + id; };
  const teamName = (id) => { const x = teams.find((y) => y.id === id); return x ? x.name : '#' + id; };

  function item(p) {
    const isRecipient = p.recipient_user_id === me.id;
    const actions = el('div', { class: 'quick' });
    if (p.status === 'new' && (isRecipient || p.recipient_team_id)) {
      actions.append(el('button', { type: 'button', dataset: { focus: 'ack-' + p.id }, onclick: () => act(p, 'acknowledge') }, t('pm.acknowledge')));
    }
    if (p.callback_requested && !p.callback_done_at) {
      actions.append(el('button', { type: 'button', dataset: { focus: 'done-' + p.id }, onclick: () => {
        const note = prompt(t('pm.callbackNote'));
        if (note !== null) act(p, 'callback-done', { note });
      } }, t('pm.callbackDone')));
    }
    const who = [p.caller_name, p.organisation].filter(Boolean).join(' — ') || p.phone || p.email || '—';
    return el('li', { class: 'pm' + (p.overdue ? ' overdue' : '') + (p.urgency === 'urgent' ? ' urgent' : ''), dataset: { pm: p.id } },
      el('article', { 'aria-labelledby': 'pm-' + p.id },
        el('h3', { id: 'pm-' + p.id, tabindex: '-1' }, p.subject),
        el('p', { class: 'meta' },
          el('span', { class: 'badge' + (p.urgency === 'urgent' ? ' high' : '') }, t('pm.urgency.' + p.urgency)),
          el('span', {}, t('pm.status.' + p.status)),
          p.overdue ? el('span', { class: 'badge unread' }, t('pm.overdue')) : null,
          el('span', {}, t('pm.for') + colon + (p.recipient_user_id ? name(p.recipient_user_id) : teamName(p.recipient_team_id))),
          el('span', {}, t('pm.by') + ' ' + name(p.author_id) + ', ' + fmt.format(new Date(p.created_at)))),
        el('p', {}, el('strong', {}, who), p.phone ? ' · ' + p.phone : '', p.email ? ' · ' + p.email : ''),
        p.text ? el('p', { class: 'text' }, p.text) : null,
        p.callback_before ? el('p', {}, t('pm.callbackBefore') + ' ' + fmt.format(new Date(p.callback_before))) : null,
        p.callback_note ? el('p', { class: 'text' }, t('pm.callbackDone') + colon + p.callback_note) : null,
        actions));
  }

  function render() {
    // A button used ("Lu", "Rappel fait") keeps the focus when it is still there; gone,
    // the focus goes to the other action of the same message, else to its title, else
    // to the message now at its place, else to the page's title.
    const li = listEl.contains(document.activeElement) ? document.activeElement.closest('li') : null;
    const pm = li ? li.dataset.pm : '';
    const at = li ? [...listEl.children].indexOf(li) : -1;
    const restore = window.FD.rememberFocus(listEl);
    listEl.replaceChildren(...(items.length ? items.map(item) : [el('li', { class: 'placeholder' }, t('pm.empty'))]));
    $('#pm-more').hidden = !cursor;
    restore(() => {
      const same = pm && listEl.querySelector(`li[data-pm="${CSS.escape(pm)}"]`);
      if (same) return same.querySelector('.quick button') || same.querySelector('h3');
      const near = listEl.children[Math.min(at, listEl.children.length - 1)];
      if (near && near.querySelector('h3')) return near.querySelector('h3');
      const title = $('#pm-title');
      title.setAttribute('tabindex', '-1');
      return title;
    });
  }

  async function load(more) {
    const q = new URLSearchParams({ box, limit: '50' });
    if (more && cursor) q.set('cursor', cursor);
    try {
      const page = await api('GET', '/api/v1/phone-messages?' + q);
      items = more ? items.concat(page.phone_messages) : page.phone_messages;
      cursor = page.next_cursor || null;
      render();
    } catch (e) { announce(e.message); }
  }

  async function act(p, what, data) {
    try {
      await api('POST', `/api/v1/phone-messages/${p.id}/${what}`, data);
      announce(t('side.saved'));
      load(false);
    } catch (e) { announce(e.message); }
  }

  function setBox(b) {
    box = b;
    for (const a of document.querySelectorAll('#boxes a')) {
      if (a.dataset.box === b) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
    }
    load(false);
  }

  for (const a of document.querySelectorAll('#boxes a')) {
    a.addEventListener('click', (ev) => { ev.preventDefault(); history.replaceState(null, '', '#' + a.dataset.box); setBox(a.dataset.box); });
  }
  $('#pm-more').addEventListener('click', () => load(true));

  $('#pm-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const f = new FormData(ev.target);
    const [kind, id] = String(f.get('recipient')).split(':');
    const data = {
      caller_name: f.get('caller_name'), organisation: f.get('organisation'), phone: f.get('phone'), email: f.get('email'),
      subject: f.get('subject'), text: f.get('text'), urgency: f.get('urgency'),
      callback_requested: f.get('callback_requested') === 'on',
      idempotency_key: crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random(),
    };
    if (kind === 'team') data.recipient_team_id = Number(id); else data.recipient_user_id = Number(id);
    if (f.get('callback_before')) { data.callback_before = new Date(f.get('callback_before')).toISOString(); data.callback_requested = true; }
    try {
      await api('POST', '/api/v1/phone-messages', data);
      ev.target.reset();
      announce(t('pm.saved'));
      setBox('sent');
    } catch (e) { announce(e.message); }
  });

  // A live socket keeps the list current: any phone message event reloads it.
  function connect() {
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const ws = new WebSocket(`${proto}//${location.host}/ws/agent`);
    ws.onmessage = (m) => {
      try {
        if (window.FD.events(m.data).some((x) => String(x.type).startsWith('phone_message.'))) load(false);
      } catch (e) { /* ignore */ }
    };
    ws.onclose = () => setTimeout(connect, 3000 + Math.random() * 2000);
  }

  (async () => {
    try {
      const info = await api('GET', '/api/v1/me');
      users = info.users;
      teams = info.teams;
      const sel = $('#pm-recipient');
      sel.append(el('optgroup', { label: t('admin.users') }, users.filter((u) => u.id !== me.id).map((u) => el('option', { value: 'user:' + u.id }, u.name))));
      sel.append(el('optgroup', { label: t('admin.teams') }, teams.map((x) => el('option', { value: 'team:' + x.id }, x.name))));
    } catch (e) { announce(e.message); }
    setBox(location.hash.slice(1) || 'mine');
    connect();
  })();
})();
