// Frontdesk administration: users and teams. Text is always inserted with textContent.
(() => {
  'use strict';
  const { t, api, announce } = window.FD;
  const me = window.FD.me.id;
  const $ = (s) => document.querySelector(s);

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

  load().catch((e) => announce(e.message));
})();
