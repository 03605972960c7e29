// One conversation: its story, live lines, and what the agent can do with it.

import { $, describeValue, el, formatScore, formatTime, humanize, joinMeta, num, reasonLine,
         scoreClass, signed } from "./dom.js";
import { agentName, state } from "./state.js";
import { api, conversationPath, RECONNECT_MS, showError } from "./api.js";
import { markOpen } from "./queue.js";
import { hideTransfer } from "./transfer.js";
import { markDelivered, showPending, updateCount } from "./reply.js";
import { drawSentiment, renderTimeline } from "./chart.js";
import { markOnScreenRead, refreshUnread } from "./alerts.js";
import { closeTicket } from "./tickets.js";
import { closeCase, loadEarlier } from "./history.js";

export async function openConversation(conversationId) {
  const seq = ++state.openSeq;
  const view = await api("GET", conversationPath(conversationId));
  if (seq !== state.openSeq || !state.me) return;   // another one was opened meanwhile
  closeConversation();
  closeTicket();
  closeCase();
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
  showConversationView(true);
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
  loadEarlier(conversationId).catch((error) => showError(error.message));
}

export function closeConversation() {
  const open = state.open;
  if (!open) return;
  if (open.feed) open.feed.close();
  state.drafts.set(open.id, $("reply-text").value);
  state.open = null;
  hideCustomerTyping();
  hideTransfer();
  $("conversation").hidden = true;
  $("no-conversation").hidden = false;
  showConversationView(false);
  markOpen();
}

// On a narrow screen the lists and the open conversation are two views (console.css), and a
// conversation opens at the top, so its head is the first thing the agent sees.
function showConversationView(reading) {
  $("app").classList.toggle("app--reading", reading);
  if (reading) window.scrollTo(0, 0);
}

// Re-reads who has the conversation (after claim, transfer, release, or a queue change) and
// updates the header and buttons; the transcript stays, the live feed keeps it current.
export async function refreshStatus() {
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
export function followOpenConversation() {
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

// ---- Transcript

function speaker(line) {
  if (line.from === "customer") return "Customer";
  if (line.from === "agent") return line.agent_name || "Agent";
  return "Pine (bot)";
}

export function lineElement(line) {
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
export function appendToTranscript(node) {
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
  feed.addEventListener("typing", () => { if (state.open === open) showCustomerTyping(); });
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

// The customer is typing: shown for the few seconds the server says after their last signal,
// and gone as soon as their line arrives.
function showCustomerTyping() {
  const typing = state.limits && state.limits.typing;
  if (!typing) return;
  $("customer-typing").hidden = false;
  clearTimeout(state.customerTypingTimer);
  state.customerTypingTimer = setTimeout(hideCustomerTyping, typing.shown_for_seconds * 1000);
}

function hideCustomerTyping() {
  clearTimeout(state.customerTypingTimer);
  $("customer-typing").hidden = true;
}

function appendLine(line) {
  const open = state.open;
  if (line.from === "customer") hideCustomerTyping();
  const turn = open.turns++;
  const sentiment = num(line.sentiment);
  if (line.from === "customer" && sentiment !== null) {
    open.sentiment.push({ turn, sentiment });
    drawSentiment();
  }
  appendToTranscript(lineElement(line));
}

// ---- Enabling what the agent can do now

export function ownsOpenConversation() {
  const view = state.open && state.open.view;
  return !!view && !!state.me && view.status === "with_agent" && view.agent_id === state.me.id;
}

export function updateControls() {
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
