// Managing the team (admins only): create accounts; change role, capacity, teams, password;
// lift a sign-in lock; disable and enable accounts.
//
// The server refuses all of this to other agents (403); the console does not even offer it.
// It lives in a modal dialog, so its errors and confirmations are shown inside it.

import { $, el } from "./dom.js";
import { state } from "./state.js";
import { api, ApiError } from "./api.js";
import { renderMe } from "./session.js";
import { loadAgents } from "./transfer.js";

const ROLES = ["agent", "admin"];

const MAX_CAPACITY = 20;      // the most conversations an agent can hold at once (server: 1-20)

export const isAdmin = () => !!state.me && state.me.role === "admin";

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
export async function adminAct(button, action, errorNode = $("team-admin-error")) {
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

export function openTeamAdmin() {
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

export function closeTeamAdmin() {
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

export async function createAccount() {
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
