// The agents' console: sign in, watch the queue live, claim a conversation, read its whole
// story and talk to the customer through the bot.
//
// Plain DOM code with no dependencies, because the page is served with
// `Content-Security-Policy: default-src 'self'`. Every piece of text that comes from a
// customer, an agent or the API goes in with textContent, never as HTML.
"use strict";

const HEARTBEAT_MS = 15000;   // the server hands an agent's conversations back after 60 s without one
const RECONNECT_MS = 3000;    // pause before reopening a live feed the server refused
const RETRY_MAX_MS = 15000;   // longest pause between retries of a reply that could not be posted
const MAX_REPLY = 2000;       // the API's limit on one message
const ROLES = ["agent", "admin"];
const MAX_CAPACITY = 20;      // the most conversations an agent can hold at once (server: 1-20)
const SVG_NS = "http://www.w3.org/2000/svg";
const TONE_HZ = 880;          // the alert sound: one short, clear beep
const TONE_SECONDS = 0.18;
const TONE_VOLUME = 0.2;      // quiet enough not to startle someone on a headset

const $ = (id) => document.getElementById(id);
const BASE_TITLE = document.title;   // unread and waiting counts go in front of it

const state = {
  me: null,               // the signed-in agent, as /api/me and the queue snapshot describe them
  snapshot: null,         // the latest queue snapshot
  snapshotAt: 0,          // when it arrived (performance.now()), so wait times tick locally
  timers: [],             // heartbeat and clock, stopped on sign-out
  queueFeed: null,        // EventSource of queue snapshots
  agents: [],             // the team, for the transfer picker
  open: null,             // the conversation on screen (see openConversation)
  openSeq: 0,             // so a slow, older "open" request cannot replace a newer one
  drafts: new Map(),      // conversation id -> unsent text in the reply box
  outgoing: new Map(),    // request_id -> reply not yet seen delivered
  read: {},               // conversation id -> its customer lines the agent has seen (stored)
  alerts: { sound: false, desktop: false },   // the agent's choices (stored), off by default
  heard: null,            // what the last snapshot held, to tell what is new in the next
  arrivedWhileHidden: false,   // customers joined the queue since the tab was last looked at
  audio: null,            // AudioContext, made once sound is on
};

// ---------------------------------------------------------------------------------------
// Talking to the API

class ApiError extends Error {
  constructor(message, status = 0) {
    super(message);
    this.status = status;   // 0: the request never got an answer
  }

  get network() { return this.status === 0; }
}

async function api(method, path, body) {
  const options = { method, credentials: "same-origin", headers: { Accept: "application/json" } };
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  let reply;
  try {
    reply = await fetch(path, options);
  } catch (_networkError) {
    throw new ApiError("Can't reach the server. Check your connection; the console keeps trying.");
  }
  const data = await reply.json().catch(() => ({}));
  if (reply.ok) return data;
  const error = new ApiError(data.error || `${reply.status} ${reply.statusText}`, reply.status);
  // A session that ended (expired, or signed out in another tab) leads back to the sign-in.
  if (reply.status === 401 && state.me && !path.startsWith("/api/auth/")) {
    sessionLost("Your session has ended: please sign in again.");
  }
  throw error;
}

const conversationPath = (id, rest = "") => `/api/conversations/${encodeURIComponent(id)}${rest}`;

// ---------------------------------------------------------------------------------------
// Small helpers for building the page and formatting values

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

function svg(tag, attributes = {}, className = "") {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  if (className) node.setAttribute("class", className);
  return node;
}

// Clicks and Enter/Space on a focusable list item, so the lists work from the keyboard too.
function onActivate(node, handler) {
  node.tabIndex = 0;
  node.addEventListener("click", handler);
  node.addEventListener("keydown", (event) => {
    if ((event.key === "Enter" || event.key === " ") && event.target === node) {
      event.preventDefault();
      handler();
    }
  });
}

// A number from the API, or null when it is missing (so 0 is not confused with "unknown").
function num(value) {
  if (value === null || value === undefined || value === "") return null;
  const number = Number(value);
  return Number.isFinite(number) ? number : null;
}

const signed = (value) => (value > 0 ? "+" : value < 0 ? "−" : "") + Math.abs(value).toFixed(2);
const humanize = (name) => (name ? String(name).replace(/_/g, " ") : "");
const plural = (count, one, many) => `${count} ${count === 1 ? one : many}`;

function formatWait(seconds) {
  const whole = Math.max(0, Math.floor(seconds));
  const pad = (n) => String(n).padStart(2, "0");
  return `${pad(Math.floor(whole / 60))}:${pad(whole % 60)}`;
}

function formatScore(score) {
  const value = num(score);
  return value === null ? "–" : value.toFixed(2);
}

// Matches the scorer's thresholds: 0.3 flags a turn, 0.6 hands off.
function scoreClass(score) {
  const value = num(score) || 0;
  return value >= 0.6 ? "score score--high" : value >= 0.3 ? "score score--concern" : "score";
}

