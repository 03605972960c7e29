// The customer's chat page. It keeps the conversation id and transcript in the browser, so a
// reload continues the same conversation, and queues messages typed while offline.
"use strict";

const STORE = "pinecone-chat";
const saved = JSON.parse(localStorage.getItem(STORE) || "{}");
const state = {
  sessionId: saved.sessionId || (crypto.randomUUID ? crypto.randomUUID().replace(/-/g, "")
    : String(Date.now()) + Math.random().toString(16).slice(2)),
  transcript: saved.transcript || [],   // [{who: "user"|"bot"|"agent"|"notice", text, name?}]
  pending: saved.pending || [],         // messages not yet sent
};

const messages = document.getElementById("messages");
const statusBadge = document.getElementById("status");
const form = document.getElementById("composer");
const input = document.getElementById("text");
let socket = null;

function persist() {
  localStorage.setItem(STORE, JSON.stringify({
    sessionId: state.sessionId, transcript: state.transcript.slice(-200), pending: state.pending,
  }));
}

function render(entry, pending = false) {
  // Customer and bot text always goes in as text, never as HTML.
  const item = document.createElement("li");
  item.className = `message message--${entry.who === "agent" ? "bot" : entry.who}` +
    (pending ? " message--pending" : "");
  if (entry.name) {
    const who = document.createElement("span");
    who.className = "message__who";
    who.textContent = entry.name;
    item.appendChild(who);
  }
  item.appendChild(document.createTextNode(entry.text));
  messages.appendChild(item);
  messages.scrollTop = messages.scrollHeight;
  return item;
}

function renderButtons(buttons) {
  const row = document.createElement("li");
  row.className = "buttons";
  for (const button of buttons) {
    const el = document.createElement("button");
    el.type = "button";
    el.textContent = button.title;
    el.addEventListener("click", () => { row.remove(); send(button.title, button.payload); });
    row.appendChild(el);
  }
  messages.appendChild(row);
  messages.scrollTop = messages.scrollHeight;
}

function record(entry) {
  state.transcript.push(entry);
  persist();
  return render(entry);
}

function setStatus(text, kind) {
  statusBadge.textContent = text;
  statusBadge.className = `status status--${kind}`;
}

function send(text, payload) {
  record({ who: "user", text });
  state.pending.push(payload || text);
  persist();
  flush();
}

function flush() {
  while (state.pending.length && socket && socket.connected) {
    const message = state.pending[0];
    if (!socket.emit("user_uttered", { message, session_id: state.sessionId })) break;
    state.pending.shift();
    persist();
  }
}

function onBotMessage(payload) {
  if (!payload) return;
  const metadata = payload.metadata || {};
  if (payload.text) {
    record({ who: metadata.agent_name ? "agent" : "bot", text: payload.text,
             name: metadata.agent_name || undefined });
  }
  const buttons = payload.quick_replies || payload.buttons;
  if (buttons && buttons.length) renderButtons(buttons);
}

async function connect() {
  const reply = await fetch("/api/chat-config");
  const config = await reply.json();
  socket = new TinySocket(config.socket_url, {
    connect: () => {
      setStatus("online", "online");
      socket.emit("session_request", { session_id: state.sessionId });
    },
    session_confirm: () => flush(),
    bot_uttered: onBotMessage,
    disconnect: () => setStatus("reconnecting", "offline"),
  });
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const text = input.value.trim();
  if (!text) return;
  input.value = "";
  send(text);
});

input.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey) {
    event.preventDefault();
    form.requestSubmit();
  }
});

for (const entry of state.transcript) render(entry);
if (!state.transcript.length) {
  record({ who: "notice", text: "You're chatting with Pine, our assistant. Ask for a person any time." });
}
connect().catch(() => setStatus("offline", "offline"));
