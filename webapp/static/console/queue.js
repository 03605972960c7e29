// The live queue: who waits (with wait times that tick locally), the agent's own
// conversations and the team, all from the queue snapshots the server pushes.

import { $, el, formatScore, formatWait, humanize, joinMeta, num, onActivate, reasonLine,
         scoreClass } from "./dom.js";
import { state } from "./state.js";
import { act, api, RECONNECT_MS } from "./api.js";
import { renderMe } from "./session.js";
import { followOpenConversation, openConversation } from "./conversation.js";
import { alertAboutNews, markOnScreenRead, unreadBadge, unreadLines,
         updateTitle } from "./alerts.js";

export function openQueueFeed() {
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
  state.limits = snapshot.limits || state.limits;
  if (state.limits) document.getElementById("reply-text").maxLength = state.limits.max_message_chars;
  // The team list is read afresh for every snapshot, so it has our current presence.
  const meNow = (snapshot.team || []).find((agent) => agent.id === state.me.id) || snapshot.me;
  if (meNow) state.me = { ...state.me, ...meNow };
  alertAboutNews(snapshot);
  markOnScreenRead();
  renderMe();
  renderQueue(snapshot.waiting || []);
  renderServiceLevel(snapshot.service_level);
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

// Admins' snapshots carry the customers waiting past the target (agents' carry nothing): a
// banner says how many, and their queue items are marked. The banner is a polite live
// region, so its words change only when the count does (a screen reader reads each change);
// the longest wait, which grows every second, is in its tooltip.
function renderServiceLevel(level) {
  const banner = $("sla-alert");
  const late = (level && level.past_target) || [];
  banner.hidden = late.length === 0;
  if (!late.length) {
    banner.textContent = "";   // so the next customer past the target is read again
    return;
  }
  const said = `${late.length} waiting longer than the ${formatWait(level.wait_target_seconds)} target`;
  if (banner.textContent !== said) banner.textContent = said;
  banner.title = `Longest wait: ${formatWait(late[0].waiting_seconds)}`;
  const lateIds = new Set(late.map((entry) => entry.conversation_id));
  for (const item of document.querySelectorAll("#queue .queue-item")) {
    if (!lateIds.has(item.dataset.conversationId)) continue;
    item.classList.add("is-past-target");
    item.querySelector(".queue-item__top").append(el("span", "past-target", "past target"));
  }
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
export function tick() {
  const elapsed = (performance.now() - state.snapshotAt) / 1000;
  for (const node of document.querySelectorAll("#queue .wait")) {
    node.textContent = formatWait(Number(node.dataset.waitingSeconds) + elapsed);
  }
}

export function renderMine(mine) {
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
export function markOpen() {
  const openId = state.open && state.open.id;
  for (const item of document.querySelectorAll(".queue-item, .mine-item")) {
    item.classList.toggle("is-open", item.dataset.conversationId === openId);
  }
}

export function claimConversation(conversationId, button) {
  return act(button, async () => {
    const reply = await api("POST", "/api/queue/claim",
                            conversationId ? { conversation_id: conversationId } : {});
    await openConversation(reply.conversation_id);
  });
}
