// Labels on handoffs: was bringing in a person right? Right after Resolve or Hand back a small
// prompt in the workspace asks it in one click (it never blocks: the agent can go on, or
// Skip); the read-only case in History shows the label and lets the agent who had it (or an
// admin) set or change it. POST /api/history/cases/N/label (router/handoff_labels.py).

import { $, el } from "./dom.js";
import { state } from "./state.js";
import { act, api } from "./api.js";
import { isAdmin } from "./team.js";

// The labels the server takes, as the buttons say them.
const LABELS = [
  { value: "needed", text: "Needed" },
  { value: "too_early", text: "Too early: the bot could have handled it" },
  { value: "too_late", text: "Too late" },
];
// How long the thanks stays before the prompt goes.
const THANKS_MS = 4000;

const labelPath = (caseId) => `/api/history/cases/${encodeURIComponent(caseId)}/label`;
let hideTimer = null;

export function wireLabels() {
  $("label-prompt-skip").addEventListener("click", hidePrompt);
}

async function sendLabel(caseId, value) {
  const reply = await api("POST", labelPath(caseId), { label: value });
  return reply.label;
}

function labelButtons(caseId, onLabelled, current = null) {
  return LABELS.map(({ value, text }) => {
    const button = el("button", "button button--small", text);
    button.type = "button";
    button.dataset.label = value;
    button.setAttribute("aria-pressed", String(value === current));
    button.addEventListener("click", () => act(button, async () => {
      onLabelled(await sendLabel(caseId, value));
    }));
    return button;
  });
}

// ---- Right after Resolve or Hand back

export function askLabel(caseId) {
  if (!caseId) return;
  clearTimeout(hideTimer);
  $("label-prompt-buttons").replaceChildren(...labelButtons(caseId, thank));
  $("label-prompt-buttons").hidden = false;
  $("label-prompt-skip").hidden = false;
  $("label-prompt-thanks").textContent = "";
  $("label-prompt-case").textContent = `Case ${caseId}`;
  $("label-prompt").hidden = false;
}

function thank(label) {
  $("label-prompt-buttons").hidden = true;
  $("label-prompt-skip").hidden = true;
  $("label-prompt-thanks").textContent = `Thanks: labelled ${label.label_words}`;
  hideTimer = setTimeout(hidePrompt, THANKS_MS);
}

export function hidePrompt() {
  clearTimeout(hideTimer);
  $("label-prompt").hidden = true;
}

// ---- In a case read again (history.js)

const wordsOf = (value) => {
  const found = LABELS.find((label) => label.value === value);
  return found ? found.text.toLowerCase() : null;
};

export function showCaseLabel(found) {
  const caseId = found.case_id;
  const words = wordsOf(found.label);
  $("case-label").textContent = words
    ? `The handoff was labelled ${words}.`
    : "Nobody has labelled this handoff yet.";
  const mayLabel = isAdmin() || (!!state.me && state.me.id === found.agent_id);
  $("case-label-buttons").hidden = !mayLabel;
  $("case-label-buttons").replaceChildren(...(mayLabel
    ? labelButtons(caseId, (label) => showCaseLabel({ ...found, label: label.label }),
                   found.label)
    : []));
}
