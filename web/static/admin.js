// Frontdesk administration: users, teams and personal data requests (find, export, erase
// a contact; the audit log). Text is always inserted with textContent.
(() => {
  'use strict';
  const { t, api, announce, el } = window.FD;
  const me = window.FD.me.id;
  const $ = (s) => document.querySelector(s);
  const fill = (s, vars) => s.replace(/\{(\w+)\}/g, (_, k) => String(vars[k] ?? ''));

  function cell(...nodes) {
    const td = document.createElement('td');
    td.append(...nodes.map((n) => (n instanceof Node ? n : document.createTextNode(String(n)))));
    return td;
  }

  let teams = [];
  async function load() {
    const [u, tm] = await Promise.all([api('GET', '/api/v1/users'), api('GET', '/api/v1/teams')]);
    teams = tm.teams;
    const slug = new Map(teams.map((x) => [x.id, x.name]));
    const rows = u.users.map((user) => {
      const tr = document.createElement('tr');
      const btn = document.createElement('button');
      btn.type = 'button';
      btn.textContent = user.disabled ? t('admin.enable') : t('admin.disable');
      btn.disabled = user.id === me;
      btn.addEventListener('click', async () => {
        try {
          await api('PATCH', '/api/v1/users/' + user.id, { disabled: !user.disabled });
          announce(t('side.saved'));
          load();
        } catch (e) { announce(e.message); }
      });
      tr.append(cell(user.name), cell(user.email), cell(t('role.' + user.role)),
        cell((user.team_ids || []).map((id) => slug.get(id) || id).join(', ')),
        cell(user.disabled ? t('admin.disabled') : t('admin.active'), ' ', btn));
      return tr;
    });
    $('#users tbody').replaceChildren(...rows);
    $('#teams').replaceChildren(...teams.map((x) => {
      const li = document.createElement('li');
      li.textContent = x.name + ' (' + x.slug + ')';
      return li;
    }));
  }

  $('#new-user').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const f = new FormData(ev.target);
    try {
      await api('POST', '/api/v1/users', {
        name: f.get('name'), email: f.get('email'), role: f.get('role'), password: f.get('password'),
        teams: String(f.get('teams') || '').split(',').map((s) => s.trim()).filter(Boolean),
      });
      ev.target.reset();
      announce(t('side.saved'));
      load();
    } catch (e) { announce(e.message); }
  });

  $('#new-team').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const f = new FormData(ev.target);
    try {
      await api('POST', '/api/v1/teams', { slug: f.get('slug'), name: f.get('name') });
      ev.target.reset();
      announce(t('side.saved'));
      load();
    } catch (e) { announce(e.message); }
  });

  // Personal data requests.
  let contact = null;

  function showContact(c) {
    contact = c;
    $('#gdpr-contact').hidden = !c;
    if (!c) return;
    $('#gdpr-name').textContent = t('gdpr.contact') + c.id + (c.name ? ' — ' + c.name : '');
    $('#gdpr-identities').replaceChildren(...c.identities.map((i) => el('li', null, t('identity.' + i.kind) + window.FD.colon + i.value)));
    $('#gdpr-confirm-label').textContent = fill(t('gdpr.confirm'), { id: c.id });
    $('#gdpr-export').reset();
    $('#gdpr-erase').reset();
  }

  // busy disables a form's button while its request runs, and says so.
  async function busy(form, msg, fn) {
    const btn = form.querySelector('button[type=submit]');
    btn.disabled = true;
    form.setAttribute('aria-busy', 'true');
    announce(msg);
    try { await fn(); } catch (e) { announce(e.message); } finally {
      btn.disabled = false;
      form.removeAttribute('aria-busy');
    }
  }

  $('#gdpr-find').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const value = String(new FormData(ev.target).get('identity') || '').trim();
    try {
      const c = await api('GET', '/api/v1/contacts?identity=' + encodeURIComponent(value));
      showContact(c);
      announce(t('gdpr.found') + $('#gdpr-name').textContent);
      $('#gdpr-name').focus();
    } catch (e) {
      showContact(null);
      announce(e.status === 404 ? t('gdpr.notFound') : e.message);
    }
  });

  $('#gdpr-export').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const reason = String(new FormData(ev.target).get('reason') || '').trim();
    busy(ev.target, t('gdpr.exporting'), async () => {
      const x = await api('GET', '/api/v1/contacts/' + contact.id + '/export?reason=' + encodeURIComponent(reason));
      const url = URL.createObjectURL(new Blob([JSON.stringify(x, null, 2)], { type: 'application/json' }));
      const a = el('a', { href: url, download: 'contact-' + contact.id + '.json', hidden: true });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
      announce(fill(t('gdpr.exported'), { n: x.conversations.length }));
      loadAudit();
    });
  });

  $('#gdpr-erase').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const f = new FormData(ev.target);
    if (String(f.get('confirm') || '').trim() !== String(contact.id)) {
      announce(t('gdpr.confirmMismatch'));
      ev.target.elements.confirm.focus();
      return;
    }
    busy(ev.target, t('gdpr.erasing'), async () => {
      const r = await api('POST', '/api/v1/contacts/' + contact.id + '/erase', { reason: String(f.get('reason')).trim() });
      showContact(null);
      $('#gdpr-find').reset();
      announce(fill(t('gdpr.erased'), { c: r.conversations, m: r.messages, a: r.attachments, p: r.phone_messages }));
      $('#gdpr-find input').focus();
      loadAudit();
    });
  });

  async function loadAudit() {
    const page = await api('GET', '/api/v1/audit?limit=20');
    const rows = page.entries.map((e) => el('tr', null,
      cell(window.FD.time.format(new Date(e.at))), cell(e.actor), cell(t('audit.' + e.action)),
      cell(e.object), cell(e.reason || ''), cell(Object.entries(JSON.parse(e.detail || '{}')).map(([k, v]) => k + ' ' + v).join(', '))));
    if (!rows.length) rows.push(el('tr', null, el('td', { colspan: 6 }, t('gdpr.emptyAudit'))));
    $('#audit tbody').replaceChildren(...rows);
  }

  // A table wider than the window scrolls in its box: the box is then a named region
  // the keyboard can reach and scroll; otherwise it is no stop at all.
  function scrollable(box) {
    if (box.scrollWidth > box.clientWidth + 1) {
      box.setAttribute('tabindex', '0');
      box.setAttribute('role', 'region');
      box.setAttribute('aria-labelledby', box.dataset.labelledby);
    } else {
      for (const a of ['tabindex', 'role', 'aria-labelledby']) box.removeAttribute(a);
    }
  }
  const boxes = document.querySelectorAll('.table-scroll');
  if ('ResizeObserver' in window) {
    const ro = new ResizeObserver((entries) => { for (const e of entries) scrollable(e.target.closest('.table-scroll')); });
    for (const b of boxes) { ro.observe(b); ro.observe(b.querySelector('table')); }
  }
  const refit = () => { for (const b of boxes) scrollable(b); };

  load().then(refit, (e) => announce(e.message));
  loadAudit().then(refit, (e) => announce(e.message));
})();
