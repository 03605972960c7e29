// Transfer, resolve, hand back: the conversation leaves this agent.

import { $, el } from "./dom.js";
import { state } from "./state.js";
import { api, ApiError, conversationPath } from "./api.js";
import { refreshStatus } from "./conversation.js";

export async function loadAgents() {
  const reply = await api("GET", "/api/agents");
  state.agents = reply.agents || [];
}

export async function showTransfer() {
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
  await api("POST", conversationPath(state.open.id, `/${action}`), {});
  hideTransfer();
  await refreshStatus();
}