function formatTime(timestamp) {
  const seconds = num(timestamp);
  if (!seconds) return "";
  return new Date(seconds * 1000).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

function describeValue(value) {
  if (value === null || value === undefined) return "";
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

function agentName(agentId) {
  const people = (state.snapshot && state.snapshot.team) || state.agents;
  const found = people.find((agent) => agent.id === agentId);
  return found ? found.name : agentId;
}

// ---------------------------------------------------------------------------------------
// Errors and button actions

function showError(message) {
  $("error-text").textContent = message;
  $("error").hidden = false;
}

function hideError() {
  $("error").hidden = true;
}

// Runs what a button does: its error goes to the banner, and the button is disabled meanwhile
// so a double click cannot claim or resolve twice.
async function act(button, action) {
  if (button) button.disabled = true;
  try {
    hideError();
    await action();
  } catch (error) {
    showError(error.message);
  } finally {
    if (button) button.disabled = false;
    updateControls();
  }
}

// ---------------------------------------------------------------------------------------
// Signing in and out, heartbeat and presence

function showLogin(message) {
  $("app").hidden = true;
  $("login").hidden = false;
  setLoginError(message);
  $("login-id").focus();
}

function setLoginError(message) {
  $("login-error").textContent = message || "";
  $("login-error").hidden = !message;
}

async function signIn(event) {
  event.preventDefault();
  const button = $("login-form").querySelector("button[type=submit]");
  button.disabled = true;
  setLoginError("");
  try {
    const reply = await api("POST", "/api/auth/login", {
      agent_id: $("login-id").value.trim(), password: $("login-password").value });
    $("login-password").value = "";
    startSession(reply.agent, 0);
    // Signing in means ready to help: online agents are the ones the queue offers customers to.
    await act($("presence"), () => changePresence("online"));
  } catch (error) {
    setLoginError(error.message);
  } finally {
    button.disabled = false;
  }
}

function startSession(agent, conversationCount) {
  hideError();
  state.me = { ...agent, conversationCount };
  loadAlertSettings();
  $("login").hidden = true;
  $("app").hidden = false;
  renderMe();
  heartbeat();
  state.timers.push(setInterval(heartbeat, HEARTBEAT_MS), setInterval(tick, 1000));
  openQueueFeed();
  loadCanned().catch((error) => showError(error.message));
  loadAgents().catch((error) => showError(error.message));
}

function stopSession() {
  state.timers.forEach(clearInterval);
  state.timers = [];
  if (state.queueFeed) state.queueFeed.close();
  state.queueFeed = null;
  closeConversation();
  closeTeamAdmin();
  $("new-agent-form").reset();
  $("manage-team").hidden = true;
  state.me = null;
  state.snapshot = null;
  state.outgoing.clear();
  state.drafts.clear();
  state.read = {};
  state.heard = null;
  state.arrivedWhileHidden = false;
  updateTitle();
}

function sessionLost(message) {
  stopSession();
  showLogin(message);
}

async function signOut() {
  await api("POST", "/api/auth/logout", {});
  stopSession();
  showLogin("");
}

// Without a heartbeat for a minute the server gives this agent's conversations to others.
async function heartbeat() {
  try {
    const reply = await api("POST", "/api/me/heartbeat", {});
    setPresence(reply.presence);
  } catch (error) {
    if (error.status !== 401) showError(`Could not tell the server you're here: ${error.message}`);
  }
}

async function changePresence(wanted) {
  const reply = await api("POST", "/api/me/presence", { presence: wanted });
  setPresence(reply.presence);
}

function setPresence(presence) {
  if (!state.me || !presence) return;
  state.me.presence = presence;
  renderMe();
}

function renderMe() {
  const me = state.me;
  if (!me) return;
  $("me-name").textContent = me.name;
  $("me-role").textContent = me.role;
  const button = $("presence");
  button.dataset.presence = me.presence || "offline";
  button.textContent = me.presence || "offline";
  button.setAttribute("aria-label", `Presence: ${me.presence}. Click to switch.`);
  const count = state.snapshot ? state.snapshot.mine.length : me.conversationCount || 0;
  const capacity = $("capacity");
  capacity.textContent = `${count} / ${me.capacity} conversations`;
  capacity.classList.toggle("capacity--full", count >= me.capacity);
  // Team management is for admins; a role taken away meanwhile closes it.
  $("manage-team").hidden = !isAdmin();
  if (!isAdmin()) closeTeamAdmin();
}

// ---------------------------------------------------------------------------------------
// The live queue

function openQueueFeed() {
  if (state.queueFeed) state.queueFeed.close();
  const feed = new EventSource("/api/queue/events");
  feed.addEventListener("queue", (event) => onSnapshot(JSON.parse(event.data)));
  feed.onopen = () => setLive(true);
  feed.onerror = () => {
    setLive(false);
    // After a dropped connection EventSource retries by itself. It gives up (CLOSED) only when
    // the server answered with an error, e.g. because the session ended: find out which.
    if (feed.readyState === EventSource.CLOSED) setTimeout(() => recoverQueueFeed(feed), RECONNECT_MS);
  };
  state.queueFeed = feed;
}

async function recoverQueueFeed(feed) {
  if (state.queueFeed !== feed) return;   // signed out or reopened meanwhile
  try {
    await api("GET", "/api/me");          // a 401 here leads to the sign-in form
    if (state.queueFeed === feed) openQueueFeed();
  } catch (error) {
    if (error.status !== 401) setTimeout(() => recoverQueueFeed(feed), RECONNECT_MS);
  }
}

function setLive(on) {
  const badge = $("live");
  badge.textContent = on ? "live" : "reconnecting";
  badge.className = `live live--${on ? "on" : "off"}`;
}

function onSnapshot(snapshot) {
  if (!state.me) return;
  state.snapshot = snapshot;
  state.snapshotAt = performance.now();
  // The team list is read afresh for every snapshot, so it has our current presence.
  const meNow = (snapshot.team || []).find((agent) => agent.id === state.me.id) || snapshot.me;
  if (meNow) state.me = { ...state.me, ...meNow };
  alertAboutNews(snapshot);
  markOnScreenRead();
  renderMe();
  renderQueue(snapshot.waiting || []);
  renderMine(snapshot.mine || []);
  updateTitle();
  renderTeam(snapshot.team || []);
  followOpenConversation();
}

function renderQueue(waiting) {
  $("queue").replaceChildren(...waiting.map(queueItem));
  $("queue-count").textContent = waiting.length;
  $("queue-empty").hidden = waiting.length > 0;
  tick();
  markOpen();
}

function queueItem(entry) {
  const item = el("li", "queue-item");
  item.dataset.conversationId = entry.conversation_id;

  const top = el("div", "queue-item__top");
  top.append(el("span", "position", `#${entry.position}`));
  const wait = el("span", "wait");
  wait.dataset.waitingSeconds = num(entry.waiting_seconds) || 0;
  wait.title = "Waiting for (mm:ss)";
  top.append(wait);
  const score = el("span", scoreClass(entry.score), `frustration ${formatScore(entry.score)}`);
  score.title = "Frustration score when handed off (0 calm, 1 very frustrated)";
  top.append(score);
  const priority = num(entry.customer_priority) || 0;
  if (priority > 0) top.append(el("span", "priority", priority >= 2 ? "urgent" : "high priority"));
  const claim = el("button", "button button--primary claim", "Claim");
  claim.type = "button";
  claim.addEventListener("click", (event) => {
    event.stopPropagation();   // claiming also opens it; no need for the item's own click
    claimConversation(entry.conversation_id, claim);
  });
  top.append(claim);

  item.append(top, reasonLine(entry.reason_sentence || entry.reason),
             el("p", "item-meta", joinMeta([entry.channel_name || entry.channel,
                                            entry.team && `team ${entry.team}`])));
  item.append(...summaryLines(entry.summary));
  onActivate(item, () => act(null, () => openConversation(entry.conversation_id)));
  return item;
}

// Why the bot handed off can be long: two lines here, all of it on hover and in the summary.
function reasonLine(reason) {
  const line = el("p", "item-reason", reason || "");
  if (reason) line.title = reason;
  return line;
}

function joinMeta(parts) {
  return parts.filter(Boolean).join(" · ");
}

function summaryLines(summary) {
  const lines = [];
  if (summary && summary.customer_wants) {
    lines.push(el("p", "item-wants", `Wants: ${humanize(summary.customer_wants)}`));
  }
  if (summary && summary.first_message) {
    lines.push(el("p", "item-first", `“${summary.first_message}”`));
  }
  return lines;
}

// Wait times count up between snapshots, from the last snapshot's waiting_seconds.
function tick() {
  const elapsed = (performance.now() - state.snapshotAt) / 1000;
  for (const node of document.querySelectorAll("#queue .wait")) {
    node.textContent = formatWait(Number(node.dataset.waitingSeconds) + elapsed);
  }
}

function renderMine(mine) {
  $("mine").replaceChildren(...mine.map((entry) => {
    const item = el("li", "mine-item");
    item.dataset.conversationId = entry.conversation_id;
    const wants = entry.summary && entry.summary.customer_wants;
    item.append(el("p", "item-wants", wants ? humanize(wants) : entry.conversation_id),
                reasonLine(entry.reason_sentence || entry.reason),
                el("p", "item-meta", entry.channel_name || entry.channel || ""));
    const unread = unreadLines(entry);
    item.classList.toggle("has-unread", unread > 0);
    if (unread > 0) item.prepend(unreadBadge(unread));
    onActivate(item, () => act(null, () => openConversation(entry.conversation_id)));
    return item;
  }));
  $("mine-empty").hidden = mine.length > 0;
  markOpen();
}

function renderTeam(team) {
  $("team").replaceChildren(...team.map((agent) => {
    const item = el("li");
    const dot = el("span", `dot dot--${agent.presence}`);
    dot.title = agent.presence;
    const name = agent.id === (state.me && state.me.id) ? `${agent.name} (you)` : agent.name;
    item.append(dot, el("span", "", name), el("span", "hint", agent.presence),
                el("span", "load", `${agent.conversations} / ${agent.capacity}`));
    return item;
  }));
}

// Highlights the open conversation wherever it is listed.
function markOpen() {
  const openId = state.open && state.open.id;
  for (const item of document.querySelectorAll(".queue-item, .mine-item")) {
    item.classList.toggle("is-open", item.dataset.conversationId === openId);
  }
}

function claimConversation(conversationId, button) {
  return act(button, async () => {
    const reply = await api("POST", "/api/queue/claim",
                            conversationId ? { conversation_id: conversationId } : {});
    await openConversation(reply.conversation_id);
  });
}

// ---------------------------------------------------------------------------------------
// One conversation: its story, live lines, and what the agent can do with it

async function openConversation(conversationId) {
  const seq = ++state.openSeq;
  const view = await api("GET", conversationPath(conversationId));
  if (seq !== state.openSeq || !state.me) return;   // another one was opened meanwhile
  closeConversation();
  state.open = {
    id: conversationId,
    view,
    feed: null,
    seen: new Set(),                    // feed ids on screen, so no line shows twice
    lastId: view.feed_last_id || "0",   // where the live feed continues from
    turns: 0,                           // lines in the transcript (sentiment turns index them)
    sentiment: [...(view.sentiment || [])],
  };
  $("no-conversation").hidden = true;
  $("conversation").hidden = false;
  $("reply-text").value = state.drafts.get(conversationId) || "";
  updateCount();
  renderHead(view);
  renderSummary(view);
  renderTranscript(view.transcript || []);
  drawSentiment();
  renderTimeline(view.timeline || []);
  renderSlots(view.slots || {});
  updateControls();
  markOpen();
  openConversationFeed();
  markOnScreenRead();
  refreshUnread();
}

function closeConversation() {
  const open = state.open;
  if (!open) return;
  if (open.feed) open.feed.close();
  state.drafts.set(open.id, $("reply-text").value);
  state.open = null;
  hideTransfer();
  $("conversation").hidden = true;
  $("no-conversation").hidden = false;
  markOpen();
}

// Re-reads who has the conversation (after claim, transfer, release, or a queue change) and
// updates the header and buttons; the transcript stays, the live feed keeps it current.
async function refreshStatus() {
  const open = state.open;
  if (!open) return;
  const view = await api("GET", conversationPath(open.id));
  if (state.open !== open) return;
  open.view = view;
  renderHead(view);
  updateControls();
}

// A queue snapshot can show that the open conversation moved (someone else claimed it, it
// was transferred to us, our connection was lost): then the header needs a fresh look.
function followOpenConversation() {
  const open = state.open;
  if (!open || !state.snapshot) return;
  const { waiting = [], mine = [] } = state.snapshot;
  const isWaiting = waiting.some((entry) => entry.conversation_id === open.id);
  const isMine = mine.some((entry) => entry.conversation_id === open.id);
  const shownWaiting = open.view.status === "waiting";
  const shownMine = open.view.status === "with_agent" && open.view.agent_id === state.me.id;
  if (isWaiting !== shownWaiting || isMine !== shownMine) {
    refreshStatus().catch((error) => showError(error.message));
  }
}

function statusText(view) {
  if (view.status === "waiting") return "waiting in the queue";
  if (view.status === "with_bot") return "back with the bot";
  if (view.agent_id === (state.me && state.me.id)) return "with you";
  return `with ${agentName(view.agent_id)}`;
}

function renderHead(view) {
  const wants = view.summary && view.summary.customer_wants;
  $("conv-title").textContent = wants ? `Customer wants: ${humanize(wants)}` : "Conversation";
  const meta = $("conv-meta");
  meta.replaceChildren(el("span", `status-pill status-pill--${view.status}`, statusText(view)));
  const score = view.assessment && view.assessment.score;
  meta.append(el("span", scoreClass(score), `frustration ${formatScore(score)}`));
  const priority = num(view.customer_priority) || 0;
  if (priority > 0) meta.append(el("span", "priority", priority >= 2 ? "urgent" : "high priority"));
  meta.append(el("span", "", joinMeta([view.channel && `on ${view.channel_name || view.channel}`,
    view.team && `team ${view.team}`])));
  meta.append(el("span", "hint", `id ${view.conversation_id}`));
  $("conv-reason").replaceChildren(reasonLine(view.reason_sentence || view.reason));
}

function renderSummary(view) {
  const summary = view.summary || {};
  const list = $("summary");
  list.replaceChildren();
  const add = (label, content) => {
    const value = el("dd");
    if (content instanceof Node) value.append(content); else value.textContent = content || "–";
    list.append(el("dt", "", label), value);
  };
  add("Customer wants", humanize(summary.customer_wants));
  add("First message", summary.first_message);
  add("Bot tried", bulletList((summary.bot_tried || [])
    .map((response) => humanize(String(response).replace(/^utter_/, "")))));
  add("Known facts", bulletList(Object.entries(summary.known_facts || {})
    .map(([name, value]) => `${humanize(name)}: ${describeValue(value)}`)));
  // In a sentence (router/plain_words.py); the scorer's own wording is in the timeline.
  const why = view.reason_sentence || (view.assessment && view.assessment.handoff_reason);
  if (why) add("Why a person", why);
}

function bulletList(items) {
  if (!items.length) return "–";
  const list = el("ul");
  list.append(...items.map((item) => el("li", "", item)));
  return list;
}

// ---- Transcript

function speaker(line) {
  if (line.from === "customer") return "Customer";
  if (line.from === "agent") return line.agent_name || "Agent";
  return "Pine (bot)";
}

function lineElement(line) {
  const from = ["customer", "bot", "agent"].includes(line.from) ? line.from : "bot";
  const node = el("li", `line line--${from}`);
  if (line.id) node.dataset.feedId = line.id;
  if (line.relay_id) node.dataset.relayId = line.relay_id;
  if (line.assessment && line.assessment.handoff) node.classList.add("line--handoff");
  const head = el("div", "line__head");
  head.append(el("span", "line__who", speaker(line)), el("time", "line__time", formatTime(line.timestamp)));
  node.append(head, el("p", "line__text", line.text || ""));
  const meta = from === "customer" ? customerMeta(line) : "";
  if (meta) node.append(el("div", "line__meta", meta));
  if (line.undelivered) {
    node.classList.add("line--failed");
    node.append(el("div", "line__status", `not delivered: ${line.undelivered}`));
  }
  return node;
}

// What the bot understood of a customer line: intent, how sure, and the mood.
function customerMeta(line) {
  const parts = [];
  const confidence = num(line.confidence);
  if (line.intent) {
    const what = line.intent_phrase || line.intent;
    parts.push(what + (confidence === null ? "" : ` (${Math.round(confidence * 100)}% sure)`));
  }
  const sentiment = num(line.sentiment);
  if (sentiment !== null) parts.push(`sentiment ${signed(sentiment)}`);
  return parts.join(" · ");
}

function renderTranscript(lines) {
  const open = state.open;
  const list = $("transcript");
  list.replaceChildren();
  for (const line of lines) {
    if (line.id) open.seen.add(line.id);
    // A reply we were still waiting on that is in the story now has been delivered.
    if (line.relay_id) state.outgoing.delete(line.relay_id);
    list.append(lineElement(line));
  }
  open.turns = lines.length;
  // Replies still on their way to this customer stay visible as "sending…".
  for (const message of state.outgoing.values()) {
    if (message.conversationId === open.id) message.node = showPending(message);
  }
  list.scrollTop = list.scrollHeight;
}

// Lines go in story order; replies still "sending…" stay below them all, as they have not
// reached the customer yet.
function appendToTranscript(node) {
  const list = $("transcript");
  const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 60;
  const pending = node.classList.contains("line--pending");
  list.insertBefore(node, pending ? null : list.querySelector(".line--pending"));
  // Keep following new lines, unless the agent scrolled up to read.
  if (atBottom) list.scrollTop = list.scrollHeight;
}

// ---- Live lines

function openConversationFeed() {
  const open = state.open;
  const feed = new EventSource(conversationPath(open.id,
    `/events?after=${encodeURIComponent(open.lastId)}`));
  feed.addEventListener("line", (event) => { if (state.open === open) onLiveLine(event); });
  feed.onerror = () => {
    // EventSource resumes by itself (sending Last-Event-ID) after a dropped connection; if the
    // server refused, check the session, then reopen from the last line we have.
    if (feed.readyState !== EventSource.CLOSED) return;
    setTimeout(() => {
      if (state.open !== open || open.feed !== feed) return;
      api("GET", "/api/me").then(() => {
        if (state.open === open && open.feed === feed) openConversationFeed();
      }).catch(() => {});
    }, RECONNECT_MS);
  };
  open.feed = feed;
}

function onLiveLine(event) {
  const open = state.open;
  const id = event.lastEventId;
  if (id) {
    if (open.seen.has(id)) return;
    open.seen.add(id);
    open.lastId = id;
  }
  const line = { ...JSON.parse(event.data), id: id || null };
  if (line.relay_id && markDelivered(line)) return;
  appendLine(line);
}

function appendLine(line) {
  const open = state.open;
  const turn = open.turns++;
  const sentiment = num(line.sentiment);
  if (line.from === "customer" && sentiment !== null) {
    open.sentiment.push({ turn, sentiment });
    drawSentiment();
  }
  appendToTranscript(lineElement(line));
}

// ---- Replying

function newRequestId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function sendReply(event) {
  event.preventDefault();
  const open = state.open;
  const input = $("reply-text");
  const text = input.value.trim();
  if (!open || !text || !ownsOpenConversation()) return;
  if (text.length > MAX_REPLY) {
    showError(`A message is at most ${MAX_REPLY} characters; this one is ${text.length}.`);
    return;
  }
  // The request id makes the POST safe to repeat: the server relays it once however often
  // it arrives, and the delivered line carries it back as relay_id.
  const message = { requestId: newRequestId(), conversationId: open.id, text, delay: 1000,
                    delivered: false, node: null };
  state.outgoing.set(message.requestId, message);
  message.node = showPending(message);
  input.value = "";
  state.drafts.delete(open.id);
  updateCount();
  postReply(message);
}

function showPending(message) {
  const node = lineElement({ from: "agent", text: message.text, agent_name: state.me.name,
                             timestamp: Date.now() / 1000, relay_id: message.requestId });
  node.classList.add("line--pending");
  node.append(el("div", "line__status", message.status || "sending…"));
  appendToTranscript(node);
  return node;
}

async function postReply(message) {
  if (message.delivered || !state.outgoing.has(message.requestId)) return;
  try {
    await api("POST", conversationPath(message.conversationId, "/messages"),
              { text: message.text, request_id: message.requestId });
    setReplyStatus(message, "sending…");   // accepted; "delivered" once the customer has it
  } catch (error) {
    if (error.network || error.status >= 502) {
      // Nothing is lost by asking again with the same request id.
      setReplyStatus(message, "connection problem, retrying…");
      setTimeout(() => postReply(message), message.delay);
      message.delay = Math.min(message.delay * 2, RETRY_MAX_MS);
    } else {
      replyFailed(message, error.message);
    }
  }
}

function setReplyStatus(message, text) {
  if (message.delivered) return;
  message.status = text;
  const status = message.node && message.node.querySelector(".line__status");
  if (status) status.textContent = text;
}

function replyFailed(message, reason) {
  state.outgoing.delete(message.requestId);
  setReplyStatus(message, `not sent: ${reason}`);
  if (message.node) {
    message.node.classList.remove("line--pending");
    message.node.classList.add("line--failed");
  }
  showError(reason);
  // Give the text back, so the agent need not type it again.
  const input = $("reply-text");
  if (state.open && state.open.id === message.conversationId && !input.value) {
    input.value = message.text;
    updateCount();
  }
}

// The relay saw our reply reach the customer: turn the "sending…" line into the real one.
// Returns false when that line is not on screen, so the caller shows the line normally.
function markDelivered(line) {
  const message = state.outgoing.get(line.relay_id);
  if (!message) return false;
  state.outgoing.delete(line.relay_id);
  message.delivered = true;
  const node = message.node;
  if (!node || !node.isConnected || !state.open || state.open.id !== message.conversationId) {
    return false;
  }
  state.open.turns++;
  node.classList.remove("line--pending", "line--failed");
  appendToTranscript(node);   // moves it to where the customer saw it
  if (line.id) node.dataset.feedId = line.id;
  node.querySelector(".line__time").textContent = formatTime(line.timestamp);
  // Recorded is not received: some channels cannot take a line sent later.
  if (line.undelivered) node.classList.add("line--failed");
  node.querySelector(".line__status").textContent =
    line.undelivered ? `not delivered: ${line.undelivered}` : "delivered";
  return true;
}

function updateCount() {
  const length = $("reply-text").value.length;
  $("reply-count").textContent = `${length} / ${MAX_REPLY}`;
}

// ---- Canned responses

async function loadCanned() {
  const reply = await api("GET", "/api/canned-responses");
  $("canned").replaceChildren(...(reply.responses || []).map((response) => {
    const button = el("button", "", response.title);
    button.type = "button";
    button.title = response.text;
    button.addEventListener("click", () => insertReply(response.text));
    return button;
  }));
  updateControls();
}

// Puts the text where the cursor is (replacing a selection), to be edited before sending.
function insertReply(text) {
  const input = $("reply-text");
  if (input.disabled) return;
  input.focus();
  input.setRangeText(text, input.selectionStart, input.selectionEnd, "end");
  updateCount();
}

// ---- Transfer, resolve, hand back

async function loadAgents() {
  const reply = await api("GET", "/api/agents");
  state.agents = reply.agents || [];
}

async function showTransfer() {
  await loadAgents();   // fresh presence, so the picker shows who can take it now
  const select = $("transfer-target");
  const people = el("optgroup");
  people.label = "A person";
  for (const agent of state.agents) {
    if (agent.id === state.me.id) continue;
    const option = el("option", "", `${agent.name} (${agent.presence})`);
    option.value = `agent:${agent.id}`;
    people.append(option);
  }
  const teams = el("optgroup");
  teams.label = "A team's queue";
  const names = [...new Set(state.agents.flatMap((agent) => agent.teams || []))].sort();
  for (const name of names) {
    const option = el("option", "", name);
    option.value = `team:${name}`;
    teams.append(option);
  }
  select.replaceChildren(...[people, teams].filter((group) => group.children.length));
  if (!select.options.length) throw new ApiError("There is nobody else to transfer to.");
  $("transfer-form").hidden = false;
  select.focus();
}

function hideTransfer() {
  $("transfer-form").hidden = true;
}

async function transfer() {
  const value = $("transfer-target").value;
  const split = value.indexOf(":");
  const kind = value.slice(0, split);
  const target = value.slice(split + 1);
  await api("POST", conversationPath(state.open.id, "/transfer"),
            kind === "agent" ? { to_agent: target } : { to_team: target });
  hideTransfer();
  await refreshStatus();
}

// Resolve or hand back: either way the bot takes over again and greets the customer.
async function release(action) {
  await api("POST", conversationPath(state.open.id, `/${action}`), {});
  hideTransfer();
  await refreshStatus();
}

// ---- Enabling what the agent can do now

function ownsOpenConversation() {
  const view = state.open && state.open.view;
  return !!view && !!state.me && view.status === "with_agent" && view.agent_id === state.me.id;
}

function updateControls() {
  const view = state.open && state.open.view;
  const mine = ownsOpenConversation();
  // An admin may move or release anyone's conversation; agents only their own.
  const manageable = !!view && (mine || (state.me && state.me.role === "admin" && view.status !== "with_bot"));
  $("claim-conversation").hidden = !view || view.status !== "waiting";
  for (const id of ["transfer", "resolve", "hand-back"]) $(id).disabled = !manageable;
  $("reply-text").disabled = !mine;
  $("reply-send").disabled = !mine;
  for (const button of $("canned").querySelectorAll("button")) button.disabled = !mine;
  $("reply-hint").textContent = !view || mine ? ""
    : view.status === "waiting" ? "Claim this conversation to reply."
    : view.status === "with_bot" ? "The bot has this conversation again."
    : "Another agent has this conversation.";
}

// ---- Sentiment chart and assessment timeline

// Bars per customer turn from the zero line, in [-1, 1], joined by a line to show the trend.
function drawSentiment() {
  const chart = $("sentiment-chart");
  chart.replaceChildren();
  const width = 300, height = 110, left = 26, right = 8, top = 8, bottom = 8;
  const y = (value) => top + ((1 - Math.max(-1, Math.min(1, value))) / 2) * (height - top - bottom);
  for (const [value, label] of [[1, "+1"], [0, "0"], [-1, "−1"]]) {
    chart.append(svg("line", { x1: left, x2: width - right, y1: y(value), y2: y(value) },
                     value === 0 ? "chart__zero" : "chart__axis"));
    const text = svg("text", { x: 2, y: y(value) + 3 }, "chart__label");
    text.textContent = label;
    chart.append(text);
  }
  const points = state.open ? state.open.sentiment.filter((p) => num(p.sentiment) !== null) : [];
  if (!points.length) {
    const text = svg("text", { x: width / 2, y: height / 2 - 6, "text-anchor": "middle" }, "chart__label");
    text.textContent = "No customer turns scored yet";
    chart.append(text);
    return;
  }
  const step = (width - left - right) / points.length;
  const barWidth = Math.max(2, Math.min(18, step * 0.6));
  const coordinates = points.map((point, index) => [left + step * (index + 0.5), num(point.sentiment)]);
  for (const [index, [x, value]] of coordinates.entries()) {
    const bar = svg("rect", { x: x - barWidth / 2, y: Math.min(y(value), y(0)), width: barWidth,
                              height: Math.max(1, Math.abs(y(value) - y(0))) },
                    value >= 0 ? "chart__bar--up" : "chart__bar--down");
    const title = svg("title");
    title.textContent = `Message ${points[index].message || points[index].turn + 1}: ${signed(value)}`;
    bar.append(title);
    chart.append(bar);
  }
  chart.append(svg("polyline", { points: coordinates.map(([x, v]) => `${x},${y(v)}`).join(" ") },
                   "chart__line"));
  for (const [x, value] of coordinates) chart.append(svg("circle", { cx: x, cy: y(value), r: 2.5 }, "chart__point"));
}

function renderTimeline(timeline) {
  const list = $("timeline");
  if (!timeline.length) {
    list.replaceChildren(el("li", "empty", "No turns were assessed."));
    return;
  }
  list.replaceChildren(...timeline.map((turn) => {
    const item = el("li", turn.handoff ? "is-handoff" : "");
    const head = el("div", "timeline__head");
    head.append(el("strong", "", `Message ${turn.message || turn.turn + 1}`),
                el("span", scoreClass(turn.score), `score ${formatScore(turn.score)}`));
    if (turn.handoff) head.append(el("span", "priority", "handed off"));
    item.append(head, el("p", "timeline__text", `“${turn.text || ""}”`));
    const signals = Object.entries(turn.signals || {}).sort((a, b) => b[1] - a[1]);
    if (signals.length) {
      const chips = el("ul", "signals");
      chips.append(...signals.map(([name, value]) => el("li", "", `${humanize(name)} ${signed(num(value) || 0)}`)));
      item.append(chips);
    }
    if ((turn.reasons || []).length) {
      const reasons = el("ul", "reasons");
      reasons.append(...turn.reasons.map((reason) => el("li", "", reason)));
      item.append(reasons);
    }
    return item;
  }));
}

function renderSlots(slots) {
  const body = $("slots").tBodies[0];
  const entries = Object.entries(slots).filter(([, value]) => value !== null && value !== "");
  if (!entries.length) {
    const row = el("tr");
    row.append(el("td", "empty", "Nothing collected."));
    body.replaceChildren(row);
    return;
  }
  body.replaceChildren(...entries.map(([name, value]) => {
    const row = el("tr");
    row.append(el("th", "", humanize(name)), el("td", "", describeValue(value)));
    return row;
  }));
}

// ---------------------------------------------------------------------------------------
// Managing the team (admins only): create accounts; change role, capacity, teams, password;
// lift a sign-in lock; disable and enable accounts.
//
// The server refuses all of this to other agents (403); the console does not even offer it.
// It lives in a modal dialog, so its errors and confirmations are shown inside it.

const isAdmin = () => !!state.me && state.me.role === "admin";
const agentPath = (id) => `/api/agents/${encodeURIComponent(id)}`;

// "billing, returns, ," -> ["billing", "returns"]
function parseTeams(text) {
  return [...new Set(String(text).split(",").map((team) => team.trim()).filter(Boolean))];
}

function setMessage(node, message) {
  node.textContent = message || "";
  node.hidden = !message;
}

function teamAdminMessages(error, notice) {
  setMessage($("team-admin-error"), error);
  setMessage($("team-admin-notice"), notice);
}

// Like act(), but the error is shown in the dialog (the banner is behind it).
async function adminAct(button, action, errorNode = $("team-admin-error")) {
  if (button) button.disabled = true;
  teamAdminMessages("", "");
  setMessage($("new-agent-error"), "");
  try {
    await action();
  } catch (error) {
    setMessage(errorNode, error.message);
  } finally {
    if (button && button.isConnected) button.disabled = false;
  }
}

function openTeamAdmin() {
  if (!isAdmin()) return;
  const dialog = $("team-admin");
  $("accounts").tBodies[0].replaceChildren();
  if (!dialog.open) dialog.showModal();
  adminAct(null, () => refreshAccounts());
  showDeadLetters();
}

// Customer lines Redis refused to store in a conversation's feed: rare, and worth knowing of,
// since an agent did not see them in the live story (Rasa's tracker still has them).
async function showDeadLetters() {
  const notice = $("dead-letters");
  try {
    const { count, lines } = await api("GET", "/api/admin/dead-letters?limit=5");
    notice.hidden = !count;
    if (!count) return;
    const which = lines.map((line) => line.conversation_id).join(", ");
    notice.textContent = `${count} customer ${count === 1 ? "line" : "lines"} could not be ` +
      `shown in the live story (most recent in: ${which}). Details: /api/admin/dead-letters.`;
  } catch (_error) {
    notice.hidden = true;
  }
}

function closeTeamAdmin() {
  const dialog = $("team-admin");
  if (dialog.open) dialog.close();
}

// Whatever was typed and not saved stays when the list is read again, except what was just
// saved (saved: { id, fields }), which shows as the server has it now.
async function refreshAccounts(saved = null) {
  const edits = unsavedEdits(saved);
  await loadAgents();
  if (!$("team-admin").open || !isAdmin()) return;
  renderAccounts(edits);
}

function unsavedEdits(saved) {
  const edits = new Map();
  for (const row of $("accounts").tBodies[0].rows) {
    const fields = {};
    for (const control of row.querySelectorAll("[data-field]")) {
      const name = control.dataset.field;
      if (saved && saved.id === row.dataset.agentId && saved.fields.includes(name)) continue;
      if (control.value !== control.dataset.original) fields[name] = control.value;
    }
    if (Object.keys(fields).length) edits.set(row.dataset.agentId, fields);
  }
  return edits;
}

function renderAccounts(edits = new Map()) {
  $("accounts").tBodies[0].replaceChildren(...state.agents.map((agent) => {
    const row = accountRow(agent);
    for (const [name, value] of Object.entries(edits.get(agent.id) || {})) {
      const control = row.querySelector(`[data-field="${name}"]`);
      if (control && !control.disabled) control.value = value;
    }
    markChanged(row, agent);
    return row;
  }));
  const teams = [...new Set(state.agents.flatMap((agent) => agent.teams || []))].sort();
  $("known-teams").textContent = teams.length ? `Teams in use: ${teams.join(", ")}.` : "";
}

function field(control, name, original, label) {
  control.dataset.field = name;
  control.dataset.original = original;
  control.value = original;
  control.setAttribute("aria-label", label);
  return control;
}

function accountRow(agent) {
  const row = el("tr", "agent-row");
  row.dataset.agentId = agent.id;
  const you = agent.id === state.me.id;

  const who = el("td", "agent-row__who");
  const name = el("div", "agent-row__name");
  const dot = el("span", `dot dot--${agent.presence}`);
  dot.title = agent.presence;
  name.append(dot, el("span", "", you ? `${agent.name} (you)` : agent.name));
  const status = [agent.id, agent.presence];
  if (agent.disabled) status.push("disabled");
  if (agent.locked) status.push("locked out");
  who.append(name, el("div", "hint", status.join(" · ")));
  row.classList.toggle("is-disabled", !!agent.disabled);

  const role = el("select", "agent-role");
  for (const value of ROLES) {
    const option = el("option", "", value);
    option.value = value;
    role.append(option);
  }
  field(role, "role", agent.role, `Role of ${agent.name}`);
  if (you) {
    // Demoting yourself would lock you out of this page, and could leave no admin at all.
    role.disabled = true;
    role.title = "You can't change your own role: another admin can.";
  }

  const capacity = field(el("input", "agent-capacity"), "capacity", String(agent.capacity),
                         `Capacity of ${agent.name}`);
  Object.assign(capacity, { type: "number", min: 1, max: MAX_CAPACITY, step: 1 });
  capacity.value = String(agent.capacity);   // setting the type may have cleared it

  const teams = field(el("input", "agent-teams"), "teams", (agent.teams || []).join(", "),
                      `Teams of ${agent.name}, comma-separated`);
  teams.maxLength = 400;
  teams.placeholder = "any team";

  const save = el("button", "button button--primary button--small agent-save", "Save");
  save.type = "button";
  save.addEventListener("click", () => adminAct(save, () => saveAccount(row, agent)));
  for (const control of [role, capacity, teams]) {
    control.addEventListener("input", () => markChanged(row, agent));
    control.addEventListener("change", () => markChanged(row, agent));
    control.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !save.disabled) {
        event.preventDefault();
        save.click();
      }
    });
  }

  // A small form of its own, so Enter in the field sets the password.
  const passwordForm = el("form", "agent-password-form");
  passwordForm.autocomplete = "off";
  const password = field(el("input", "agent-password"), "password", "",
                         `New password for ${agent.name}`);
  // No length here: the server says what a password needs when it refuses one.
  Object.assign(password, { type: "password", maxLength: 200, autocomplete: "new-password",
                            placeholder: "a few uncommon words" });
  const setPassword = el("button", "button button--small agent-set-password", "Set password");
  setPassword.type = "submit";
  passwordForm.append(password, setPassword);
  passwordForm.addEventListener("submit", (event) => {
    event.preventDefault();
    adminAct(setPassword, () => changePassword(agent, password));
  });

  const cells = [who, role, capacity, teams, save, passwordForm, signInControls(agent, you)]
    .map((content, index) => {
      if (index === 0) return content;
      const cell = el("td");
      cell.append(content);
      return cell;
    });
  row.append(...cells);
  return row;
}

