// The customer's chat page. It keeps the conversation id and transcript in the browser, so a
// reload continues the same conversation, and queues messages typed while offline. Every line
// the customer sends shows whether it reached us: "sending…" until the bot's channel
// acknowledges it, "not sent" with a Retry button if it was refused or no answer came.
"use strict";

const STORE = "pinecone-chat";
// How long a line may wait for the channel's acknowledgement before we call it "not sent".
// The channel answers once the bot has taken the line, which includes the bot's reply, so
// this leaves room for a slow action (a shop lookup) without leaving the customer unsure.
const ACK_TIMEOUT_MS = 15000;
// Retrying /api/chat-config: first wait, and the longest, so a restarting server is not
// hammered by every open page, yet the page is back within seconds of the server.
const CONFIG_RETRY_FIRST_MS = 1000;
const CONFIG_RETRY_MAX_MS = 15000;
// The welcome on a fresh conversation and the questions it suggests: each text is one the bot
// was trained on (bot/data/nlu/orders.yml, shipping_and_returns.yml), so it is understood.
const WELCOME = "Hi, I'm Pine, Pinecone Supply's assistant. I can check an order, start a " +
  "return or answer questions about shipping. What can I do for you?";
const SUGGESTIONS = ["Where is my order?", "Return an item", "How much does shipping cost?",
                     "How long does shipping take?"];
// What the header's "Talk to a person" button says for the customer: a request_human example
// from bot/data/nlu/people_and_complaints.yml, so the bot hands over (or says nobody is free).
const ASK_FOR_A_PERSON = "I want to talk to a human";

const saved = JSON.parse(localStorage.getItem(STORE) || "{}");
const state = {
  // Issued by the server with a key that proves the conversation is ours (bot/webchat.py);
  // null until the first connection.
  sessionId: saved.sessionId || null,
  sessionKey: saved.sessionKey || null,
  confirmed: false,                     // the server accepted our session on this connection
  // [{who: "user"|"bot"|"agent"|"notice", text, time?, name?}]; a user line also has an id,
  // the message it sends (a button's payload or the text) and, until it arrived, a state:
  // "pending" or "failed".
  transcript: saved.transcript || [],
  outbox: saved.outbox || [],           // ids of user lines not yet handed to the socket
  handoff: saved.handoff || null,       // {state: "waiting"|"with_agent", text, name?}: the status line
};

const messages = document.getElementById("messages");
const statusBadge = document.getElementById("status");
const connectionNotice = document.getElementById("connection");
const form = document.getElementById("composer");
const input = document.getElementById("text");
const handoffStatus = document.getElementById("handoff-status");
const askForPerson = document.getElementById("ask-for-person");
const typingNotice = document.getElementById("typing");
const lineItems = new Map();            // user line id -> its <li>, to show its state
let socket = null;
// How often our typing is signalled and how long the person's is shown, in ms: from
// /api/chat-config (router/typing_signals.py); null until it has loaded.
let typingTiming = null;
let typingSignalledAt = 0;
let typingHideTimer = null;

function persist() {
  localStorage.setItem(STORE, JSON.stringify({
    sessionId: state.sessionId, sessionKey: state.sessionKey, transcript: state.transcript.slice(-200),
    outbox: state.outbox, handoff: state.handoff,
  }));
}

