// What a settings preview found, under its one sentence (console/settings.js): handoffs by
// reason now → after (the kinds in words, from the server), the team's load now → after with
// what that estimate rests on, and the conversations whose decision changes, each a button
// that opens its story at the message where it changes (console/stored_story.js).
//
// Everything shown comes from POST /api/admin/what-if (router/whatif.py, webapp/whatif.py).

import { $, el } from "./dom.js";
import { openStoredStory } from "./stored_story.js";

// Changed conversations listed before "and N more": enough to read through in a dialog.
const CHANGES_SHOWN = 20;

const percent = (share) => (share === null || share === undefined ? "unknown"
  : `${(Number(share) * 100).toFixed(1)}%`);

// Conversations a person took over live before the proposed settings would have handed off:
// what would have followed was never lived (router/whatif.py `unknown_after`).
export function unknownNote(figures) {
  const unknown = Number(figures.unknown_after) || 0;
  if (!unknown) return "";
  return ` ${unknown} ${unknown === 1 ? "conversation was" : "conversations were"} taken over ` +
    "by a person before these settings would have handed off; what would have followed is " +
    `unknown, so the rate after is between ${percent(figures.handoff_rate_after)} and ` +
    `${percent(figures.handoff_rate_after_at_most)}.`;
}

export function hidePreviewDetails() {
  $("settings-preview-details").hidden = true;
}

// `overrides`: what was previewed, so a story replays the same settings.
export function showPreviewDetails(figures, overrides) {
  const box = $("settings-preview-details");
  box.replaceChildren();
  box.hidden = !figures.conversations;
  if (!figures.conversations) return;
  box.append(reasonsPart(figures.reasons || []), loadPart(figures.queue_load || {}),
             changesPart(figures, overrides));
}

function reasonsPart(reasons) {
  const part = el("section", "preview-part");
  part.append(el("h4", "", "Handoffs by reason, now → with these settings"));
  if (!reasons.length) {
    part.append(el("p", "hint", "No handoffs either way."));
    return part;
  }
  const list = el("ul", "preview-list");
  list.append(...reasons.map((r) => el("li", "", `${capitalize(r.words)}: ${r.now} → ${r.after}`)));
  part.append(list);
  return part;
}

function loadPart(load) {
  const part = el("section", "preview-part");
  part.append(el("h4", "", "The team's load, now → with these settings"));
  part.append(el("p", "", `${percent(load.load_now)} → ${percent(load.load_after)} ` +
    `(${perHour(load.handoffs_per_hour_now)} → ${perHour(load.handoffs_per_hour_after)} ` +
    "handoffs an hour)"));
  if (load.basis) part.append(el("p", "hint", load.basis));
  return part;
}

const perHour = (value) => (value === null || value === undefined ? "unknown"
  : Number(value).toFixed(1));

function changesPart(figures, overrides) {
  const part = el("section", "preview-part");
  const changed = figures.changed || [];
  const total = Number(figures.changed_count) || changed.length;
  part.append(el("h4", "", "Conversations whose handoff would change"));
  if (!changed.length) {
    part.append(el("p", "hint", "None: every replayed conversation goes as it went."));
    return part;
  }
  // Newest first, as the server sends them.
  const list = el("ul", "preview-changes");
  list.append(...changed.slice(0, CHANGES_SHOWN).map((change) => changeItem(change, overrides)));
  part.append(list);
  if (total > CHANGES_SHOWN) part.append(el("p", "hint", `and ${total - CHANGES_SHOWN} more`));
  return part;
}

function changeItem(change, overrides) {
  const item = el("li");
  const button = el("button", "button button--small preview-change", changeWords(change));
  button.type = "button";
  button.dataset.conversationId = change.conversation_id;
  button.setAttribute("aria-haspopup", "dialog");
  button.append(el("span", "preview-change__id", ` · ${change.conversation_id}`));
  button.addEventListener("click", () => openStoredStory(change, overrides, button));
  item.append(button);
  return item;
}

// "Message 3: handed off now, not after", and the other ways two first handoffs part.
export function changeWords(change) {
  const { now, after } = change;
  const at = `Message ${change.message}: `;
  if (now && !after) return `${at}handed off now, not after`;
  if (after && !now) return `${at}handed off after, not now`;
  if (now.message === after.message) return `${at}handed off either way, for another reason`;
  return now.message < after.message
    ? `${at}handed off now; after, only at message ${after.message}`
    : `${at}handed off after; now, only at message ${now.message}`;
}

const capitalize = (text) => (text ? text[0].toUpperCase() + text.slice(1) : "");