// Unlock (after too many wrong passwords) and Disable / Enable, next to each account.
function signInControls(agent, you) {
  const box = el("div", "agent-sign-in");
  const unlock = el("button", "button button--small agent-unlock", "Unlock");
  unlock.type = "button";
  unlock.disabled = !agent.locked;
  unlock.title = agent.locked ? `Let ${agent.name} try to sign in again, from anywhere.`
                              : "Not locked out.";
  unlock.addEventListener("click", () => adminAct(unlock, () => unlockAccount(agent)));

  const toggle = el("button", "button button--small agent-disable",
                    agent.disabled ? "Enable" : "Disable");
  toggle.type = "button";
  if (you) {
    // Disabling yourself would sign you out of this page, and could leave no admin at all.
    toggle.disabled = true;
    toggle.title = "You can't disable your own account: another admin can.";
  } else {
    toggle.title = agent.disabled ? `${agent.name} may sign in again.`
      : `${agent.name} is signed out at once; their conversations go back to the queue.`;
  }
  toggle.addEventListener("click",
    () => adminAct(toggle, () => setDisabled(agent, !agent.disabled)));
  box.append(unlock, toggle);
  return box;
}

// Only the fields that differ from the account as listed.
function rowChanges(row, agent) {
  const changes = {};
  const role = row.querySelector(".agent-role").value;
  if (role !== agent.role) changes.role = role;
  const capacityText = row.querySelector(".agent-capacity").value.trim();
  const capacity = capacityText === "" ? NaN : Number(capacityText);
  if (capacity !== agent.capacity) changes.capacity = capacity;
  const teams = parseTeams(row.querySelector(".agent-teams").value);
  if (teams.join("\n") !== (agent.teams || []).join("\n")) changes.teams = teams;
  return changes;
}

