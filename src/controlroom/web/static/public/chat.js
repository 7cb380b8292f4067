// Live Chat for the public. The chat id and its secret live in this tab's sessionStorage (never
// in the URL), so a reload or a lost connection resumes the chat: the page asks for the messages
// after the last sequence number it holds, and resends any message not yet acknowledged under
// the same client id, which the server stores only once.
(function () {
  "use strict";
  var app = document.getElementById("chat-app");
  if (!app) return;
  var KEY = "controlroom.chat";
  var saved = JSON.parse(sessionStorage.getItem(KEY) || "null");
  var held = {};          // seq -> message
  var lastSeq = 0;        // highest contiguous seq held
  var pending = saved && saved.pending ? saved.pending : {}; // client_id -> text, unacknowledged
  var socket = null, retry = 500, closed = false, typingTimer = null, lastTyping = 0;
  var log = document.getElementById("chat-log");
  var status = document.getElementById("chat-status");

  function id() {
    var bytes = new Uint8Array(12);
    crypto.getRandomValues(bytes);
    return "c" + Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }
  function save() {
    if (!saved) return;
    saved.pending = pending;
    sessionStorage.setItem(KEY, JSON.stringify(saved));
  }
  function url() {
    return (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/public/chat/ws";
  }
  function show(message) {
    if (held[message.seq]) return;
    held[message.seq] = message;
    while (held[lastSeq + 1]) lastSeq += 1;
    var item = document.createElement("li");
    item.className = "from-" + message.from + (message.emergency ? " emergency" : "");
    item.dataset.seq = message.seq;
    var who = document.createElement("span");
    who.className = "who";
    who.textContent = message.from === "visitor" ? "You" : message.from === "operator" ? "Operator" : "Notice";
    item.appendChild(who);
    item.appendChild(document.createTextNode(message.text)); // text, never HTML
    var after = null;
    Array.prototype.forEach.call(log.children, function (li) {
      if (!after && Number(li.dataset.seq) > message.seq) after = li;
    });
    log.insertBefore(item, after);
    log.scrollTop = log.scrollHeight;
    if (message.emergency) document.getElementById("alert999").hidden = false;
    if (message.client_id && pending[message.client_id]) { delete pending[message.client_id]; save(); }
  }
  function setStatus(text) { status.textContent = text; }
  function send(frame) { if (socket && socket.readyState === 1) socket.send(JSON.stringify(frame)); }
  function showChat() {
    document.getElementById("start").hidden = true;
    document.getElementById("chat").hidden = false;
  }
  function connect(first) {
    socket = new WebSocket(url());
    socket.onopen = function () {
      retry = 500;
      if (first) send(first);
      else send({ type: "resume", chat: saved.chat, secret: saved.secret, after: lastSeq });
    };
    socket.onmessage = function (event) {
      var frame = JSON.parse(event.data);
      if (frame.type === "joined") {
        if (frame.secret) { saved = { chat: frame.chat, secret: frame.secret, pending: pending }; save(); }
        showChat();
        Object.keys(pending).forEach(function (cid) { send({ type: "message", client_id: cid, text: pending[cid] }); });
        // After a reconnection, replace "reconnecting…" with where the chat is.
        if (frame.state === "closed") setStatus("This chat has ended.");
        else if (frame.state === "active") setStatus("You are chatting with an operator.");
        else if (frame.position) setStatus("You are number " + frame.position + " in the queue. Please wait for an operator.");
        else setStatus("");
      } else if (frame.type === "message") {
        show(frame);
      } else if (frame.type === "ack") {
        delete pending[frame.client_id]; save();
      } else if (frame.type === "position") {
        if (frame.position) setStatus("You are number " + frame.position + " in the queue. Please wait for an operator.");
        else if (status.textContent.indexOf("in the queue") >= 0) setStatus("");  // keep "chatting with an operator"
      } else if (frame.type === "typing") {
        document.getElementById("typing").textContent = "The operator is typing…";
        clearTimeout(typingTimer);
        typingTimer = setTimeout(function () { document.getElementById("typing").textContent = ""; }, 3000);
      } else if (frame.type === "state") {
        if (frame.state === "active") setStatus("You are chatting with an operator.");
        if (frame.state === "closed") { setStatus("This chat has ended."); end(false); }
      } else if (frame.type === "error") {
        if (!saved) {
          var box = document.getElementById("start-error");
          box.textContent = frame.message; box.hidden = false;
          closed = true; socket.close();
        } else if (frame.code === "not_found") {
          sessionStorage.removeItem(KEY); saved = null; closed = true; socket.close();
          setStatus("This chat has ended. Reload the page to start a new one.");
        } else {
          setStatus(frame.message);
        }
      } else if (frame.type === "left") {
        end(true);
      }
    };
    socket.onclose = function () {
      if (closed || !saved) return;
      setStatus("Connection lost: reconnecting…");
      setTimeout(function () { connect(null); }, retry);
      retry = Math.min(retry * 2, 10000);
    };
  }
  function end(leftByMe) {
    closed = true;
    sessionStorage.removeItem(KEY);
    document.getElementById("send").hidden = true;
    document.getElementById("leave").hidden = true;
    if (leftByMe) setStatus("You have ended the chat. If anyone is in danger, call 999.");
    if (socket) socket.close();
  }
  document.getElementById("start").addEventListener("submit", function (event) {
    event.preventDefault();
    var text = document.getElementById("f-first").value.trim();
    if (!text) return;
    closed = false;
    connect({ type: "start", form_token: app.dataset.formToken, client_id: id(), text: text });
  });
  document.getElementById("send").addEventListener("submit", function (event) {
    event.preventDefault();
    var box = document.getElementById("f-message");
    var text = box.value.trim();
    if (!text) return;
    var cid = id();
    pending[cid] = text; save();
    send({ type: "message", client_id: cid, text: text });
    box.value = "";
    box.focus();
  });
  document.getElementById("f-message").addEventListener("input", function () {
    var now = Date.now();
    if (now - lastTyping > 2000) { lastTyping = now; send({ type: "typing" }); }
  });
  document.getElementById("leave").addEventListener("click", function () { send({ type: "leave" }); });
  if (saved && saved.chat) { showChat(); setStatus("Reconnecting…"); connect(null); }
})();
