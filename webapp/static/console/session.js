// Signing in and out, heartbeat and presence.

import { $ } from "./dom.js";
import { state } from "./state.js";
import { act, api, hideError, showError } from "./api.js";
import { openQueueFeed, tick } from "./queue.js";
import { closeConversation } from "./conversation.js";
import { loadAgents } from "./transfer.js";
import { loadCanned } from "./reply.js";
import { closeTeamAdmin, isAdmin } from "./team.js";
import { loadAlertSettings, updateTitle } from "./alerts.js";
import { closeTicket, startTickets } from "./tickets.js";

const HEARTBEAT_MS = 15000;   // the server hands an agent's conversations back after 60 s without one

export function showLogin(message) {
  $("app").hidden = true;
  $("login").hidden = false;
  setLoginError(message);
  $("login-id").focus();
}

function setLoginError(message) {
  $("login-error").textContent = message || "";
  $("login-error").hidden = !message;
}

export async function signIn(event) {
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

export function startSession(agent, conversationCount) {
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
  startTickets();
}

function stopSession() {
  state.timers.forEach(clearInterval);
  state.timers = [];
  if (state.queueFeed) state.queueFeed.close();
  state.queueFeed = null;
  closeConversation();
  closeTicket();
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

export function sessionLost(message) {
  stopSession();
  showLogin(message);
}

export async function signOut() {
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

export async function changePresence(wanted) {
  const reply = await api("POST", "/api/me/presence", { presence: wanted });
  setPresence(reply.presence);
}

function setPresence(presence) {
  if (!state.me || !presence) return;
  state.me.presence = presence;
  renderMe();
}

export function renderMe() {
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