function markChanged(row, agent) {
  const changed = Object.keys(rowChanges(row, agent)).length > 0;
  row.classList.toggle("is-changed", changed);
  row.querySelector(".agent-save").disabled = !changed;
}

async function saveAccount(row, agent) {
  const changes = rowChanges(row, agent);
  const fields = Object.keys(changes);
  if (!fields.length) return;
  if ("capacity" in changes && !Number.isInteger(changes.capacity)) {
    throw new ApiError(`Capacity is a whole number of conversations, 1-${MAX_CAPACITY}.`);
  }
  const reply = await api("PATCH", agentPath(agent.id), changes);
  accountChanged(reply.agent);
  setMessage($("team-admin-notice"), `Saved ${reply.agent.name}'s ${fields.join(", ")}.`);
  await refreshAccounts({ id: agent.id, fields });
}

async function changePassword(agent, input) {
  if (!input.value) throw new ApiError(`Type the new password for ${agent.name} first.`);
  const reply = await api("PATCH", agentPath(agent.id), { password: input.value });
  input.value = "";
  setMessage($("team-admin-notice"), `${reply.agent.name} has a new password.`);
  await refreshAccounts({ id: agent.id, fields: ["password"] });
}

async function unlockAccount(agent) {
  await api("POST", `${agentPath(agent.id)}/unlock`, {});
  setMessage($("team-admin-notice"), `${agent.name} can sign in again.`);
  await refreshAccounts();
}

