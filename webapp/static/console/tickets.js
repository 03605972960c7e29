// Tickets: messages customers left when nobody could take over. The sidebar lists them by
// status (open first, the oldest first); opening one shows the message, where the answer is
// mailed, the whole story, and the answer box.
//
// The list is kept fresh by asking again every TICKETS_POLL_MS while signed in (tickets
// arrive without a live feed), and at once after this agent answers, closes or adds an email.

import { $, el, joinMeta, onActivate, plural } from "./dom.js";
import { agentName, state } from "./state.js";
import { act, api, showError } from "./api.js";
import { closeConversation, lineElement } from "./conversation.js";
import { closeCase } from "./history.js";

const TICKETS_POLL_MS = 15000;
const PREVIEW_WORDS = 12;      // how much of the message a list item shows (all of it on hover)

const ticketPath = (reference, rest = "") => `/api/tickets/${encodeURIComponent(reference)}${rest}`;

// ---- The list

export function startTickets() {
  loadAnswerLimit().catch((error) => showError(error.message));
  refreshTickets();
  state.timers.push(setInterval(refreshTickets, TICKETS_POLL_MS));
}

// The answer's limit is the API's (the same as a customer's message): served, not copied.
async function loadAnswerLimit() {
  const config = await api("GET", "/api/chat-config");
  state.tickets.maxChars = config.max_message_chars;
  $("ticket-answer-text").maxLength = config.max_message_chars;
  updateAnswerCount();
}

export function refreshTickets() {
  return loadTickets().catch((error) => showError(error.message));
}

async function loadTickets() {
  if (!state.me) return;
  const status = state.tickets.status;
  const reply = await api("GET", `/api/tickets?status=${encodeURIComponent(status)}`);
  if (status !== state.tickets.status || !state.me) return;   // another tab was chosen meanwhile
  $("tickets").replaceChildren(...(reply.tickets || []).map(ticketItem));
  $("tickets-count").textContent = reply.count;
  $("tickets-empty").hidden = reply.tickets.length > 0;
  $("tickets-empty").textContent = `No ${status} tickets.`;
  markOpenTicket();
}

export function chooseStatus(status) {
  state.tickets.status = status;
  for (const tab of document.querySelectorAll(".ticket-tab")) {
    tab.setAttribute("aria-pressed", String(tab.dataset.status === status));
  }
  $("tickets").replaceChildren();
  refreshTickets();
}

function ticketItem(ticket) {
  const item = el("li", "ticket-item");
  item.dataset.reference = ticket.reference;
  const top = el("div", "queue-item__top");
  top.append(el("span", "position", ticket.reference),
             el("span", "wait", formatAge(ticket.created_at)),
             el("span", ticket.email ? "has-email" : "no-email",
                ticket.email ? "email" : "no email"));
  const preview = el("p", "item-first", firstWords(ticket.message) || "(no message)");
  preview.title = ticket.message || "";
  item.append(top, preview);
  onActivate(item, () => act(null, () => openTicket(ticket.reference)));
  return item;
}

function firstWords(message) {
  const words = (message || "").split(/\s+/).filter(Boolean);
  const shown = words.slice(0, PREVIEW_WORDS).join(" ");
  return words.length > PREVIEW_WORDS ? `${shown}…` : shown;
}

// "5 min ago", "3 h ago", "2 d ago": how long the customer has been waiting for an answer.
export function formatAge(createdAt, now = Date.now() / 1000) {
  const minutes = Math.max(0, Math.floor((now - Number(createdAt)) / 60));
  if (minutes < 1) return "just now";
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.floor(minutes / 60);
  return hours < 24 ? `${hours} h ago` : `${Math.floor(hours / 24)} d ago`;
}

function markOpenTicket() {
  const open = state.tickets.open && state.tickets.open.reference;
  for (const item of $("tickets").children) {
    item.classList.toggle("is-open", item.dataset.reference === open);
  }
}

// ---- One ticket

export async function openTicket(reference) {
  const reply = await api("GET", ticketPath(reference));
  closeConversation();
  closeCase();
  showTicket(reply.ticket);
  $("ticket-outcome").hidden = true;
  $("ticket-answer-text").value = "";
  updateAnswerCount();
  $("no-conversation").hidden = true;
  $("ticket").hidden = false;
  $("app").classList.add("app--reading");   // narrow screens: the ticket instead of the lists
  window.scrollTo(0, 0);
}

export function closeTicket() {
  if (!state.tickets.open) return;
  state.tickets.open = null;
  $("ticket").hidden = true;
  $("no-conversation").hidden = false;
  $("app").classList.remove("app--reading");
  markOpenTicket();
}

