// History: conversations a person already handled, and tickets, found again by what the
// customer quotes (an order number, an email, an id, a ticket reference) and by date. A case
// opens read-only with its whole story, how it ended and the rating; the customer's other
// contacts are listed beside it, and beside a conversation being handled.

import { $, el, joinMeta, onActivate } from "./dom.js";
import { state } from "./state.js";
import { isAdmin } from "./team.js";
import { act, api } from "./api.js";
import { closeConversation, lineElement } from "./conversation.js";
import { closeTicket, formatAge, openTicket } from "./tickets.js";
import { showCaseLabel } from "./labels.js";

const DAY_SECONDS = 86400;
const PREVIEW_WORDS = 12;

// ---- Searching

export async function searchHistory() {
  const params = new URLSearchParams();
  const query = $("history-q").value.trim();
  if (query) params.set("q", query);
  const since = dayStart($("history-from").value);
  const until = dayStart($("history-to").value);
  if (since !== null) params.set("since", String(since));
  if (until !== null) params.set("until", String(until + DAY_SECONDS - 1));   // the whole day
  const reply = await api("GET", `/api/history?${params}`);
  const results = reply.results || [];
  $("history-results").replaceChildren(...results.map(resultItem));
  $("history-empty").hidden = results.length > 0;
  $("history-empty").textContent = query || since !== null || until !== null
    ? "Nothing found: try an order number, an email or another date."
    : "Nothing in the history yet.";
}

// A date input's day as the agent's local midnight, in unix seconds (null when empty).
function dayStart(value) {
  if (!value) return null;
  const [year, month, day] = value.split("-").map(Number);
  return Math.floor(new Date(year, month - 1, day).getTime() / 1000);
}

function resultItem(result) {
  const item = el("li", "ticket-item history-item");
  const top = el("div", "queue-item__top");
  const preview = el("p", "item-first");
  if (result.kind === "ticket") {
    item.dataset.reference = result.reference;
    top.append(el("span", "position", result.reference),
               el("span", "wait", formatAge(result.created_at)),
               el("span", `status-pill status-pill--ticket-${result.status}`, `ticket ${result.status}`));
    preview.textContent = firstWords(result.message) || "(no message)";
    onActivate(item, () => act(null, () => openTicket(result.reference)));
  } else {
    item.dataset.caseId = result.case_id;
    top.append(el("span", "position", `Case ${result.case_id}`),
               el("span", "wait", formatAge(result.ended_at)),
               el("span", `status-pill status-pill--ended`, outcomeWord(result.outcome)));
    preview.textContent = firstWords(result.first_message) || result.reason_sentence || "";
    onActivate(item, () => act(null, () => openCase(result.case_id)));
  }
  item.append(top, preview);
  const about = joinMeta([result.agent_name && `with ${result.agent_name}`,
                          result.channel_name, result.rating_words && `rated “${result.rating_words}”`]);
  if (about) item.append(el("p", "hint", about));
  return item;
}

function outcomeWord(outcome) {
  return { resolved: "resolved", handed_back: "handed back", expired: "became a ticket" }[outcome]
    || "ended";
}

function firstWords(text) {
  const words = (text || "").split(/\s+/).filter(Boolean);
  const shown = words.slice(0, PREVIEW_WORDS).join(" ");
  return words.length > PREVIEW_WORDS ? `${shown}…` : shown;
}

// ---- One case, read-only

export async function openCase(caseId) {
  const reply = await api("GET", `/api/history/cases/${encodeURIComponent(caseId)}`);
  closeConversation();
  closeTicket();
  const found = reply.case;
  state.openCase = found.case_id;
  state.openCaseConversation = found.conversation_id;
  $("case-forget").hidden = !isAdmin();
  $("case-title").textContent = `Case ${found.case_id}`;
  $("case-meta").replaceChildren(
    el("span", "status-pill status-pill--ended", outcomeWord(found.outcome)),
    el("span", "", joinMeta([`ended ${formatAge(found.ended_at)}`,
                             found.channel_name && `on ${found.channel_name}`])),
    el("span", "hint", `id ${found.conversation_id}`));
  $("case-outcome").textContent = joinMeta([found.reason_sentence, found.outcome_sentence]);
  $("case-rating").textContent = found.rating_words
    ? `The customer rated the help “${found.rating_words}”.`
    : "The customer did not rate the help.";
  showCaseLabel(found);
  const story = found.transcript || [];
  $("case-story").replaceChildren(...story.map(lineElement));
  if (!story.length) $("case-story").append(el("li", "empty", "No story was kept."));
  renderEarlier($("case-earlier"), reply.earlier || []);
  $("no-conversation").hidden = true;
  $("case").hidden = false;
  $("app").classList.add("app--reading");   // narrow screens: the case instead of the lists
  markOpenCase();
  window.scrollTo(0, 0);
}

export function closeCase() {
  if (!state.openCase) return;
  state.openCase = null;
  $("case").hidden = true;
  $("no-conversation").hidden = false;
  $("app").classList.remove("app--reading");
  markOpenCase();
}

function markOpenCase() {
  for (const item of $("history-results").children) {
    item.classList.toggle("is-open", !!state.openCase && item.dataset.caseId === state.openCase);
  }
}

// ---- The customer's other contacts

export async function loadEarlier(conversationId) {
  const list = $("earlier");
  list.replaceChildren();
  const reply = await api("GET", `/api/conversations/${encodeURIComponent(conversationId)}/earlier`);
  if (!state.open || state.open.id !== conversationId) return;   // another one opened meanwhile
  renderEarlier(list, reply.earlier || []);
}

function renderEarlier(list, earlier) {
  list.replaceChildren(...earlier.map(resultItem));
  if (!earlier.length) list.append(el("li", "empty", "None found (same id, email or order number)."));
}

// ---- Forgetting a customer (admins), when they ask the shop to erase what it keeps of them

export async function forgetCaseConversation() {
  const conversationId = state.openCaseConversation;
  if (!conversationId || !isAdmin()) return;
  const sure = window.confirm(
    `Forget conversation ${conversationId} everywhere it is kept? Its stored conversation, ` +
    "every case and ticket of it and the customer's ratings are erased for good. This " +
    "cannot be undone.");
  if (!sure) return;
  const reply = await api("DELETE", `/api/admin/conversations/${encodeURIComponent(conversationId)}`, {});
  const gone = reply.forgotten;
  closeCase();
  $("history-results").replaceChildren();
  $("history-empty").hidden = false;
  $("history-empty").textContent = `Forgotten: ${gone.cases} case(s), ${gone.tickets} ticket(s)` +
    `${gone.conversation ? ", the stored conversation" : ""}` +
    `${gone.ratings ? `, ${gone.ratings} rating(s)` : ""}.`;
}