async function setDisabled(agent, disabled) {
  const reply = await api("PATCH", agentPath(agent.id), { disabled });
  setMessage($("team-admin-notice"), disabled
    ? `${reply.agent.name} is disabled and signed out.`
    : `${reply.agent.name} is enabled again.`);
  await refreshAccounts();
}

async function createAccount() {
  const reply = await api("POST", "/api/agents", {
    id: $("new-agent-id").value.trim(),
    name: $("new-agent-name").value.trim(),
    password: $("new-agent-password").value,
    role: $("new-agent-role").value,
    capacity: Number($("new-agent-capacity").value),
    teams: parseTeams($("new-agent-teams").value),
  });
  $("new-agent-form").reset();
  setMessage($("team-admin-notice"), `Created ${reply.agent.name} (${reply.agent.id}).`);
  await refreshAccounts();
}

// Our own account changed (capacity, teams): the header shows it at once.
function accountChanged(agent) {
  if (!agent || !state.me || agent.id !== state.me.id) return;
  state.me = { ...state.me, ...agent };
  renderMe();
}

// ---------------------------------------------------------------------------------------
// Never missing a customer: unread marks, the tab title, and (if the agent wants them) a
// sound and desktop notifications. What was read and the choices are kept per agent in
// localStorage, so they survive a reload.

