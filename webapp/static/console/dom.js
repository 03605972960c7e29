// Small helpers for building the page and formatting values.
//
// Every piece of text that comes from a customer, an agent or the API goes in with
// textContent, never as HTML (the page's CSP allows no inline code, and customer text must
// never become markup).

import { state } from "./state.js";

const SVG_NS = "http://www.w3.org/2000/svg";

export const $ = (id) => document.getElementById(id);

export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

export function svg(tag, attributes = {}, className = "") {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  if (className) node.setAttribute("class", className);
  return node;
}

// Clicks and Enter/Space on a focusable list item, so the lists work from the keyboard too.
export function onActivate(node, handler) {
  node.tabIndex = 0;
  node.addEventListener("click", handler);
  node.addEventListener("keydown", (event) => {
    if ((event.key === "Enter" || event.key === " ") && event.target === node) {
      event.preventDefault();
      handler();
    }
  });
}

// A number from the API, or null when it is missing (so 0 is not confused with "unknown").
export function num(value) {
  if (value === null || value === undefined || value === "") return null;
  const number = Number(value);
  return Number.isFinite(number) ? number : null;
}

export const signed = (value) => (value > 0 ? "+" : value < 0 ? "−" : "") + Math.abs(value).toFixed(2);

export const humanize = (name) => (name ? String(name).replace(/_/g, " ") : "");

export const plural = (count, one, many) => `${count} ${count === 1 ? one : many}`;

export function formatWait(seconds) {
  const whole = Math.max(0, Math.floor(seconds));
  const pad = (n) => String(n).padStart(2, "0");
  return `${pad(Math.floor(whole / 60))}:${pad(whole % 60)}`;
}

export function formatScore(score) {
  const value = num(score);
  return value === null ? "–" : value.toFixed(2);
}

// Coloured by the scorer's live thresholds (state.limits, from the queue snapshot): at the
// concern threshold a turn is flagged, at the handoff threshold a person is brought in.
export function scoreClass(score) {
  const value = num(score) || 0;
  const limits = state.limits;
  if (!limits) return "score";
  return value >= limits.handoff_threshold ? "score score--high"
    : value >= limits.concern_threshold ? "score score--concern" : "score";
}

export function formatTime(timestamp) {
  const seconds = num(timestamp);
  if (!seconds) return "";
  return new Date(seconds * 1000).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

export function describeValue(value) {
  if (value === null || value === undefined) return "";
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

// Why the bot handed off can be long: two lines here, all of it on hover and in the summary.
export function reasonLine(reason) {
  const line = el("p", "item-reason", reason || "");
  if (reason) line.title = reason;
  return line;
}

export function joinMeta(parts) {
  return parts.filter(Boolean).join(" · ");
}
