// Learn from labels (admins only), opened from the Settings dialog: how precise each signal
// was on the handoffs agents labelled, and a suggested threshold and weights for a target
// handoff rate or precision, shown next to today's, to preview with what-if and apply as a
// normal settings version (GET /api/admin/learning, POST /api/admin/learning/suggestion;
// router/learning.py says how the suggestion is made).
//
// Signals are named as the API names them in plain words; nothing is computed or checked
// here: the server explains a wrong target or too few labels.

import { $, el } from "./dom.js";
import { api } from "./api.js";
import { isAdmin } from "./team.js";
import { closeSettings } from "./settings.js";
import { unknownNote } from "./whatif_preview.js";

const LEARNING = "/api/admin/learning";
const SUGGESTION = "/api/admin/learning/suggestion";
const SETTINGS = "/api/admin/settings";
const WHAT_IF = "/api/admin/what-if";
// How many past conversations the preview replays (as the Settings preview does).
const PREVIEW_CONVERSATIONS = 500;

let suggested = null;   // the latest answer of POST /api/admin/learning/suggestion

export function wireLearning() {
  $("open-learning").addEventListener("click", () => learningAct(null, openLearning));
  $("learning-close").addEventListener("click", () => $("learning-admin").close());
  $("learning-form").addEventListener("submit", (event) => {
    event.preventDefault();
    learningAct(event.submitter, suggest);
  });
  $("learning-preview").addEventListener("click",
    () => learningAct($("learning-preview"), preview));
  $("learning-apply").addEventListener("click", () => learningAct($("learning-apply"), apply));
}

function setMessage(node, message) {
  node.textContent = message || "";
  node.hidden = !message;
}

// Runs what a button does; its error is shown in the dialog (the banner is behind it).
async function learningAct(button, action) {
  if (button) button.disabled = true;
  setMessage($("learning-error"), "");
  try {
    await action();
  } catch (error) {
    setMessage($("learning-error"), error.message);
  } finally {
    if (button) button.disabled = false;
  }
}

const percent = (share) => (share === null || share === undefined
  ? "–" : `${(Number(share) * 100).toFixed(0)}%`);

async function openLearning() {
  if (!isAdmin()) return;
  closeSettings();   // it would show old values once a suggestion is applied
  const dialog = $("learning-admin");
  if (!dialog.open) dialog.showModal();
  setMessage($("learning-notice"), "");
  $("learning-suggestion").hidden = true;
  suggested = null;
  const figures = await api("GET", LEARNING);
  const counts = figures.counts;
  const total = counts.needed + counts.too_early + counts.too_late;
  $("learning-counts").textContent = `${total} labelled ${total === 1 ? "handoff" : "handoffs"}: ` +
    `${counts.needed} needed, ${counts.too_early} too early, ${counts.too_late} too late. ` +
    `A person was needed in ${percent(figures.overall.precision)} of them. A suggestion ` +
    `needs at least ${figures.suggestion_needs.labels}, with ${figures.suggestion_needs.each} ` +
    "of each kind.";
  $("learning-signals").replaceChildren(...figures.signals.map(signalRow));
}

function signalRow(row) {
  const tr = el("tr");
  tr.dataset.signal = row.signal;
  tr.append(el("th", "", capitalize(row.words)), el("td", "", row.fired),
            el("td", "", row.needed), el("td", "", row.too_early),
            el("td", "", percent(row.precision)));
  tr.firstChild.scope = "row";
  return tr;
}

const capitalize = (text) => (text ? text[0].toUpperCase() + text.slice(1) : text);

async function suggest() {
  const value = Number($("learning-target").value);
  const body = { [$("learning-target-kind").value]: Number.isFinite(value)
    ? value : $("learning-target").value };
  suggested = await api("POST", SUGGESTION, body);
  const after = suggested.suggestion.after;
  $("learning-threshold").textContent = `Bring in a person at ` +
    `${suggested.suggestion.handoff_threshold} (now ${suggested.current.handoff_threshold}).`;
  $("learning-figures").textContent = `On the ${suggested.suggestion.labels} labelled ` +
    `handoffs, ${after.kept} would still be handed off (${percent(after.rate)}), ` +
    `${percent(after.precision)} of them needed a person (now ` +
    `${percent(suggested.suggestion.now.precision)}), and ${after.too_early_avoided} that came ` +
    `too early would not be. ${suggested.suggestion.scale.how}`;
  $("learning-weights").replaceChildren(...suggested.signals.map((row) => {
    const tr = el("tr");
    tr.dataset.signal = row.signal;
    // A signal the labels say too little about keeps today's weight, and says so.
    const suggestedCell = el("td", row.suggested !== row.current ? "learning-changed" : "",
                             row.suggested);
    if (row.kept) suggestedCell.append(el("span", "hint", ` (${row.kept})`));
    tr.append(el("th", "", capitalize(row.words)), el("td", "", row.current), suggestedCell);
    tr.firstChild.scope = "row";
    return tr;
  }));
  setMessage($("learning-preview-result"), "");
  $("learning-suggestion").hidden = false;
}

async function preview() {
  const figures = await api("POST", WHAT_IF, { overrides: suggested.overrides,
                                               last: PREVIEW_CONVERSATIONS });
  setMessage($("learning-preview-result"), figures.conversations
    ? `Replayed the last ${figures.conversations} conversations: handed off now ` +
      `${percent(figures.handoff_rate_now)}, with the suggestion ` +
      `${percent(figures.handoff_rate_after)}; ${figures.changed_count} would change.` +
      unknownNote(figures)
    : "No stored conversations to replay yet: the preview needs some customers first.");
}

async function apply() {
  const reply = await api("PUT", SETTINGS, { overrides: suggested.overrides,
                                             comment: suggested.comment,
                                             base_version: suggested.base_version });
  setMessage($("learning-notice"), `Saved as version ${reply.version.number} ` +
    `(“${suggested.comment}”): it applies from the next customer turn.`);
  $("learning-suggestion").hidden = true;
}