const storageKey = (what) => `pinecone.console.${state.me.id}.${what}`;

// A stored value, or `fallback` when there is none, it is not JSON, or storage is blocked
// (private windows): the console then works without remembering.
function stored(what, fallback) {
  try {
    const raw = localStorage.getItem(storageKey(what));
    return raw === null ? fallback : JSON.parse(raw);
  } catch (_unreadable) {
    return fallback;
  }
}

function store(what, value) {
  try {
    localStorage.setItem(storageKey(what), JSON.stringify(value));
  } catch (_blocked) {
    // Full or blocked storage: the marks last until a reload, which is the best we can do.
  }
}

function loadAlertSettings() {
  const read = stored("read", {});
  state.read = {};
  if (read && typeof read === "object" && !Array.isArray(read)) {
    for (const [id, count] of Object.entries(read)) {
      if (Number.isInteger(count) && count >= 0) state.read[id] = count;
    }
  }
  const alerts = stored("alerts", {});
  state.alerts = { sound: !!(alerts && alerts.sound === true),
                   desktop: !!(alerts && alerts.desktop === true) && notificationsAllowed() };
  $("alert-sound").checked = state.alerts.sound;
  $("alert-desktop").checked = state.alerts.desktop;
}

// Customer lines since the agent last had the conversation on screen.
function unreadLines(entry) {
  return Math.max(0, (num(entry.customer_lines) || 0) - (state.read[entry.conversation_id] || 0));
}

