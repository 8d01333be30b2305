/* Frontdesk visitor chat (runs in the hub's iframe). Protocol: docs/webchat-protocol.md.
   Message text is always inserted with textContent, never as HTML. */
(function () {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };
  var cfg = JSON.parse($("fd-config").textContent);
  var site = cfg.site, store = window.localStorage;
  var K = { token: "fd:t:" + site, pending: "fd:p:" + site, lang: "fd:l:" + site, pre: "fd:pre:" + site };
  var L = {
    fr: { close: "Fermer le chat", messages: "Messages", message: "Votre message", placeholder: "Écrivez votre message…",
      send: "Envoyer", attach: "Joindre une image ou un PDF", transcript: "Recevoir la conversation par e-mail",
      name: "Votre nom (facultatif)", email: "Votre e-mail (facultatif)", emailReq: "Votre e-mail (pour recevoir la réponse)",
      start: "Commencer", gdpr: "Vos messages et coordonnées sont conservés par {site} pour traiter votre demande, puis supprimés selon sa politique de conservation. N'y mettez pas de données sensibles.",
      online: "Un agent vous répond", offline: "Absents : laissez un message et votre e-mail, nous vous répondrons par e-mail.",
      connecting: "Connexion…", sending: "Envoi…", sent: "Envoyé", failed: "Non envoyé", you: "Vous", agent: "Accueil",
      typing: "{name} écrit…", someone: "Un agent", newMsg: "Nouveau message de {name} : {text}", other: "English",
      badFile: "Seules les images (PNG, JPEG, GIF, WebP) et les PDF jusqu'à {mb} Mo peuvent être envoyés.",
      tooLong: "Message trop long ({max} octets au plus).", emailNeeded: "Indiquez votre e-mail pour recevoir la réponse.",
      transcriptSent: "La conversation vous a été envoyée par e-mail.", needEmail: "Indiquez d'abord votre e-mail.",
      file: "Fichier", wait: "Trop de messages : nouvel essai dans un instant." },
    en: { close: "Close the chat", messages: "Messages", message: "Your message", placeholder: "Type your message…",
      send: "Send", attach: "Attach an image or a PDF", transcript: "Email me the conversation",
      name: "Your name (optional)", email: "Your email (optional)", emailReq: "Your email (to receive the answer)",
      start: "Start", gdpr: "Your messages and details are kept by {site} to handle your request, then deleted under its retention policy. Please do not share sensitive data.",
      online: "An agent will answer", offline: "Away: leave a message and your email, we will answer by email.",
      connecting: "Connecting…", sending: "Sending…", sent: "Sent", failed: "Not sent", you: "You", agent: "Front desk",
      typing: "{name} is typing…", someone: "An agent", newMsg: "New message from {name}: {text}", other: "Français",
      badFile: "Only images (PNG, JPEG, GIF, WebP) and PDF files up to {mb} MB can be sent.",
      tooLong: "Message too long (at most {max} bytes).", emailNeeded: "Give your email to receive the answer.",
      transcriptSent: "The conversation has been sent to you by email.", needEmail: "Give your email first.",
      file: "File", wait: "Too many messages: retrying in a moment." }
  };
  var lang = get(K.lang) || cfg.lang, t = L[lang];
  var token = get(K.token), ws = null, lastSeq = 0, attempt = 0, timer = 0, lastFrame = 0;
  var online = cfg.online, profile = { name: "", email: "" }, inflight = null, conv = 0;
  var pending = parse(get(K.pending)) || [], nodes = {}, typingTimer = 0, typingSent = 0, wantTranscript = false;
  var list = $("list"), log = $("log"), text = $("text");

  function get(k) { try { return store.getItem(k); } catch (e) { return null; } }
  function set(k, v) { try { v == null ? store.removeItem(k) : store.setItem(k, v); } catch (e) {} }
  function parse(s) { try { return JSON.parse(s); } catch (e) { return null; } }
  function fill(s, o) { return s.replace(/\{(\w+)\}/g, function (_, k) { return o[k]; }); }
  function say(what) { parent.postMessage({ fd: what }, "*"); }

  document.documentElement.style.setProperty("--a", cfg.accent);
  document.documentElement.style.setProperty("--oa", cfg.on_accent);

  function applyLang() {
    t = L[lang];
    document.documentElement.lang = lang;
    var els = document.querySelectorAll("[data-l]");
    for (var i = 0; i < els.length; i++) { var k = els[i].getAttribute("data-l"); if (els[i].id !== "close") els[i].textContent = fill(t[k], { site: cfg.name }); }
    $("close").setAttribute("aria-label", t.close);
    log.setAttribute("aria-label", t.messages);
    text.placeholder = t.placeholder;
    $("lang").textContent = lang === "fr" ? "EN" : "FR";
    $("lang").setAttribute("lang", lang === "fr" ? "en" : "fr");
    $("lang").setAttribute("aria-label", L[lang === "fr" ? "en" : "fr"].other);
    $("greet").textContent = cfg.greeting[lang];
    preLabels();
    showStatus();
    for (var s in nodes) meta(nodes[s]);
  }
  function preLabels() {
    $("pemail-l").textContent = online ? t.email : t.emailReq;
    $("pemail-h").textContent = online ? "" : t.emailNeeded;
    $("pemail").required = !online;
  }
  function showStatus() { $("status").textContent = ws && ws.readyState === 1 ? (online ? t.online : t.offline) : t.connecting; }
  function notice(msg) { var n = $("notice"); n.textContent = msg || ""; n.hidden = !msg; }

  /* Messages: one <li> per message, kept in seq order; pending ones (no seq yet) last. */
  function el(m) {
    var li = document.createElement("li"), who = document.createElement("span"), body = document.createElement("span"), meta = document.createElement("span");
    li.className = "msg " + m.from;
    who.className = "who"; meta.className = "meta";
    who.textContent = m.from === "agent" ? (m.author || t.agent) : t.you;
    body.textContent = m.text || "";
    li.appendChild(who); li.appendChild(body);
    (m.attachments || []).forEach(function (a) {
      var link = document.createElement("a");
      link.href = a.url; link.textContent = a.name || t.file; link.setAttribute("download", a.name || "");
      link.target = "_blank"; link.rel = "noopener";
      if (/^image\//.test(a.type)) { var img = document.createElement("img"); img.src = a.url; img.alt = a.name || t.file; li.appendChild(img); }
      li.appendChild(document.createElement("br")); li.appendChild(link);
    });
    li.appendChild(meta);
    li._m = m;
    return li;
  }
  function meta(li) {
    var m = li._m, s = li.lastChild;
    s.textContent = m.state === "pending" ? t.sending : m.state === "failed" ? t.failed :
      new Date(m.at).toLocaleTimeString(lang, { hour: "2-digit", minute: "2-digit" }) + (m.from === "visitor" ? " · " + t.sent : "");
    li.firstChild.textContent = m.from === "agent" ? (m.author || t.agent) : t.you;
    li.className = "msg " + m.from + (m.state ? " " + m.state : "");
  }
  function place(li) {
    var seq = li._m.seq, kids = list.children;
    for (var i = 0; i < kids.length; i++) {
      var o = kids[i]._m;
      if (o && (!o.seq || o.seq > seq)) { list.insertBefore(li, kids[i]); return; }
    }
    list.appendChild(li);
  }
  function show(m, live) {
    if (m.seq && nodes[m.seq]) return;
    if (m.from === "visitor" && m.cid && nodes["c" + m.cid]) { confirm(m.cid, m.seq, m.at); return; }
    var li = el(m);
    if (m.seq) { nodes[m.seq] = li; place(li); lastSeq = Math.max(lastSeq, m.seq); conv = m.conv || conv; }
    else { nodes["c" + m.cid] = li; list.appendChild(li); }
    meta(li);
    if (live && m.from === "agent") {
      $("live").textContent = fill(t.newMsg, { name: m.author || t.agent, text: m.text });
      say("agent");
    }
    scroll();
  }
  function confirm(cid, seq, at) {
    var li = nodes["c" + cid];
    if (!li) return;
    delete nodes["c" + cid];
    if (nodes[seq]) { li.remove(); return; }
    li._m.seq = seq; li._m.at = at; li._m.state = "";
    nodes[seq] = li; lastSeq = Math.max(lastSeq, seq);
    li.remove(); place(li); meta(li);
  }
  function scroll() { log.scrollTop = log.scrollHeight; }

  /* Outbox: messages leave one at a time, in order, and stay in localStorage until
     acknowledged, so a cut connection or a reload resends them; the server deduplicates
     by cid, so each is stored exactly once. */
  function savePending() { set(K.pending, pending.length ? JSON.stringify(pending) : null); }
  function queue(txt) {
    var cid = Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 10);
    pending.push({ cid: cid, text: txt });
    savePending();
    show({ from: "visitor", cid: cid, text: txt, state: "pending" });
    pump();
  }
  function pump() {
    if (inflight || !pending.length || !ws || ws.readyState !== 1 || !ws._ready) return;
    inflight = pending[0];
    send({ type: "message", cid: inflight.cid, text: inflight.text });
  }
  function acked(f) {
    pending = pending.filter(function (p) { return p.cid !== f.cid; });
    savePending();
    if (inflight && inflight.cid === f.cid) inflight = null;
    confirm(f.cid, f.seq, f.at);
    conv = f.conv; say("active");
    pump();
  }
  function send(o) { if (ws && ws.readyState === 1) ws.send(JSON.stringify(o)); }

  /* Connection, with exponential backoff and full jitter on reconnect. */
  function connect() {
    clearTimeout(timer);
    var u = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/chat/ws?site=" + encodeURIComponent(site);
    try { ws = new WebSocket(u); } catch (e) { retry(); return; }
    var me = ws;
    me.onopen = function () { lastFrame = Date.now(); send({ type: "hello", token: token || undefined, since: lastSeq, lang: lang }); };
    me.onmessage = function (e) { if (me === ws) { lastFrame = Date.now(); frame(parse(e.data) || {}); } };
    me.onclose = function () { if (me !== ws) return; ws = null; inflight = null; showStatus(); retry(); };
  }
  function retry() {
    var d = Math.random() * Math.min(30000, 500 * Math.pow(2, attempt++));
    timer = setTimeout(connect, d);
  }
  function frame(f) {
    switch (f.type) {
      case "welcome":
        attempt = 0; token = f.token; set(K.token, token); ws._ready = true;
        online = f.online; conv = f.conv || conv;
        if (f.name) profile.name = f.name;
        if (f.email) profile.email = f.email;
        if (f.conv) say("active");
        preLabels(); showStatus(); maybePre();
        if (document.hasFocus()) focusIn();
        pump();
        break;
      case "message": show(f, !f.replay); break;
      case "ack": acked(f); break;
      case "typing":
        $("typing").textContent = f.on ? fill(t.typing, { name: f.name || t.someone }) : "";
        clearTimeout(typingTimer);
        if (f.on) typingTimer = setTimeout(function () { $("typing").textContent = ""; }, 8000);
        break;
      case "status": online = f.online; preLabels(); showStatus(); break;
      case "profile_saved":
        profile.name = f.name; profile.email = f.email; set(K.pre, "1"); $("pre").hidden = true; text.focus();
        if (wantTranscript) { wantTranscript = false; send({ type: "transcript" }); }
        break;
      case "transcript_sent": notice(t.transcriptSent); break;
      case "error": error(f); break;
    }
  }
  function error(f) {
    if (f.code === "rate_limited" && f.cid) {
      inflight = null; notice(t.wait);
      setTimeout(function () { notice(""); pump(); }, f.retry_after_ms || 1000);
      return;
    }
    if (f.cid && (f.code === "too_large" || f.code === "invalid_frame")) {
      /* the server will never take this one: drop it from the outbox, mark it */
      pending = pending.filter(function (p) { return p.cid !== f.cid; }); savePending();
      var li = nodes["c" + f.cid]; if (li) { li._m.state = "failed"; meta(li); }
      inflight = null; pump();
    }
    if (f.code === "internal" && f.cid) { inflight = null; setTimeout(pump, 2000); }
    notice(f.message);
  }

  /* Keepalive: a silent connection for 60 s is dead even if the browser has not noticed. */
  setInterval(function () {
    if (!ws || ws.readyState !== 1) return;
    if (Date.now() - lastFrame > 60000) { ws.close(); return; }
    send({ type: "ping" });
  }, 25000);
  window.addEventListener("online", function () { if (!ws) { attempt = 0; connect(); } });

  function emailMissing() {
    var f = $("pemail");
    f.setAttribute("aria-invalid", "true");
    f.focus();
  }
  $("pemail").addEventListener("input", function () { this.removeAttribute("aria-invalid"); });

  function maybePre() {
    var need = !get(K.pre) && !conv && !profile.email;
    if (!online && !profile.email) need = true;
    $("pre").hidden = !need;
  }

  $("pre").addEventListener("submit", function (e) {
    e.preventDefault();
    var em = $("pemail").value.trim();
    // The field's own hint says why (read with the field): marked and focused, not
    // said a second time in the alert.
    if (!online && !em) { emailMissing(); return; }
    notice("");
    send({ type: "profile", name: $("pname").value.trim(), email: em });
  });
  $("composer").addEventListener("submit", function (e) {
    e.preventDefault();
    var v = text.value.trim();
    if (!v) return;
    if (new TextEncoder().encode(v).length > cfg.max_message_bytes) { notice(fill(t.tooLong, { max: cfg.max_message_bytes })); return; }
    if (!online && !profile.email) { maybePre(); emailMissing(); return; }
    notice("");
    text.value = "";
    send({ type: "typing", on: false }); typingSent = 0;
    queue(v);
  });
  text.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); $("composer").requestSubmit(); }
  });
  text.addEventListener("input", function () {
    var now = Date.now();
    if (text.value && now - typingSent > 2000) { send({ type: "typing", on: true }); typingSent = now; }
    if (!text.value && typingSent) { send({ type: "typing", on: false }); typingSent = 0; }
  });
  $("file").addEventListener("change", function () {
    var f = this.files[0]; this.value = "";
    if (!f) return;
    if (f.size > cfg.max_upload_bytes || !/^(image\/(png|jpeg|gif|webp)|application\/pdf)$/.test(f.type)) {
      notice(fill(t.badFile, { mb: Math.round(cfg.max_upload_bytes / 1048576) })); return;
    }
    if (!token) { notice(t.connecting); return; }
    var cid = "f" + Date.now().toString(36) + Math.random().toString(36).slice(2, 8), fd = new FormData();
    fd.append("cid", cid); fd.append("file", f, f.name);
    show({ from: "visitor", cid: cid, text: f.name, state: "pending" });
    fetch("/chat/upload?site=" + encodeURIComponent(site), { method: "POST", body: fd, headers: { Authorization: "Bearer " + token } })
      .then(function (r) { return r.json().then(function (b) { return { ok: r.ok, b: b }; }); })
      .then(function (r) {
        if (!r.ok) throw new Error(r.b.error ? r.b.error.message : "");
        var li = nodes["c" + cid]; if (li) { li.remove(); delete nodes["c" + cid]; }
        show({ from: "visitor", seq: r.b.seq, conv: r.b.conv, cid: cid, text: "", attachments: r.b.attachments, at: new Date().toISOString() });
        say("active");
      })
      .catch(function (err) { var li = nodes["c" + cid]; if (li) { li._m.state = "failed"; meta(li); } notice(err.message || t.failed); });
  });
  $("transcript").addEventListener("click", function () {
    if (!profile.email) { wantTranscript = true; $("pre").hidden = false; notice(t.needEmail); $("pemail").focus(); return; }
    send({ type: "transcript" });
  });
  $("lang").addEventListener("click", function () { lang = lang === "fr" ? "en" : "fr"; set(K.lang, lang); applyLang(); });
  $("close").addEventListener("click", function () { say("close"); });
  document.addEventListener("keydown", function (e) { if (e.key === "Escape") say("close"); });
  function focusIn() { ($("pre").hidden ? text : $("pname")).focus(); }
  window.addEventListener("message", function (e) { if (e.data && e.data.fd === "focus") focusIn(); });

  var g = document.createElement("li"); g.id = "greet"; g.className = "msg greet"; list.appendChild(g);
  pending.forEach(function (p) { show({ from: "visitor", cid: p.cid, text: p.text, state: "pending" }); });
  applyLang();
  connect();
  say("ready");
})();
