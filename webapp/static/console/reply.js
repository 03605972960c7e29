// Replying: the composer, canned responses, and each reply's delivery state (sending…,
// retrying, delivered, not sent).

import { $, el, formatTime } from "./dom.js";
import { state } from "./state.js";
import { api, conversationPath, showError } from "./api.js";
import { appendToTranscript, lineElement, ownsOpenConversation,
         updateControls } from "./conversation.js";

const RETRY_MAX_MS = 15000;   // longest pause between retries of a reply that could not be posted

// The API's limit on one line, from the queue snapshot (the server checks it anyway).
const maxReply = () => (state.limits ? state.limits.max_message_chars : null);

function newRequestId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

// The customer sees "<name> is typing…" while the agent writes: signalled at most every few
// seconds per conversation (the timing the queue snapshot carries), only by the agent who has
// the conversation.
export function signalTyping() {
  const open = state.open;
  const typing = state.limits && state.limits.typing;
  if (!open || !typing || !ownsOpenConversation() || !$("reply-text").value.trim()) return;
  const now = Date.now();
  const last = state.typingSignalledAt;
  if (last.id === open.id && now - last.at < typing.signal_every_seconds * 1000) return;
  state.typingSignalledAt = { id: open.id, at: now };
  api("POST", conversationPath(open.id, "/typing"), {}).catch(() => {});   // best effort
}

export function sendReply(event) {
  event.preventDefault();
  const open = state.open;
  const input = $("reply-text");
  const text = input.value.trim();
  if (!open || !text || !ownsOpenConversation()) return;
  const limit = maxReply();
  if (limit && text.length > limit) {
    showError(`A message is at most ${limit} characters; this one is ${text.length}.`);
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

export function showPending(message) {
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
export function markDelivered(line) {
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

export function updateCount() {
  const length = $("reply-text").value.length;
  $("reply-count").textContent = maxReply() ? `${length} / ${maxReply()}` : `${length}`;
}

// ---- Canned responses

export async function loadCanned() {
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