function unreadBadge(count) {
  const badge = el("span", "unread", count > 99 ? "99+" : count);
  badge.title = plural(count, "unread customer message", "unread customer messages");
  badge.setAttribute("aria-label", badge.title);
  return badge;
}

// The open conversation is on screen only while the tab is visible: lines that arrive while
// the agent is in another tab stay unread until they come back.
function onScreen(conversationId) {
  return !!state.open && state.open.id === conversationId && document.visibilityState === "visible";
}

function markOnScreenRead() {
  if (!state.snapshot) return;
  const read = {};
  for (const entry of state.snapshot.mine || []) {   // forgets conversations no longer ours
    const id = entry.conversation_id;
    const lines = num(entry.customer_lines) || 0;
    const had = state.read[id] || 0;
    // The count starts again at a new handoff: more read than there are lines is from before.
    read[id] = onScreen(id) ? lines : had > lines ? 0 : had;
  }
  state.read = read;
  store("read", read);
}

function refreshUnread() {
  if (state.snapshot) renderMine(state.snapshot.mine || []);
  updateTitle();
}

function totalUnread() {
  const mine = (state.snapshot && state.snapshot.mine) || [];
  return mine.reduce((total, entry) => total + unreadLines(entry), 0);
}

function updateTitle() {
  const unread = state.me ? totalUnread() : 0;
  const waiting = state.me && state.arrivedWhileHidden && state.snapshot
    ? (state.snapshot.waiting || []).length : 0;
  document.title = [unread > 0 ? `(${unread})` : "", waiting > 0 ? `${waiting} waiting ·` : "",
                    BASE_TITLE].filter(Boolean).join(" ");
}

