// Frontdesk agent app, routing part (window.FD.routing): the classification with its
// explanation and correction, the priority's factors, SLA deadlines with the time left,
// handoffs (transfer, escalate, accept, decline) and "take next".
(() => {
  'use strict';
  const { t, el, api, announce, me, colon } = window.FD;
  const categories = ['information', 'appointment', 'order', 'billing', 'complaint', 'spam', 'other'];
  const languages = ['fr', 'en', 'other'];
  const tensions = ['calm', 'tense', 'aggressive'];

  function left(seconds) {
    const s = Math.abs(seconds);
    const m = Math.round(s / 60); // whole minutes first, so 5 h 59 min 40 s reads 6 h 00
    const text = m < 60 ? window.FD.unit(m, 'minute')
      : t('routing.hours').replace('{h}', Math.floor(m / 60)).replace('{m}', String(m % 60).padStart(2, '0'));
    return seconds >= 0 ? t('routing.left').replace('{t}', text) : t('routing.late').replace('{t}', text);
  }

  // The router's explanations are structured: {code, args, text}. why renders one in
  // the page's language from the why.<code> template, the same way as router/explain
  // does in Go (see its package comment); older rows hold plain strings, shown as
  // they are; a code without a template shows its English text.
  const labelPrefixes = { category: 'cat.', tension: 'tension.', urgency: 'urgency.', language: 'lang.',
    contact_language: 'lang.', channel: 'channel.', office: 'why.office.', signals: 'why.signal.', field: 'why.field.' };

  function label(prefix, v) {
    const s = String(v);
    return prefix && t(prefix + s) !== prefix + s ? t(prefix + s) : s;
  }

  function number(name, v) {
    if (name === 'confidence') return window.FD.percent(v);
    if (name === 'points') return (v >= 0 ? '+' : '') + Math.round(v);
    if (name === 'minutes') return v < 60 ? window.FD.unit(Math.round(v), 'minute') : window.FD.unit(Math.round(v / 60), 'hour');
    return String(v);
  }

  function arg(name, v, args) {
    const prefix = (name === 'got' || name === 'want') ? (labelPrefixes[args.field] || '') : (labelPrefixes[name] || '');
    if (v === undefined || v === null || v === '') return t('why.none');
    if (typeof v === 'boolean') return t(v ? 'why.yes' : 'why.no');
    if (typeof v === 'number') return number(name, v);
    if (Array.isArray(v)) {
      if (v.length && typeof v[0] === 'object') return v.map(why).join(name === 'factors' ? ', ' : '; ');
      return v.map((x) => label(prefix, x)).join(', ');
    }
    if (typeof v === 'object') return why(v);
    return label(prefix, v);
  }

  function why(r) {
    if (typeof r === 'string') return r;
    if (!r || !r.code) return '';
    const key = 'why.' + r.code;
    const tmpl = t(key);
    if (tmpl === key) return r.text || r.code;
    const args = r.args || {};
    return tmpl.replace(/\{([a-z_]+)\}/g, (_, name) => arg(name, args[name], args));
  }

  // factorWhy is a live priority factor {code, value, minutes, points} as a reason.
  function factorWhy(f) {
    if (!f.code) return f.name || '';
    const args = { points: f.points, score: f.points, minutes: f.minutes };
    if (f.value) args[f.code] = f.value;
    return why({ code: 'priority.' + f.code, args, text: f.name });
  }

  function select(name, values, current, prefix) {
    return el('select', { name }, values.map((v) => el('option', { value: v, selected: v === current ? true : null }, t(prefix + v))));
  }

  // panel returns the routing section of conversation d's side panel; ctx.users and
  // ctx.teams name people and teams, ctx.reload reopens the conversation after a change.
  function panel(d, ctx) {
    const box = el('section', { class: 'routing', 'aria-labelledby': 'routing-title' },
      title(), el('p', { class: 'hint' }, t('list.loading')));
    api('GET', `/api/v1/conversations/${d.id}/routing`).then((r) => fill(box, d, r, ctx), (e) => {
      const restore = window.FD.rememberFocus(box);
      box.replaceChildren(title(), el('p', { class: 'hint' }, e.status === 503 ? t('routing.off') : e.message));
      restore('#routing-title');
    });
    return box;
  }

  // title is the section's heading; focusable by script, it takes the focus when the
  // control that had it is gone from a redrawn section.
  const title = () => el('h2', { id: 'routing-title', tabindex: '-1' }, t('routing.title'));

  function fill(box, d, r, ctx) {
    const st = r.state || {};
    const expl = st.explanation || {};
    const nodes = [title()];
    // Handoffs waiting for me come first: the note is what the receiver reads first.
    for (const h of r.handoffs || []) {
      if (h.status !== 'pending') continue;
      const mine = h.to_user_id === me.id || (h.kind === 'supervisor' && me.role !== 'agent') || (h.to_team_id && !h.to_user_id);
      nodes.push(el('div', { class: 'handoff', role: 'note' },
        el('strong', {}, t('routing.handoff.' + h.kind) + ' — ' + (h.from_user_id ? ctx.user(h.from_user_id) : (h.from_label || t('thread.system')))),
        el('p', {}, t('routing.reason') + colon + h.reason),
        el('p', { class: 'text' }, h.note),
        mine && h.to_user_id ? el('div', { class: 'quick' },
          el('button', { type: 'button', class: 'primary', onclick: () => answer(h, 'accept', ctx) }, t('routing.accept')),
          el('button', { type: 'button', onclick: () => answer(h, 'decline', ctx) }, t('routing.decline'))) : null));
    }
    nodes.push(el('dl', {},
      el('dt', {}, t('routing.category')),
      el('dd', {}, d.category ? t('cat.' + d.category) : '—', st.category_confidence ? ' (' + window.FD.percent(st.category_confidence) + ')' : '',
        st.corrected ? ' ✓ ' + t('routing.corrected') : ''),
      expl.category ? el('dd', { class: 'hint why-category' }, why(expl.category)) : null,
      el('dt', {}, t('side.language')), el('dd', {}, d.language ? label('lang.', d.language) : '—'),
      expl.language ? el('dd', { class: 'hint why-language' }, why(expl.language)) : null,
      el('dt', {}, t('routing.tension')), el('dd', {}, d.tension ? t('tension.' + d.tension) : '—'),
      expl.tension ? el('dd', { class: 'hint why-tension' }, why(expl.tension)) : null,
      st.urgency ? el('dt', {}, t('routing.urgency')) : null,
      st.urgency ? el('dd', {}, label('urgency.', st.urgency)) : null,
      expl.urgency && expl.urgency.code !== 'urgency.none' ? el('dd', { class: 'hint why-urgency' }, why(expl.urgency)) : null,
      el('dt', {}, t('side.priority')),
      el('dd', {}, String(r.priority && r.priority.value !== undefined ? r.priority.value : d.priority)),
      r.priority && r.priority.factors ? el('dd', { class: 'hint factors' }, r.priority.factors.map(factorWhy).join(' · ')) : null,
      expl.route ? el('dt', {}, t('routing.route')) : null,
      expl.route ? el('dd', { class: 'hint why-route' }, why(expl.route)) : null));
    if ((r.sla || []).length) {
      // A paused target (the conversation waits for its contact) shows the time it
      // had left; its deadline moves when the conversation opens again.
      nodes.push(el('h3', {}, t('routing.sla')), el('ul', { class: 'sla' }, r.sla.map((s) => el('li', { class: 'sla-' + s.stage },
        t('sla.' + s.target) + colon, el('strong', {}, s.stage === 'paused' ? t('routing.paused') : left(s.remaining_seconds)),
        el('span', { class: 'hint' }, s.stage === 'paused' ? ' (' + left(s.remaining_seconds) + ')'
          : ' (' + window.FD.time.format(new Date(s.due)) + ')')))));
    }
    nodes.push(correction(d, ctx), transfer(d, ctx));
    const restore = window.FD.rememberFocus(box);
    box.replaceChildren(...nodes);
    restore('#routing-title');
  }

  function correction(d, ctx) {
    const form = el('form', { class: 'correct', onsubmit: async (ev) => {
      ev.preventDefault();
      const f = new FormData(form);
      try {
        await api('PUT', `/api/v1/conversations/${d.id}/classification`,
          { category: f.get('category'), language: f.get('language'), tension: f.get('tension') });
        announce(t('side.saved'));
        ctx.reload();
      } catch (e) { announce(e.message); }
    } },
    el('label', {}, t('routing.category'), select('category', categories.includes(d.category) || !d.category ? categories : categories.concat(d.category), d.category, 'cat.')),
    el('label', {}, t('side.language'), select('language', languages.includes(d.language) || !d.language ? languages : languages.concat(d.language), d.language, 'lang.')),
    el('label', {}, t('routing.tension'), select('tension', tensions, d.tension || 'calm', 'tension.')),
    el('button', { type: 'submit' }, t('routing.correct')));
    return el('details', {}, el('summary', {}, t('routing.correctTitle')), form);
  }

  function transfer(d, ctx) {
    const target = el('select', { name: 'target' });
    const kind = el('select', { name: 'kind' },
      ['agent', 'team', 'supervisor'].map((k) => el('option', { value: k }, t('routing.handoff.' + k))));
    const fillTargets = () => {
      const k = kind.value;
      target.disabled = k === 'supervisor';
      target.replaceChildren(...(k === 'team' ? ctx.teams.map((x) => el('option', { value: x.id }, x.name))
        : ctx.users.filter((u) => u.id !== me.id).map((u) => el('option', { value: u.id },
          u.name + (u.presence && u.presence !== 'offline' ? ' (' + t('presence.' + u.presence) + ')' : '')))));
    };
    kind.addEventListener('change', fillTargets);
    fillTargets();
    const form = el('form', { class: 'transfer', onsubmit: async (ev) => {
      ev.preventDefault();
      const f = new FormData(form);
      const body = { kind: kind.value, reason: f.get('reason'), note: f.get('note') };
      if (kind.value === 'agent') body.to_user_id = Number(target.value);
      if (kind.value === 'team') body.to_team_id = Number(target.value);
      try {
        await api('POST', `/api/v1/conversations/${d.id}/handoffs`, body);
        form.reset();
        announce(t('routing.sent'));
        ctx.reload();
      } catch (e) { announce(e.message); }
    } },
    el('label', {}, t('routing.to'), kind), el('label', {}, t('routing.who'), target),
    el('label', {}, t('routing.reason'), el('input', { name: 'reason', required: true, maxlength: 200 })),
    el('label', {}, t('routing.note'), el('textarea', { name: 'note', required: true, rows: 3, maxlength: 4000 })),
    el('button', { type: 'submit' }, t('routing.send')));
    return el('details', {}, el('summary', {}, t('routing.transfer')), form);
  }

  async function answer(h, verb, ctx) {
    try {
      await api('POST', `/api/v1/handoffs/${h.id}/${verb}`, verb === 'decline' ? { note: '' } : undefined);
      announce(t(verb === 'accept' ? 'routing.accepted' : 'routing.declined'));
      ctx.reload();
    } catch (e) { announce(e.message); }
  }

  // takeNext asks the router for the next conversation that suits the agent and opens it.
  async function takeNext(open) {
    try {
      const r = await api('POST', '/api/v1/queue/take');
      if (r.taken) {
        announce(t('routing.taken'));
        open(r.conversation.id);
      } else {
        announce(t('routing.nothing')); // the server's message is in English
      }
    } catch (e) { announce(e.status === 503 ? t('routing.off') : e.message); }
  }

  window.FD.routing = { panel, takeNext };
})();
