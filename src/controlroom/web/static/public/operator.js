// The operators' Live Chat page: authenticates its WebSocket with the operator's API token in
// the first frame, shows the queue and alerts, and the chats taken. On a lost connection it
// reconnects and rejoins each chat from the last sequence number it holds.
(function () {
  "use strict";
  var KEY = "controlroom.operator";
  var token = sessionStorage.getItem(KEY + ".token") || "";
  var chats = {};    // chat id -> {held: {seq: msg}, last: n, contact: id}
  var current = null, socket = null, retry = 500, typingTimer = null, lastTyping = 0;
  var $ = function (id) { return document.getElementById(id); };

  function cid() {
    var b = new Uint8Array(12); crypto.getRandomValues(b);
    return "o" + Array.prototype.map.call(b, function (x) { return ("0" + x.toString(16)).slice(-2); }).join("");
  }
  function send(frame) { if (socket && socket.readyState === 1) socket.send(JSON.stringify(frame)); }
  function status(text) { $("op-status").textContent = text; }
  function el(tag, text, cls) { var e = document.createElement(tag); if (text) e.textContent = text; if (cls) e.className = cls; return e; }

  function renderQueue(list) {
    var queue = $("queue"); queue.textContent = "";
    if (!list.length) queue.appendChild(el("li", "Nobody is waiting."));
    list.forEach(function (item) {
      var li = el("li", null, "card");
      li.appendChild(el("p", "#" + item.position + (item.escalated ? " — EMERGENCY" : "") + ": " + item.opening));
      var take = el("button", "Take chat"); take.type = "button";
      take.dataset.chat = item.chat;
      take.addEventListener("click", function () { send({ type: "take", chat: item.chat }); });
      li.appendChild(take); queue.appendChild(li);
    });
  }
  function renderMine() {
    var mine = $("mine"); mine.textContent = "";
    Object.keys(chats).forEach(function (id) {
      var li = el("li"); var b = el("button", "Open " + id + (chats[id].closed ? " (ended)" : ""), "button secondary");
      b.type = "button"; b.addEventListener("click", function () { open(id); });
      li.appendChild(b); mine.appendChild(li);
    });
  }
  function open(id) {
    current = id; $("chat").hidden = false; $("close").hidden = !!chats[id].closed;
    $("chat-title").textContent = "Chat " + id + " (contact " + (chats[id].contact || "?") + ")";
    var log = $("chat-log"); log.textContent = "";
    Object.keys(chats[id].held).map(Number).sort(function (a, b) { return a - b; }).forEach(function (seq) {
      var m = chats[id].held[seq];
      var li = el("li", null, "from-" + (m.from === "operator" ? "visitor" : m.from === "visitor" ? "operator" : "system") + (m.emergency ? " emergency" : ""));
      li.dataset.seq = seq;
      li.appendChild(el("span", m.from === "operator" ? "You" : m.from === "visitor" ? "Visitor" : "Notice", "who"));
      li.appendChild(document.createTextNode(m.text));
      log.appendChild(li);
    });
    log.scrollTop = log.scrollHeight;
  }
  function connect() {
    socket = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/api/chat/ws");
    socket.onopen = function () { retry = 500; send({ type: "auth", token: token }); };
    socket.onmessage = function (event) {
      var f = JSON.parse(event.data);
      if (f.type === "hello") {
        status("Connected as " + f.operator + "."); $("login").hidden = true; $("console").hidden = false;
        Object.keys(chats).forEach(function (id) { if (!chats[id].closed) send({ type: "join", chat: id, after: chats[id].last }); });
      } else if (f.type === "queue") { renderQueue(f.chats); }
      else if (f.type === "joined") {
        chats[f.chat] = chats[f.chat] || { held: {}, last: 0 };
        chats[f.chat].contact = f.contact_id; renderMine(); if (!current || current === f.chat) open(f.chat);
      } else if (f.type === "message") {
        var c = chats[f.chat]; if (!c || c.held[f.seq]) return;
        c.held[f.seq] = f; while (c.held[c.last + 1]) c.last += 1;
        if (current === f.chat) open(f.chat);
      } else if (f.type === "typing") {
        if (current === f.chat) {
          $("typing").textContent = "The visitor is typing…";
          clearTimeout(typingTimer); typingTimer = setTimeout(function () { $("typing").textContent = ""; }, 3000);
        }
      } else if (f.type === "state" && f.state === "closed" || f.type === "closed") {
        if (chats[f.chat]) { chats[f.chat].closed = true; renderMine(); if (current === f.chat) $("close").hidden = true; }
        if (f.type === "closed") status("Chat " + f.chat + " ended: " + f.outcome + (f.reference ? ", report " + f.reference : "") + (f.grade ? ", incident graded " + f.grade : "") + ".");
      } else if (f.type === "alert") {
        var e = f.event, box = el("div", null, "alert999");
        box.setAttribute("role", "alert");
        box.textContent = (e.type === "ChatEscalated" ? "EMERGENCY in live chat " + e.chat_id + ": \u201c" + e.text + "\u201d" : "EMERGENCY in online report " + (e.reference || e.contact_id)) + " — " + e.summary;
        $("alerts").prepend(box);
      } else if (f.type === "error") { status(f.message); if (f.code === "closed") { token = ""; sessionStorage.removeItem(KEY + ".token"); $("login").hidden = false; } }
    };
    socket.onclose = function () {
      if (!token) return;
      status("Connection lost: reconnecting…");
      setTimeout(connect, retry); retry = Math.min(retry * 2, 10000);
    };
  }
  $("login").addEventListener("submit", function (event) {
    event.preventDefault(); token = $("f-token").value.trim(); if (!token) return;
    sessionStorage.setItem(KEY + ".token", token); connect();
  });
  $("send").addEventListener("submit", function (event) {
    event.preventDefault(); var text = $("f-message").value.trim(); if (!text || !current) return;
    send({ type: "message", chat: current, client_id: cid(), text: text }); $("f-message").value = "";
  });
  $("f-message").addEventListener("input", function () {
    var now = Date.now(); if (current && now - lastTyping > 2000) { lastTyping = now; send({ type: "typing", chat: current }); }
  });
  $("close").addEventListener("submit", function (event) {
    event.preventDefault(); if (!current) return;
    var answers = {};
    $("f-answers").value.split("\n").forEach(function (line) { var i = line.indexOf("="); if (i > 0) answers[line.slice(0, i).trim()] = line.slice(i + 1).trim(); });
    send({ type: "close", chat: current, outcome: $("f-outcome").value, grade: $("f-grade").value,
           service_code: $("f-service").value, address: $("f-address").value, answers: answers });
  });
  if (token) connect();
})();