function onVisibilityChange() {
  if (document.visibilityState !== "visible" || !state.me) return;
  state.arrivedWhileHidden = false;
  markOnScreenRead();
  refreshUnread();
}

// Compares a snapshot with the one before: customers new in the queue, and new customer lines
// in our conversations that are not on screen. The first snapshot only sets the baseline.
function alertAboutNews(snapshot) {
  const waiting = snapshot.waiting || [];
  const mine = snapshot.mine || [];
  const before = state.heard;
  state.heard = {
    waiting: new Set(waiting.map((entry) => entry.conversation_id)),
    lines: new Map(mine.map((entry) => [entry.conversation_id, num(entry.customer_lines) || 0])),
  };
  if (!before) return;
  const arrivals = waiting.filter((entry) => !before.waiting.has(entry.conversation_id));
  const written = mine.filter((entry) => !onScreen(entry.conversation_id) &&
    (num(entry.customer_lines) || 0) > (before.lines.get(entry.conversation_id) || 0));
  if (arrivals.length && document.visibilityState !== "visible") state.arrivedWhileHidden = true;
  for (const entry of arrivals) {
    notify(`New customer waiting (${waiting.length} in the queue)`, entry, entry.reason);
  }
  for (const entry of written) notify("A customer wrote to you", entry, "New message");
  if (arrivals.length || written.length) beep();
}

function notificationsAllowed() {
  return "Notification" in window && Notification.permission === "granted";
}

// A desktop notification when the console is not in front of the agent (when it is, the
// badges and the queue already show it). It never carries what the customer wrote: it can
// show on a shared screen.
function notify(title, entry, detail) {
  if (!state.alerts.desktop || !notificationsAllowed() || document.hasFocus()) return;
  const wants = entry.summary && entry.summary.customer_wants;
  const notice = new Notification(title, { body: wants ? `Wants: ${humanize(wants)}` : detail || "",
                                           tag: `pinecone-${entry.conversation_id}` });
  notice.onclick = () => {
    window.focus();
    notice.close();
    act(null, () => openConversation(entry.conversation_id));
  };
}

function beep() {
  if (!state.alerts.sound || !state.audio) return;
  const audio = state.audio;
  const tone = audio.createOscillator();
  const volume = audio.createGain();
  const end = audio.currentTime + TONE_SECONDS;
  tone.frequency.value = TONE_HZ;
  volume.gain.setValueAtTime(TONE_VOLUME, audio.currentTime);
  volume.gain.exponentialRampToValueAtTime(0.001, end);   // fades out instead of clicking
  tone.connect(volume).connect(audio.destination);
  tone.start();
  tone.stop(end);
}

// Browsers only let a page make sound after the person did something on it: the audio is
// set up (or woken) on the click that turns sound on, or on the first click after a reload.
function wakeAudio() {
  if (!state.alerts.sound) return;
  const Context = window.AudioContext || window.webkitAudioContext;
  if (!Context) return;
  if (!state.audio) state.audio = new Context();
  if (state.audio.state === "suspended") state.audio.resume().catch(() => {});
}

function toggleSound() {
  state.alerts.sound = $("alert-sound").checked;
  store("alerts", state.alerts);
  wakeAudio();
  beep();   // so the agent hears what it sounds like (and that it works)
}

async function toggleDesktop() {
  const box = $("alert-desktop");
  if (box.checked && !("Notification" in window)) {
    box.checked = false;
    throw new Error("This browser cannot show desktop notifications; try the sound instead.");
  }
  if (box.checked && Notification.permission !== "granted") {
    const answer = await Notification.requestPermission();
    if (answer !== "granted") {
      box.checked = false;
      throw new Error("The browser blocks notifications for this page: allow them in the " +
                      "site settings (the icon left of the address), then turn this on again.");
    }
  }
  state.alerts.desktop = box.checked;
  store("alerts", state.alerts);
}

// ---------------------------------------------------------------------------------------
// Wiring

function wire() {
  $("login-form").addEventListener("submit", signIn);
  $("error-close").addEventListener("click", hideError);
  $("sign-out").addEventListener("click", () => act($("sign-out"), signOut));
  $("presence").addEventListener("click", () => act($("presence"),
    () => changePresence(state.me.presence === "online" ? "away" : "online")));
  $("take-next").addEventListener("click", () => claimConversation(null, $("take-next")));
  $("claim-conversation").addEventListener("click",
    () => claimConversation(state.open.id, $("claim-conversation")));
  $("transfer").addEventListener("click", () => act($("transfer"), showTransfer));
  $("transfer-cancel").addEventListener("click", hideTransfer);
  $("transfer-form").addEventListener("submit", (event) => {
    event.preventDefault();
    act(event.submitter, transfer);
  });
  $("resolve").addEventListener("click", () => act($("resolve"), () => release("resolve")));
  $("hand-back").addEventListener("click", () => act($("hand-back"), () => release("hand-back")));
  $("close-conversation").addEventListener("click", closeConversation);
  $("reply-form").addEventListener("submit", sendReply);
  $("manage-team").addEventListener("click", openTeamAdmin);
  $("team-admin-close").addEventListener("click", closeTeamAdmin);
  $("team-admin").addEventListener("close", () => { $("new-agent-password").value = ""; });
  $("new-agent-form").addEventListener("submit", (event) => {
    event.preventDefault();
    adminAct($("new-agent-form").querySelector("button[type=submit]"), createAccount,
             $("new-agent-error"));
  });
  $("alert-sound").addEventListener("change", toggleSound);
  $("alert-desktop").addEventListener("change", () => act(null, toggleDesktop));
  document.addEventListener("visibilitychange", onVisibilityChange);
  document.addEventListener("pointerdown", wakeAudio);
  $("reply-text").addEventListener("input", updateCount);
  $("reply-text").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      $("reply-form").requestSubmit();
    }
  });
}

async function boot() {
  wire();
  try {
    const reply = await api("GET", "/api/me");
    startSession(reply.agent, (reply.conversations || []).length);
  } catch (error) {
    showLogin(error.status === 401 ? "" : error.message);
  }
}

boot();
