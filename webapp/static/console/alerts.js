// Never missing a customer: unread marks, the tab title, and (if the agent wants them) a
// sound and desktop notifications. What was read and the choices are kept per agent in
// localStorage, so they survive a reload.

import { $, el, humanize, num, plural } from "./dom.js";
import { state } from "./state.js";
import { act } from "./api.js";
import { renderMine } from "./queue.js";
import { openConversation } from "./conversation.js";

const TONE_HZ = 880;          // the alert sound: one short, clear beep

const TONE_SECONDS = 0.18;

const TONE_VOLUME = 0.2;      // quiet enough not to startle someone on a headset

const BASE_TITLE = document.title;   // unread and waiting counts go in front of it

const storageKey = (what) => `pinecone.console.${state.me.id}.${what}`;

// A stored value, or `fallback` when there is none, it is not JSON, or storage is blocked
// (private windows): the console then works without remembering.
function stored(what, fallback) {
  try {
    const raw = localStorage.getItem(storageKey(what));
    return raw === null ? fallback : JSON.parse(raw);
  } catch (_unreadable) {
    return fallback;
  }
}

function store(what, value) {
  try {
    localStorage.setItem(storageKey(what), JSON.stringify(value));
  } catch (_blocked) {
    // Full or blocked storage: the marks last until a reload, which is the best we can do.
  }
}

export function loadAlertSettings() {
  const read = stored("read", {});
  state.read = {};
  if (read && typeof read === "object" && !Array.isArray(read)) {
    for (const [id, count] of Object.entries(read)) {
      if (Number.isInteger(count) && count >= 0) state.read[id] = count;
    }
  }
  const alerts = stored("alerts", {});
  state.alerts = { sound: !!(alerts && alerts.sound === true),
                   desktop: !!(alerts && alerts.desktop === true) && notificationsAllowed() };
  $("alert-sound").checked = state.alerts.sound;
  $("alert-desktop").checked = state.alerts.desktop;
}

// Customer lines since the agent last had the conversation on screen.
export function unreadLines(entry) {
  return Math.max(0, (num(entry.customer_lines) || 0) - (state.read[entry.conversation_id] || 0));
}

export function unreadBadge(count) {
  const badge = el("span", "unread", count > 99 ? "99+" : count);
  badge.title = plural(count, "unread customer message", "unread customer messages");
  badge.setAttribute("aria-label", badge.title);
  return badge;
}

// The open conversation is on screen only while the tab is visible: lines that arrive while
// the agent is in another tab stay unread until they come back.
function onScreen(conversationId) {
  return !!state.open && state.open.id === conversationId && document.visibilityState === "visible";
}

export function markOnScreenRead() {
  if (!state.snapshot) return;
  const read = {};
  for (const entry of state.snapshot.mine || []) {   // forgets conversations no longer ours
    const id = entry.conversation_id;
    const lines = num(entry.customer_lines) || 0;
    const had = state.read[id] || 0;
    // The count starts again at a new handoff: more read than there are lines is from before.
    read[id] = onScreen(id) ? lines : had > lines ? 0 : had;
  }
  state.read = read;
  store("read", read);
}

export function refreshUnread() {
  if (state.snapshot) renderMine(state.snapshot.mine || []);
  updateTitle();
}

function totalUnread() {
  const mine = (state.snapshot && state.snapshot.mine) || [];
  return mine.reduce((total, entry) => total + unreadLines(entry), 0);
}

export function updateTitle() {
  const unread = state.me ? totalUnread() : 0;
  const waiting = state.me && state.arrivedWhileHidden && state.snapshot
    ? (state.snapshot.waiting || []).length : 0;
  document.title = [unread > 0 ? `(${unread})` : "", waiting > 0 ? `${waiting} waiting ·` : "",
                    BASE_TITLE].filter(Boolean).join(" ");
}

export function onVisibilityChange() {
  if (document.visibilityState !== "visible" || !state.me) return;
  state.arrivedWhileHidden = false;
  markOnScreenRead();
  refreshUnread();
}

// Compares a snapshot with the one before: customers new in the queue, and new customer lines
// in our conversations that are not on screen. The first snapshot only sets the baseline.
export function alertAboutNews(snapshot) {
  const waiting = snapshot.waiting || [];
  const mine = snapshot.mine || [];
  const before = state.heard;
  state.heard = {
    waiting: new Set(waiting.map((entry) => entry.conversation_id)),
    lines: new Map(mine.map((entry) => [entry.conversation_id, num(entry.customer_lines) || 0])),
  };
  if (!before) return;
  const arrivals = waiting.filter((entry) => !before.waiting.has(entry.conversation_id));
  const written = mine.filter((entry) => !onScreen(entry.conversation_id) &&
    (num(entry.customer_lines) || 0) > (before.lines.get(entry.conversation_id) || 0));
  if (arrivals.length && document.visibilityState !== "visible") state.arrivedWhileHidden = true;
  for (const entry of arrivals) {
    notify(`New customer waiting (${waiting.length} in the queue)`, entry, entry.reason);
  }
  for (const entry of written) notify("A customer wrote to you", entry, "New message");
  if (arrivals.length || written.length) beep();
}

function notificationsAllowed() {
  return "Notification" in window && Notification.permission === "granted";
}

// A desktop notification when the console is not in front of the agent (when it is, the
// badges and the queue already show it). It never carries what the customer wrote: it can
// show on a shared screen.
function notify(title, entry, detail) {
  if (!state.alerts.desktop || !notificationsAllowed() || document.hasFocus()) return;
  const wants = entry.summary && entry.summary.customer_wants;
  const notice = new Notification(title, { body: wants ? `Wants: ${humanize(wants)}` : detail || "",
                                           tag: `pinecone-${entry.conversation_id}` });
  notice.onclick = () => {
    window.focus();
    notice.close();
    act(null, () => openConversation(entry.conversation_id));
  };
}

function beep() {
  if (!state.alerts.sound || !state.audio) return;
  const audio = state.audio;
  const tone = audio.createOscillator();
  const volume = audio.createGain();
  const end = audio.currentTime + TONE_SECONDS;
  tone.frequency.value = TONE_HZ;
  volume.gain.setValueAtTime(TONE_VOLUME, audio.currentTime);
  volume.gain.exponentialRampToValueAtTime(0.001, end);   // fades out instead of clicking
  tone.connect(volume).connect(audio.destination);
  tone.start();
  tone.stop(end);
}

// Browsers only let a page make sound after the person did something on it: the audio is
// set up (or woken) on the click that turns sound on, or on the first click after a reload.
export function wakeAudio() {
  if (!state.alerts.sound) return;
  const Context = window.AudioContext || window.webkitAudioContext;
  if (!Context) return;
  if (!state.audio) state.audio = new Context();
  if (state.audio.state === "suspended") state.audio.resume().catch(() => {});
}

export function toggleSound() {
  state.alerts.sound = $("alert-sound").checked;
  store("alerts", state.alerts);
  wakeAudio();
  beep();   // so the agent hears what it sounds like (and that it works)
}

export async function toggleDesktop() {
  const box = $("alert-desktop");
  if (box.checked && !("Notification" in window)) {
    box.checked = false;
    throw new Error("This browser cannot show desktop notifications; try the sound instead.");
  }
  if (box.checked && Notification.permission !== "granted") {
    const answer = await Notification.requestPermission();
    if (answer !== "granted") {
      box.checked = false;
      throw new Error("The browser blocks notifications for this page: allow them in the " +
                      "site settings (the icon left of the address), then turn this on again.");
    }
  }
  state.alerts.desktop = box.checked;
  store("alerts", state.alerts);
}
