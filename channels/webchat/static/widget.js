/* Frontdesk chat launcher: <script src="https://HUB/widget.js" data-site="KEY" async></script>
   Adds a button that opens the chat in an iframe served by the hub. No cookies, no globals
   besides a guard flag. */
(function () {
  "use strict";
  var me = document.currentScript || document.querySelector("script[data-site][src*='widget.js']");
  if (!me || window.__frontdeskChat) return;
  window.__frontdeskChat = 1;
  var site = me.getAttribute("data-site") || "", hub = new URL(me.src, location.href).origin;
  var lang = /^en/i.test(navigator.language || "") ? "en" : /^fr/i.test(navigator.language || "") ? "fr" : "";
  var T = lang === "en" ? { open: "Open the chat", close: "Close the chat", frame: "Chat" } :
    { open: "Ouvrir le chat", close: "Fermer le chat", frame: "Chat" };
  var key = "fdchat:" + site, frame = null, opened = false, unread = 0;
  var btn = document.createElement("button"), badge = document.createElement("span");
  btn.type = "button";
  btn.setAttribute("aria-expanded", "false");
  btn.setAttribute("aria-label", T.open);
  btn.innerHTML = '<svg width="28" height="28" viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path fill="currentColor" d="M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z"/></svg>';
  css(btn, { position: "fixed", right: "20px", bottom: "20px", width: "56px", height: "56px", borderRadius: "50%",
    border: "2px solid #fff", background: "#1d4ed8", color: "#fff", cursor: "pointer", zIndex: "2147483000",
    boxShadow: "0 2px 10px rgba(0,0,0,.3)", display: "flex", alignItems: "center", justifyContent: "center", padding: "0" });
  css(badge, { position: "absolute", top: "-4px", right: "-4px", minWidth: "20px", height: "20px", borderRadius: "10px",
    background: "#b42318", color: "#fff", font: "bold 12px/20px sans-serif", display: "none", padding: "0 4px" });
  btn.appendChild(badge);
  function css(el, s) { for (var k in s) el.style[k] = s[k]; }
  function chatURL() { return hub + "/chat?site=" + encodeURIComponent(site) + (lang ? "&lang=" + lang : ""); }
  function make() {
    if (frame) return frame;
    frame = document.createElement("iframe");
    frame.src = chatURL();
    frame.title = T.frame;
    frame.id = "frontdesk-chat-" + site;
    frame.setAttribute("allow", "clipboard-write");
    css(frame, { position: "fixed", right: "20px", bottom: "88px", width: "min(380px, calc(100vw - 24px))",
      height: "min(600px, calc(100vh - 110px))", border: "1px solid #d0d7de", borderRadius: "12px",
      boxShadow: "0 6px 24px rgba(0,0,0,.25)", background: "#fff", zIndex: "2147483000", display: "none" });
    btn.setAttribute("aria-controls", frame.id);
    document.body.appendChild(frame);
    return frame;
  }
  function setBadge(n) { unread = n; badge.textContent = n > 9 ? "9+" : String(n); badge.style.display = n ? "block" : "none";
    btn.setAttribute("aria-label", T.open + (n ? " (" + n + ")" : "")); }
  function open() {
    make().style.display = "block"; opened = true; setBadge(0);
    btn.setAttribute("aria-expanded", "true"); btn.setAttribute("aria-label", T.close);
    frame.focus();
    post("focus");
  }
  function close() {
    if (frame) frame.style.display = "none";
    opened = false; btn.setAttribute("aria-expanded", "false"); btn.setAttribute("aria-label", T.open); btn.focus();
  }
  function post(what) { if (frame && frame.contentWindow) frame.contentWindow.postMessage({ fd: what }, hub); }
  btn.addEventListener("click", function () { opened ? close() : open(); });
  window.addEventListener("message", function (e) {
    if (e.origin !== hub || !e.data || e.source !== (frame && frame.contentWindow)) return;
    switch (e.data.fd) {
      case "close": close(); break;
      case "ready": if (opened) post("focus"); break;
      case "agent": if (!opened) setBadge(unread + 1); break;
      case "active": try { localStorage.setItem(key, "1"); } catch (x) {} break;
    }
  });
  function start() {
    document.body.appendChild(btn);
    try { if (localStorage.getItem(key)) make(); } catch (x) {}
    var x = new XMLHttpRequest();
    x.open("GET", hub + "/chat/site.json?site=" + encodeURIComponent(site));
    x.onload = function () {
      try { var s = JSON.parse(x.responseText); if (s.accent) { btn.style.background = s.accent; btn.style.color = s.on_accent; } } catch (e) {}
    };
    x.send();
  }
  if (document.body) start(); else document.addEventListener("DOMContentLoaded", start);
})();
