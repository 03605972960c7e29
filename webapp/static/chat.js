// The customer's chat page. It keeps the conversation id and transcript in the browser, so a
// reload continues the same conversation, and queues messages typed while offline.
"use strict";

const STORE = "pinecone-chat";
const saved = JSON.parse(localStorage.getItem(STORE) || "{}");
const state = {
  // Issued by the server with a key that proves the conversation is ours (bot/webchat.py);
  // null until the first connection.
  sessionId: saved.sessionId || null,
  sessionKey: saved.sessionKey || null,
  confirmed: false,                     // the server accepted our session on this connection
  transcript: saved.transcript || [],   // [{who: "user"|"bot"|"agent"|"notice", text, name?}]
  pending: saved.pending || [],         // messages not yet sent
  handoff: saved.handoff || null,       // {state: "waiting"|"with_agent", text, name?}: the status line
};

const messages = document.getElementById("messages");
const statusBadge = document.getElementById("status");
const form = document.getElementById("composer");
const input = document.getElementById("text");
const handoffStatus = document.getElementById("handoff-status");
let socket = null;

function persist() {
  localStorage.setItem(STORE, JSON.stringify({
    sessionId: state.sessionId, sessionKey: state.sessionKey, transcript: state.transcript.slice(-200), pending: state.pending,
    handoff: state.handoff,
  }));
}

function render(entry, pending = false) {
  // Customer and bot text always goes in as text, never as HTML.
  const item = document.createElement("li");
  item.className = `message message--${entry.who}` +
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
  while (state.pending.length && socket && socket.connected && state.confirmed) {
    const message = state.pending[0];
    if (!socket.emit("user_uttered", { message })) break;
    state.pending.shift();
    persist();
  }
}

// The status line's text for the bot's `queue` metadata: where the customer is in line.
function queueText(queue) {
  const position = Math.max(1, Math.round(Number(queue.position) || 1));
  const minutes = Math.max(0, Math.round(Number(queue.minutes) || 0));
  const place = position === 1 ? "you're next" : `you are number ${position}`;
  const wait = minutes < 1 ? "in less than a minute"
    : `about ${minutes} ${minutes === 1 ? "minute" : "minutes"}`;
  return `A person will be with you shortly: ${place}, ${wait}.`;
}

function showHandoff() {
  handoffStatus.textContent = state.handoff ? state.handoff.text : "";
  handoffStatus.hidden = !state.handoff;
}

function setHandoff(value) {
  state.handoff = value;
  persist();
  showHandoff();
}

function talkingWith(name) {
  setHandoff({ state: "with_agent", name, text: `You're talking with ${name} from our team.` });
}

// A line's metadata says whether the customer waits for a person, talks with one, or is back
// with the bot; the status line above the messages follows it.
function followHandoff(metadata) {
  const handoff = metadata.handoff || {};
  if (metadata.queue) {
    setHandoff({ state: "waiting", text: queueText(metadata.queue) });
  } else if (handoff.state === "waiting") {
    setHandoff({ state: "waiting", text: "Waiting for the next person…" });
  } else if (handoff.state === "with_agent") {
    talkingWith(handoff.agent_name || "a person");
  } else if (handoff.state === "with_bot") {
    // The bot's greeting may come in several bubbles: say it once, on the change.
    const wasWithTeam = state.handoff !== null;
    setHandoff(null);
    if (wasWithTeam) record({ who: "notice", text: "You're back with Pine, our assistant." });
  } else if (metadata.agent_name && (!state.handoff || state.handoff.name !== metadata.agent_name)) {
    // A person's line without a "joined" notice before it (e.g. one missed while offline).
    talkingWith(metadata.agent_name);
  }
}

function onBotMessage(payload) {
  if (!payload) return;
  const metadata = payload.metadata || {};
  followHandoff(metadata);
  if (payload.text) {
    record({ who: metadata.agent_name ? "agent" : "bot", text: payload.text,
             name: metadata.agent_name || undefined });
  }
  const buttons = payload.quick_replies || payload.buttons;
  if (buttons && buttons.length) renderButtons(buttons);
}

function onSessionConfirmed(session) {
  if (!session || !session.session_id) return;
  if (state.sessionId && state.sessionId !== session.session_id) {
    // The server could not continue the old conversation (e.g. its key was lost).
    record({ who: "notice", text: "This is a new conversation: earlier messages above stay here for you to read." });
    setHandoff(null);
  }
  state.sessionId = session.session_id;
  state.sessionKey = session.session_key;
  state.confirmed = true;
  persist();
  flush();
}

async function connect() {
  const reply = await fetch("/api/chat-config");
  const config = await reply.json();
  // The bot's own limit on one line (router/customer_limits.py), so typing stops where it would.
  if (config.max_message_chars) input.maxLength = config.max_message_chars;
  socket = new TinySocket(config.socket_url, {
    connect: () => {
      setStatus("online", "online");
      socket.emit("session_request", { session_id: state.sessionId, session_key: state.sessionKey });
    },
    session_confirm: onSessionConfirmed,
    bot_uttered: onBotMessage,
    disconnect: () => { state.confirmed = false; setStatus("reconnecting", "offline"); },
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
showHandoff();
if (!state.transcript.length) {
  record({ who: "notice", text: "You're chatting with Pine, our assistant. Ask for a person any time." });
}
connect().catch(() => setStatus("offline", "offline"));
