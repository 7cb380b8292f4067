// Live chat on the contact page: follows the conversation (server-sent events; a browser that
// reconnects resumes after the last message it holds) and sends the operator's messages, each
// with its own id so a message sent twice is stored once. Enter sends; Shift+Enter is a new line.
(function () {
  "use strict";
  function init() {
    const box = document.getElementById("chat");
    if (!box) return;
    const log = document.getElementById("chat-log");
    const status = document.getElementById("chat-status");
    const typing = document.getElementById("chat-typing");
    const problem = document.getElementById("chat-error");
    const form = document.getElementById("chat-send");
    const csrf = document.body.dataset.csrf;
    const held = new Set();
    let typingTimer = 0, lastTyping = 0, ended = false;

    function who(m) {
      if (m.from === "visitor") return "Visitor";
      if (m.from === "operator") return m.operator ? `Operator ${m.operator}` : "Operator";
      return "Notice";
    }
    function show(m) {
      if (held.has(m.seq)) return;
      held.add(m.seq);
      const item = document.createElement("li");
      item.className = `from-${m.from}${m.emergency ? " emergency" : ""}`;
      item.dataset.seq = m.seq;
      const name = document.createElement("span");
      name.className = "who";
      name.textContent = who(m);
      item.append(name, document.createTextNode(m.text)); // text, never HTML
      const later = Array.from(log.children).find((li) => Number(li.dataset.seq) > m.seq);
      log.insertBefore(item, later || null);
      log.scrollTop = log.scrollHeight;
    }
    function setState(state) {
      if (state === "waiting") status.textContent = "The visitor is waiting for an operator.";
      else if (state === "active") status.textContent = "Chat in progress.";
      else if (state === "closed") {
        ended = true;
        status.textContent = "This chat has ended.";
        if (form) form.hidden = true;
      }
    }
    function fail(message) {
      problem.textContent = message;
      problem.hidden = !message;
    }
    function post(url, fields) {
      const body = new URLSearchParams({ csrf: csrf, ...fields });
      return fetch(url, { method: "POST", body: body, credentials: "same-origin" }).then((r) =>
        (r.headers.get("content-type") || "").includes("json")
          ? r.json().then((data) => (r.ok ? data : Promise.reject(data.error || {})))
          : Promise.reject({ message: r.status === 403 ? "Your role may not write in the chat." : "The message was not sent: try again." }));
    }

    const feed = new EventSource(box.dataset.liveUrl);
    feed.addEventListener("chat", (event) => show(JSON.parse(event.data)));
    feed.addEventListener("state", (event) => setState(JSON.parse(event.data).state));
    feed.addEventListener("typing", () => {
      typing.textContent = "The visitor is typing…";
      clearTimeout(typingTimer);
      typingTimer = setTimeout(() => { typing.textContent = ""; }, 3000);
    });
    feed.addEventListener("open", () => { if (!ended && status.textContent.startsWith("Connect")) status.textContent = ""; });
    feed.addEventListener("error", () => {
      if (feed.readyState === EventSource.CLOSED) {
        status.textContent = "No live chat to follow: once a chat has ended its transcript is in the notes.";
      } else if (!ended) {
        status.textContent = "Connection to the chat lost: reconnecting…";
      }
    });

    if (!form) return;
    const field = form.querySelector("textarea");
    function id() {
      const bytes = new Uint8Array(12);
      crypto.getRandomValues(bytes);
      return "h" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    }
    function send(text, clientId, tries) {
      post(box.dataset.messagesUrl, { client_id: clientId, text: text })
        .then((stored) => { fail(""); show(stored); })
        .catch((error) => {
          if (error && error.code) { fail(error.message + (error.hint ? `: ${error.hint}.` : "")); return; }
          if (tries < 3) setTimeout(() => send(text, clientId, tries + 1), 1000 * (tries + 1));
          else fail((error && error.message) || "The message was not sent: try again.");
        });
    }
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      setTimeout(() => { delete form.dataset.sent; }, 0);  // console.js marks sent forms
      const text = field.value.trim();
      if (!text) return;
      send(text, id(), 0);
      field.value = "";
      field.focus();
    });
    field.addEventListener("keydown", (event) => {
      if (event.key !== "Enter" || event.shiftKey || event.isComposing) return;
      event.preventDefault();
      form.requestSubmit();
    });
    field.addEventListener("input", () => {
      const now = Date.now();
      if (now - lastTyping > 2000) { lastTyping = now; post(box.dataset.typingUrl, {}).catch(() => {}); }
    });
    if (box.dataset.focus) field.focus();
  }
  if (document.readyState === "complete") init();
  else document.addEventListener("DOMContentLoaded", init);
})();