function newLineId() {
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

function clockTime(ms) {
  const when = new Date(ms);
  const pad = (n) => String(n).padStart(2, "0");
  return `${pad(when.getHours())}:${pad(when.getMinutes())}`;
}

function render(entry) {
  // Customer and bot text always goes in as text, never as HTML.
  const item = document.createElement("li");
  item.className = `message message--${entry.who}`;
  if (entry.name) item.appendChild(span("message__who", entry.name));
  item.appendChild(span("message__text", entry.text));
  const meta = span("message__meta", "");
  if (entry.time) {
    const time = document.createElement("time");
    time.className = "message__time";
    time.dateTime = new Date(entry.time).toISOString();
    time.textContent = clockTime(entry.time);
    meta.appendChild(time);
  }
  item.appendChild(meta);
  if (entry.id) {
    lineItems.set(entry.id, item);
    showLineState(entry);
  }
  messages.appendChild(item);
  messages.scrollTop = messages.scrollHeight;
  return item;
}

function span(className, text) {
  const el = document.createElement("span");
  el.className = className;
  el.textContent = text;
  return el;
}

// A user line's mark: "sending…" while pending, "not sent" and a Retry button when failed.
function showLineState(entry) {
  const item = lineItems.get(entry.id);
  if (!item) return;
  item.classList.toggle("message--pending", entry.state === "pending");
  item.classList.toggle("message--failed", entry.state === "failed");
  const meta = item.querySelector(".message__meta");
  for (const old of meta.querySelectorAll(".message__state, .message__retry")) old.remove();
  if (entry.state === "pending") meta.appendChild(span("message__state", "sending…"));
  if (entry.state === "failed") {
    meta.appendChild(span("message__state", "not sent"));
    const retry = document.createElement("button");
    retry.type = "button";
    retry.className = "message__retry";
    retry.textContent = "Retry";
    retry.addEventListener("click", () => retryLine(entry));
    meta.appendChild(retry);
  }
}

function renderButtons(buttons, className = "buttons") {
  const row = document.createElement("li");
  row.className = className;
  for (const button of buttons) {
    const el = document.createElement("button");
    el.type = "button";
    el.textContent = button.title;
    el.addEventListener("click", () => { row.remove(); send(button.title, button.payload); });
    row.appendChild(el);
  }
  messages.appendChild(row);
  messages.scrollTop = messages.scrollHeight;
  return row;
}

function record(entry) {
  entry.time = Date.now();
  state.transcript.push(entry);
  persist();
  return render(entry);
}

function setStatus(text, kind) {
  statusBadge.textContent = text;
  statusBadge.className = `status status--${kind}`;
}

function send(text, payload) {
  for (const row of messages.querySelectorAll(".suggestions")) row.remove();
  const entry = { who: "user", text, id: newLineId(), message: payload || text, state: "pending" };
  record(entry);
  state.outbox.push(entry.id);
  persist();
  flush();
}

function retryLine(entry) {
  entry.state = "pending";
  state.outbox.push(entry.id);
  persist();
  showLineState(entry);
  flush();
}

function lineById(id) {
  return state.transcript.find((entry) => entry.id === id);
}

// Hands queued lines to the socket, in the order they were typed, once the session is ours.
function flush() {
  while (state.outbox.length && socket && socket.connected && state.confirmed) {
    const entry = lineById(state.outbox.shift());
    if (entry) emitLine(entry);
    persist();
  }
}

// Called only while connected (see flush), so the line goes out now, not from a buffer.
function emitLine(entry) {
  const timer = setTimeout(() => settle(entry, false), ACK_TIMEOUT_MS);
  socket.emit("user_uttered", { message: entry.message }, (answer) => {
    clearTimeout(timer);
    // A late "received" still clears the mark: the line did arrive.
    settle(entry, answer && answer.status === "received");
  });
}

// A refused line stays "not sent"; the bot's explanation arrives as its own line.
function settle(entry, received) {
  if (received) delete entry.state;
  else if (entry.state === "pending") entry.state = "failed";
  persist();
  showLineState(entry);
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

// ---- Typing indicators, both ways, only while a person has the conversation

function signalTyping() {
  if (!socket || !state.confirmed || !typingTiming || !input.value.trim()) return;
  if (!state.handoff || state.handoff.state !== "with_agent") return;
  const now = Date.now();
  if (now - typingSignalledAt < typingTiming.signalEveryMs) return;
  typingSignalledAt = now;
  socket.emit("typing");
}

function showPersonTyping(signal) {
  if (!typingTiming || !signal || !signal.agent_name) return;
  typingNotice.textContent = `${signal.agent_name} is typing…`;
  typingNotice.hidden = false;
  clearTimeout(typingHideTimer);
  typingHideTimer = setTimeout(hidePersonTyping, typingTiming.shownForMs);
}

function hidePersonTyping() {
  clearTimeout(typingHideTimer);
  typingNotice.hidden = true;
}

function onBotMessage(payload) {
  if (!payload) return;
  const metadata = payload.metadata || {};
  if (metadata.agent_name || (metadata.handoff && metadata.handoff.state === "with_bot")) {
    hidePersonTyping();   // their line arrived (or they left)
  }
  followHandoff(metadata);
  // A new place in line updates the status line above the messages; it is not a message
  // (channels without a status line show its text instead).
  if (payload.text && !metadata.status_update) {
    record({ who: metadata.agent_name ? "agent" : "bot", text: payload.text,
             name: metadata.agent_name || undefined, relayId: metadata.relay_id || undefined });
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
  const resumed = state.sessionId === session.session_id;
  state.sessionId = session.session_id;
  state.sessionKey = session.session_key;
  state.confirmed = true;
  persist();
  flush();
  if (resumed) fetchMissedLines().catch(() => {});   // best effort: asked again next time
}

// What a person said while this page was closed (an agent's reply, a ticket's answer): the
// server keeps it; we show the lines we do not have yet, in order.
const MISSED_MARGIN_SECONDS = 300;   // clocks differ: ask a little further back, skip duplicates
async function fetchMissedLines() {
  const times = state.transcript.filter((entry) => entry.time).map((entry) => entry.time);
  const since = times.length ? Math.max(0, Math.max(...times) / 1000 - MISSED_MARGIN_SECONDS) : 0;
  const reply = await fetch("/api/chat/missed", {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ session_id: state.sessionId, session_key: state.sessionKey, since }),
  });
  if (!reply.ok) return;
  const { lines } = await reply.json();
  const have = new Set(state.transcript.map((entry) => entry.relayId).filter(Boolean));
  for (const line of lines || []) {
    if (!line.metadata || have.has(line.metadata.relay_id)) continue;
    onBotMessage(line);
  }
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// Where to connect, asked until our server answers: a page opened while we (or the network)
// are down must come back by itself, not sit offline until the customer reloads.
async function chatConfig() {
  for (let wait = CONFIG_RETRY_FIRST_MS; ; wait = Math.min(wait * 2, CONFIG_RETRY_MAX_MS)) {
    try {
      const reply = await fetch("/api/chat-config");
      if (reply.ok) return await reply.json();
    } catch (error) {
      if (!(error instanceof TypeError)) throw error;  // fetch's network failure is a TypeError
    }
    setStatus("offline", "offline");
    connectionNotice.hidden = false;
    await sleep(wait);
  }
}

async function connect() {
  const config = await chatConfig();
  connectionNotice.hidden = true;
  setStatus("connecting", "connecting");
  // The bot's own limit on one line (router/customer_limits.py), so typing stops where it would.
  if (config.max_message_chars) input.maxLength = config.max_message_chars;
  if (config.typing) {
    typingTiming = { signalEveryMs: config.typing.signal_every_seconds * 1000,
                     shownForMs: config.typing.shown_for_seconds * 1000 };
  }
  // WebSocket only: Rasa's socket listens there, and the page's CSP allows just that origin.
  // Reconnection backs off up to 10 s, so a restarting server is not hammered.
  socket = io(config.socket_url, { transports: ["websocket"], reconnectionDelayMax: 10000 });
  socket.on("connect", () => {
    setStatus("online", "online");
    socket.emit("session_request", { session_id: state.sessionId, session_key: state.sessionKey });
  });
  socket.on("session_confirm", onSessionConfirmed);
  socket.on("bot_uttered", onBotMessage);
  socket.on("agent_typing", showPersonTyping);
  socket.on("disconnect", () => { state.confirmed = false; setStatus("reconnecting", "offline"); });
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const text = input.value.trim();
  if (!text) return;
  input.value = "";
  send(text);
});

input.addEventListener("input", signalTyping);

input.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey) {
    event.preventDefault();
    form.requestSubmit();
  }
});

askForPerson.addEventListener("click", () => send(ASK_FOR_A_PERSON));

// A line handed to the socket when the page closed may or may not have arrived: the customer
// decides whether to send it again.
for (const entry of state.transcript) {
  if (entry.state === "pending" && !state.outbox.includes(entry.id)) entry.state = "failed";
}
for (const entry of state.transcript) render(entry);
showHandoff();
if (!state.transcript.length) record({ who: "bot", text: WELCOME });
if (!state.transcript.some((entry) => entry.who === "user")) {
  renderButtons(SUGGESTIONS.map((title) => ({ title })), "buttons suggestions");
}
connect();
