// Transfer, resolve, hand back: the conversation leaves this agent.

import { $, el } from "./dom.js";
import { state } from "./state.js";
import { api, ApiError, conversationPath } from "./api.js";
import { refreshStatus } from "./conversation.js";
import { askLabel } from "./labels.js";

const PRESENCE_ORDER = ["online", "away", "offline"];   // the transfer picker's order
const agentTarget = (agent) => `agent:${agent.id}`;   // what transfer() reads back

export async function loadAgents() {
  const reply = await api("GET", "/api/agents");
  state.agents = reply.agents || [];
}

export async function showTransfer() {
  await loadAgents();   // fresh presence, so the picker shows who can take it now
  const select = $("transfer-target");
  const people = el("optgroup");
  people.label = "A person";
  const colleagues = colleaguesByPresence();
  for (const agent of colleagues) {
    const option = el("option", "", `${agent.name} (${agent.presence})`);
    option.value = agentTarget(agent);
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
  const groups = [people, teams].filter((group) => group.children.length);
  if (!groups.length) throw new ApiError("There is nobody else to transfer to.");
  select.replaceChildren(choosePrompt(), ...groups);
  // The first online colleague, or nobody: a quick click must not hand the customer to
  // someone who is not there.
  const firstOnline = colleagues.find((agent) => agent.presence === "online");
  select.value = firstOnline ? agentTarget(firstOnline) : "";
  $("transfer-form").hidden = false;
  select.focus();
}

// Who can take it now comes first, then who is away, then who is offline; the sort is stable,
// so people with the same presence keep the team's order.
function colleaguesByPresence() {
  const rank = (agent) => {
    const place = PRESENCE_ORDER.indexOf(agent.presence);
    return place < 0 ? PRESENCE_ORDER.length : place;
  };
  return state.agents.filter((agent) => agent.id !== state.me.id)
    .sort((a, b) => rank(a) - rank(b));
}

// Selected when nobody is online; the select is required, so it cannot be sent as it is.
function choosePrompt() {
  const prompt = el("option", "", "Choose who takes it");
  prompt.value = "";
  prompt.disabled = true;
  return prompt;
}

export function hideTransfer() {
  $("transfer-form").hidden = true;
}

export async function transfer() {
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
export async function release(action) {
  const reply = await api("POST", conversationPath(state.open.id, `/${action}`), {});
  hideTransfer();
  askLabel(reply.case_id);   // was bringing in a person right? one click, never blocking
  await refreshStatus();
}