function showTicket(ticket) {
  state.tickets.open = ticket;
  $("ticket-title").textContent = `Ticket ${ticket.reference}`;
  $("ticket-meta").replaceChildren(
    el("span", `status-pill status-pill--ticket-${ticket.status}`, ticket.status),
    el("span", "", joinMeta([`left ${formatAge(ticket.created_at)}`,
                             ticket.closed_by && `closed by ${agentName(ticket.closed_by)}`])));
  $("ticket-message").textContent = ticket.message || "(the customer left no message)";
  showEmail(ticket);
  showAnswer(ticket);
  const story = (ticket.packet && ticket.packet.transcript) || [];
  $("ticket-story").replaceChildren(...story.map(lineElement));
  if (!story.length) $("ticket-story").append(el("li", "empty", "No story was kept."));
  $("ticket-answer-form").hidden = ticket.status !== "open";
  updateTicketControls();
  markOpenTicket();
}

// What the agent may do with the ticket on screen: answer an open one, close any not closed.
function updateTicketControls() {
  const status = state.tickets.open && state.tickets.open.status;
  $("ticket-answer-text").disabled = status !== "open";
  $("ticket-answer-send").disabled = status !== "open";
  $("ticket-close").disabled = !status || status === "closed";
}

function showEmail(ticket) {
  $("ticket-email").textContent = ticket.email || "none: the answer can only wait in their chat";
  $("ticket-email-form").hidden = !!ticket.email || ticket.status === "closed";
  $("ticket-email-input").value = "";
}

function showAnswer(ticket) {
  $("ticket-answered").hidden = !ticket.answer;
  if (!ticket.answer) return;
  const mine = ticket.answered_by === state.me.id;
  $("ticket-answered-by").textContent =
    `Answered by ${mine ? "you" : agentName(ticket.answered_by)}`;
  $("ticket-answer").textContent = ticket.answer;
  if (mine && ticket.mail) showOutcome(mailOutcome(ticket));
}

// The API says "sent to x" or "not sent: why"; the agent reads what that meant for them.
function mailOutcome(ticket) {
  const mail = ticket.mail || "";
  const said = mail.startsWith("sent to ") ? `mailed to ${mail.slice("sent to ".length)}`
    : mail.startsWith("not sent: ") ? `not mailed: ${mail.slice("not sent: ".length)}` : mail;
  return `Answered by you — ${said}`;
}

function showOutcome(text) {
  $("ticket-outcome").textContent = text;
  $("ticket-outcome").hidden = false;
}

// ---- What the agent does with it

export async function answerTicket() {
  const ticket = state.tickets.open;
  const text = $("ticket-answer-text").value.trim();
  if (!ticket || !text) return;
  const limit = state.tickets.maxChars;
  if (limit && text.length > limit) {
    throw new Error(`An answer is at most ${limit} characters; this one is ${text.length}.`);
  }
  $("ticket-answer-send").disabled = true;   // a double click cannot answer twice
  try {
    const reply = await api("POST", ticketPath(ticket.reference, "/answer"), { text });
    $("ticket-answer-text").value = "";
    showTicket(reply.ticket);
    showOutcome(mailOutcome(reply.ticket));
  } catch (error) {
    if (error.status !== 409) throw error;
    await showWhoWasFirst(ticket.reference, text);
  } finally {
    updateTicketControls();
    updateAnswerCount();
    refreshTickets();
  }
}

// Someone answered (or closed) it first: say who plainly, show their answer, and keep our
// text in the box, unsendable, so nothing typed is lost.
async function showWhoWasFirst(reference, text) {
  const reply = await api("GET", ticketPath(reference));
  showTicket(reply.ticket);
  const ticket = reply.ticket;
  showOutcome(ticket.answered_by
    ? `${agentName(ticket.answered_by)} answered this ticket before you; your answer was not sent. Their answer is above.`
    : `This ticket was closed by ${agentName(ticket.closed_by)} before you answered; your answer was not sent.`);
  $("ticket-answer-form").hidden = false;
  $("ticket-answer-text").value = text;
}

export async function closeTicketForGood() {
  const ticket = state.tickets.open;
  if (!ticket) return;
  $("ticket-close").disabled = true;
  try {
    const reply = await api("POST", ticketPath(ticket.reference, "/close"), {});
    showTicket(reply.ticket);
    showOutcome("Closed.");
  } finally {
    updateTicketControls();
    refreshTickets();
  }
}

export async function saveEmail() {
  const ticket = state.tickets.open;
  if (!ticket) return;
  const email = $("ticket-email-input").value.trim();
  const reply = await api("PATCH", ticketPath(ticket.reference), { email });
  showTicket(reply.ticket);
  refreshTickets();
}

export function updateAnswerCount() {
  const length = $("ticket-answer-text").value.length;
  const limit = state.tickets.maxChars;
  $("ticket-answer-count").textContent = limit ? `${length} / ${limit}` : plural(length, "character", "characters");
}
