// A stored conversation's story, read-only, opened from a settings preview's list of changed
// conversations (console/whatif_preview.js): every line as the agent's transcript shows it,
// each customer message with its score now and with the previewed settings, and the message
// where the decision changes highlighted and scrolled into view.
//
// GET /api/admin/conversations/{id} gives the story (numbered as the agent's view numbers
// messages); POST .../replay replays it message by message with the same overrides the
// preview used, so the numbers match the preview's.

import { $, el, formatScore } from "./dom.js";
import { api } from "./api.js";
import { lineElement } from "./conversation.js";

const STORIES = "/api/admin/conversations";
const story = { opener: null, seq: 0, wired: false };

function wire() {
  if (story.wired) return;
  story.wired = true;
  $("stored-story-close").addEventListener("click", () => $("stored-story").close());
  // Back to the button that opened it (Escape closes the dialog too).
  $("stored-story").addEventListener("close", () => {
    if (story.opener && story.opener.isConnected) story.opener.focus();
  });
}

// `change`: one entry of the what-if's `changed`; `opener`: the button, focused again after.
export async function openStoredStory(change, overrides, opener) {
  wire();
  const seq = ++story.seq;
  story.opener = opener || null;
  const dialog = $("stored-story");
  $("stored-story-heading").textContent = `Conversation ${change.conversation_id}`;
  $("stored-story-summary").textContent = "Loading the story…";
  $("stored-story-error").hidden = true;
  $("stored-story-lines").replaceChildren();
  if (!dialog.open) dialog.showModal();
  const path = `${STORIES}/${encodeURIComponent(change.conversation_id)}`;
  try {
    const [told, replayed] = await Promise.all([
      api("GET", path), api("POST", `${path}/replay`, { overrides })]);
    if (seq !== story.seq) return;   // another story was opened meanwhile
    render(told, replayed);
  } catch (error) {
    if (seq !== story.seq) return;
    $("stored-story-summary").textContent = "";
    $("stored-story-error").textContent = error.message;
    $("stored-story-error").hidden = false;
  }
}

function render(told, replayed) {
  const scores = new Map(replayed.messages.map((m) => [m.message, m]));
  const list = $("stored-story-lines");
  let changed = null;
  for (const line of told.lines) {
    const node = lineElement(line);
    const number = line.message_number;
    if (number) {
      node.dataset.message = String(number);
      node.querySelector(".line__who").append(` · message ${number}`);
      node.append(scoresElement(scores.get(number)));
      if (number === replayed.message) {
        node.classList.add("line--changes");
        node.setAttribute("aria-current", "true");
        node.prepend(el("strong", "line__changes", "The decision changes here"));
        changed = node;
      }
    }
    list.append(node);
  }
  $("stored-story-summary").textContent = summary(told, replayed);
  if (changed) changed.scrollIntoView({ block: "center" });
}

// "Score now 0.42 · with these settings 0.42: handed off", or why a line was not replayed.
function scoresElement(replay) {
  if (!replay) {
    return el("div", "story-scores", "Not replayed: a person had the conversation then.");
  }
  const side = (judged, words) => `${words} ${formatScore(judged.score)}` +
    (judged.handoff ? " (a person is brought in)" : "");
  return el("div", "story-scores",
            `Score ${side(replay.now, "now")} · ${side(replay.after, "with these settings")}`);
}

function summary(told, replayed) {
  const said = (decision, when) => (decision
    ? `${when}, a person is brought in at message ${decision.message}: ${decision.sentence}`
    : `${when}, no person is brought in.`);
  return `${told.messages} customer messages. ${said(replayed.now, "Now")} ` +
    said(replayed.after, "With these settings");
}
