// The handoff settings (admins only): the handoff threshold, each signal's weight, and when
// people can take over (support hours, holidays, the queue's limit, the longest wait) in a form,
// saved with a comment as a new version; the history of versions with who, when, why and what
// changed, each one restorable; a preview of a change's effect on past conversations.
//
// The form shows every setting: the two thresholds and the weights first, when people can take
// over, each channel's own settings, and every other one under 'Every other setting'.
// Everything it shows comes from GET /api/admin/settings: labels (signals as people say
// them), defaults, ranges and the comment's limit. Nothing is checked here: the server checks
// every field and its messages are shown beside the field they are about; a message about
// the whole change (saved, changed meanwhile, a part with no field of its own) beside the
// Save and Preview buttons.

import { $, el, humanize } from "./dom.js";
import { api, ApiError } from "./api.js";
import { settingField } from "./setting_field.js";
import { isAdmin } from "./team.js";
import { channelFieldLabel, proposedChannels, renderChannels } from "./channel_settings.js";
import { hidePreviewDetails, showPreviewDetails, unknownNote } from "./whatif_preview.js";

const SETTINGS = "/api/admin/settings";
const VERSIONS = "/api/admin/settings/versions";
const WHAT_IF = "/api/admin/what-if";
// The two thresholds, shown first in this order; every other setting follows under 'Every
// other setting' (otherField), the weights and the service and channel parts in their own.
const FORM_FIELDS = ["handoff_threshold", "concern_threshold"];
// How many past conversations the preview replays, and history entries per page.
const PREVIEW_CONVERSATIONS = 500;
const HISTORY_PAGE = 10;
// Shares are shown and typed to the hundredth.
const SHARE_STEP = "0.01";

// `edits` counts changes to the form's fields, so a preview answered after one is not shown.
const view = { loaded: null, labels: new Map(), shown: 0, total: 0, edits: 0 };

// ---------------------------------------------------------------------------------------
// Opening and closing

export function wireSettings() {
  $("open-settings").addEventListener("click", openSettings);
  $("settings-close").addEventListener("click", closeSettings);
  $("settings-form").addEventListener("submit", (event) => {
    event.preventDefault();
    settingsAct(event.submitter, save);
  });
  $("settings-preview").addEventListener("click", () => settingsAct($("settings-preview"), preview));
  // A preview is of the values it was asked for: any change of a setting makes it stale.
  for (const type of ["input", "change"]) {
    $("settings-form").addEventListener(type, (event) => {
      if (event.target.id === "settings-comment") return;   // the comment changes no effect
      if (event.target.closest("#settings-preview-details")) return;
      view.edits += 1;
      clearPreview();
    });
  }
  $("settings-more").addEventListener("click", () => settingsAct($("settings-more"), loadOlder));
  // The Settings button is offered exactly when Manage team is: to admins (session.js shows
  // and hides that one as the role is known or changes, and on sign-out).
  new MutationObserver(followAdminRole).observe($("manage-team"), { attributes: true,
    attributeFilter: ["hidden"] });
  followAdminRole();
}

function followAdminRole() {
  const admin = !$("manage-team").hidden && isAdmin();
  $("open-settings").hidden = !admin;
  if (!admin) closeSettings();
}

function openSettings() {
  if (!isAdmin()) return;
  const dialog = $("settings-admin");
  if (!dialog.open) dialog.showModal();
  $("settings-preview-result").hidden = true;
  hidePreviewDetails();
  settingsAct(null, reload);
}

export function closeSettings() {
  const dialog = $("settings-admin");
  if (dialog.open) dialog.close();
}

function setMessage(node, message) {
  node.textContent = message || "";
  node.hidden = !message;
}

// A message about the whole change, beside the buttons and scrolled into view (a restore is
// clicked further down, in the history).
function tell(node, message) {
  setMessage(node, message);
  if (message) node.scrollIntoView({ block: "nearest" });
}

function clearPreview() {
  setMessage($("settings-preview-result"), "");
  hidePreviewDetails();
}

// Runs what a button does; its error is shown in the dialog (the banner is behind it).
async function settingsAct(button, action) {
  if (button) button.disabled = true;
  setMessage($("settings-error"), "");
  try {
    await action();
  } catch (error) {
    tell($("settings-error"), error.message);
  } finally {
    if (button && button.isConnected) button.disabled = false;
  }
}

async function reload() {
  const loaded = await api("GET", SETTINGS);
  view.loaded = loaded;
  view.labels = new Map([
    ...loaded.fields.map((field) => [field.name, field.label]),
    ...SERVICE_FIELDS.map((field) => [`service.${field.name}`, field.label]),
    ["service.hours", "Support hours"], ["service.routing", "Which team takes what"],
    ...loaded.weights.map((weight) => [`weights.${weight.signal}`,
                                       `Weight of ${weight.label}`]),
  ]);
  renderForm(loaded);
  view.shown = 0;
  $("settings-history").replaceChildren();
  await loadOlder();
}

// ---------------------------------------------------------------------------------------
// The form

function renderForm(loaded) {
  $("settings-version").textContent = loaded.version
    ? `(now version ${loaded.version})` : "(now the defaults, version 0)";
  const byName = new Map(loaded.fields.map((field) => [field.name, field]));
  $("settings-fields").replaceChildren(...FORM_FIELDS.filter((name) => byName.has(name))
    .map((name) => numberField(name, byName.get(name))));
  // Every other setting, by the kind of value it takes (router/settings_catalog.py).
  $("settings-other").replaceChildren(...loaded.fields
    .filter((field) => !FORM_FIELDS.includes(field.name)).map(otherField));
  $("settings-weights").replaceChildren(...loaded.weights.map((weight) => numberField(
    `weights.${weight.signal}`, { ...weight, label: capitalize(weight.label) })));
  $("settings-comment").value = "";
  $("settings-comment").maxLength = loaded.limits.comment_max_chars;
  renderService(loaded.service);
  renderChannels(loaded);
}

// ---- When people can take over: support hours, holidays, the queue's limit, the longest wait

const SERVICE_FIELDS = [
  { name: "timezone", label: "Time zone", type: "text",
    hint: "A name like Europe/Berlin or America/New_York." },
  { name: "holidays", label: "Holidays (nobody answers)", type: "text",
    hint: "Dates like 2026-12-25, separated by commas." },
  { name: "queue_limit", label: "Most customers waiting at once", type: "number",
    hint: "Beyond it the bot offers to take a message." },
  { name: "max_wait_minutes", label: "Longest wait, in minutes", type: "number",
    hint: "A customer still waiting then gets a ticket and its reference." },
  { name: "sla_wait_minutes", label: "Waiting target, in minutes", type: "number",
    hint: "Admins are alerted to a customer waiting longer; the dashboard reports how often it was met." },
];
// Which team takes what: by what the customer wanted, else by the strongest sign of
// frustration (router/handoff/routing.py). An empty box: any agent.
const ROUTING_TABLES = [["by_intent", "intents"], ["by_signal", "signals"]];

function renderService(service) {
  const asText = (name, value) => (name === "holidays" ? value.join(", ") : value);
  $("service-fields").replaceChildren(...SERVICE_FIELDS.map((field) => serviceField(
    field, asText(field.name, service.values[field.name]),
    asText(field.name, service.defaults[field.name]), service.limits)));
  const always = service.values.hours === "always";
  $("service-always").checked = always;
  $("service-hours").replaceChildren(...service.weekdays.map((day) => {
    const label = el("label", "", capitalize(day));
    const input = el("input");
    Object.assign(input, { id: `service-hours-${day}`, placeholder: "closed", maxLength: 11,
                           value: (!always && service.values.hours[day]) || "",
                           disabled: always });
    input.dataset.day = day;
    input.setAttribute("aria-describedby", "service-hours-hint service-hours-error");
    label.append(input);
    return label;
  }));
  renderRouting(service);
  $("service-always").onchange = () => {
    for (const input of $("service-hours").querySelectorAll("input")) {
      input.disabled = $("service-always").checked;
    }
  };
}

function renderRouting(service) {
  for (const [table, choices] of ROUTING_TABLES) {
    const teams = service.values.routing[table] || {};
    $(`service-routing-${table}`).replaceChildren(...service.routing_choices[choices].map(
      (choice) => {
        const label = el("label", "", capitalize(choice.label));
        const input = el("input");
        Object.assign(input, { value: teams[choice.name] || "", maxLength: 40,
                               placeholder: "any agent" });
        input.dataset.name = choice.name;
        input.setAttribute("aria-describedby", "service-routing-error");
        label.append(input);
        return label;
      }));
  }
}

function proposedRouting() {
  const routing = {};
  for (const [table] of ROUTING_TABLES) {
    routing[table] = Object.fromEntries(
      [...$(`service-routing-${table}`).querySelectorAll("input")]
        .map((input) => [input.dataset.name, input.value.trim()])
        .filter(([, team]) => team)
        .sort(([a], [b]) => (a < b ? -1 : 1)));
  }
  return routing;
}

function serviceField(field, value, fallback, limits) {
  const input = el("input", field.type === "text" ? "setting__input setting__input--wide"
    : "setting__input");
  Object.assign(input, { id: `setting-service-${field.name}`, type: field.type,
                         value: String(value) });
  if (field.type === "number") {
    input.min = "1";
    input.max = String(field.name === "queue_limit" ? limits.queue_limit_max
      : limits.max_wait_minutes_max);   // the longest wait and the target share a bound
  }
  return settingField(`service.${field.name}`, input, field.label,
                      `${field.hint} Default ${fallback || "none"}.`);
}

// The service settings as typed (the server explains what it cannot read): every one of them
// once any differs from what is stored, or once they are stored (null while none is and none
// differs). Not only those differing from this web service's defaults: the action server
// reads its own environment, and would fill the others from its own defaults.
function proposedService() {
  const stored = view.loaded.overrides.service;
  const { values } = view.loaded.service;
  const value = (name) => $(`setting-service-${name}`).value.trim();
  const number = (name) => (value(name) !== "" && Number.isInteger(Number(value(name)))
    ? Number(value(name)) : value(name));
  const hours = $("service-always").checked ? "always" : Object.fromEntries(
    [...$("service-hours").querySelectorAll("input")]
      .map((input) => [input.dataset.day, input.value.trim()]).filter(([, span]) => span));
  const chosen = { timezone: value("timezone"),
                   holidays: value("holidays").split(/[\s,]+/).filter(Boolean),
                   queue_limit: number("queue_limit"),
                   max_wait_minutes: number("max_wait_minutes"),
                   sla_wait_minutes: number("sla_wait_minutes"), hours,
                   routing: proposedRouting() };
  const changed = Object.entries(chosen)
    .some(([name, typed]) => JSON.stringify(typed) !== JSON.stringify(values[name]));
  return stored || changed ? chosen : null;
}

function numberField(name, field) {
  const input = el("input", "setting__input");
  Object.assign(input, { id: `setting-${name.replace(/[^a-z0-9_]/g, "-")}`, type: "number",
                         step: SHARE_STEP, value: String(field.value), inputMode: "decimal" });
  if (field.minimum !== undefined) input.min = String(field.minimum);
  if (field.maximum !== undefined) input.max = String(field.maximum);
  input.dataset.default = String(field.default);
  return settingField(name, input, field.label,
                      `${field.description ? field.description + " " : ""}Default ${field.default}.`);
}

const capitalize = (text) => (text ? text[0].toUpperCase() + text.slice(1) : text);

// A setting of any kind: a number (share, number, whole), a flag, a choice, or names (a list
// of intent or response names, written with commas).
function otherField(field) {
  if (["share", "number", "whole"].includes(field.kind)) {
    const wrapper = numberField(field.name, field);
    const input = wrapper.querySelector("input");
    input.step = field.kind === "share" ? SHARE_STEP : field.kind === "whole" ? "1" : "any";
    return wrapper;
  }
  const id = `setting-${field.name.replace(/[^a-z0-9_]/g, "-")}`;
  let input;
  if (field.kind === "flag") {
    input = el("input");
    Object.assign(input, { id, type: "checkbox", checked: field.value === true });
  } else if (field.kind === "choice") {
    input = el("select", "setting__input");
    input.id = id;
    input.append(...field.choices.map((choice) => el("option", "", choice)));
    input.value = field.value;
  } else {
    input = el("input", "setting__input setting__input--wide");
    Object.assign(input, { id, value: (field.value || []).join(", "), spellcheck: false });
  }
  input.dataset.default = JSON.stringify(field.default);
  const wrapper = settingField(field.name, input, field.label,
                               `${field.description} Default ${shown(field.default)}.`);
  wrapper.dataset.kind = field.kind;
  return wrapper;
}

// What a setting's control says, as the value the server stores (a number that is not one
// goes as typed, for the server to explain), and whether it is the default.
function readSetting(wrapper) {
  const input = wrapper.querySelector("input, select");
  const kind = wrapper.dataset.kind;
  let value;
  if (kind === "flag") value = input.checked;
  else if (kind === "choice") value = input.value;
  else if (kind === "names") value = input.value.split(/[\s,]+/).filter(Boolean);
  else {
    value = input.value.trim() !== "" && Number.isFinite(Number(input.value))
      ? Number(input.value) : input.value;
    return { value, isDefault: value === Number(input.dataset.default) };
  }
  return { value, isDefault: JSON.stringify(value) === input.dataset.default };
}

// What the form says, as the overrides the server stores: the settings the form does not
// show stay as they are; a value equal to its default is not an override. A value that is
// not a number goes as typed, for the server to explain.
function proposedOverrides() {
  const overrides = { ...view.loaded.overrides };
  const weights = {};
  for (const wrapper of document.querySelectorAll("#settings-admin [data-setting]")) {
    const name = wrapper.dataset.setting;
    if (name.startsWith("service.")) continue;   // proposedService() reads those
    if (name.startsWith("channels.")) continue;  // proposedChannels() reads those
    const { value, isDefault } = readSetting(wrapper);
    if (name.startsWith("weights.")) {
      if (!isDefault) weights[name.slice("weights.".length)] = value;
    } else if (isDefault) {
      delete overrides[name];
    } else {
      overrides[name] = value;
    }
  }
  delete overrides.weights;
  if (Object.keys(weights).length) overrides.weights = weights;
  const service = proposedService();
  if (service) overrides.service = service; else delete overrides.service;
  const channels = proposedChannels();
  if (channels) overrides.channels = channels; else delete overrides.channels;
  return overrides;
}

function showFieldErrors(errors) {
  let first = null;
  for (const wrapper of document.querySelectorAll("#settings-admin [data-setting]")) {
    const message = errors[wrapper.dataset.setting] || "";
    const input = wrapper.querySelector("input, select");
    setMessage(wrapper.querySelector(".setting__error"), message);
    input.setAttribute("aria-invalid", message ? "true" : "false");
    const folded = wrapper.closest("details");
    if (message && folded) folded.open = true;   // an error is never hidden in a folded part
    if (message && !first) first = input;
  }
  if (first) first.focus();
  return first !== null;
}

// PUT by hand rather than with api(): a refusal carries each field's message (`fields`).
async function save() {
  setMessage($("settings-notice"), "");
  const body = { overrides: proposedOverrides(), comment: $("settings-comment").value,
                 base_version: view.loaded.version };
  let reply;
  try {
    reply = await fetch(SETTINGS, { method: "PUT", credentials: "same-origin",
      headers: { Accept: "application/json", "Content-Type": "application/json" },
      body: JSON.stringify(body) });
  } catch (_networkError) {
    throw new ApiError("Can't reach the server: nothing was saved. Try again.");
  }
  const data = await reply.json().catch(() => ({}));
  if (!reply.ok) {
    const fields = data.fields || {};
    const beside = showFieldErrors(fields);
    const elsewhere = Object.keys(fields).filter((name) =>
      !document.querySelector(`#settings-admin [data-setting="${CSS.escape(name)}"]`));
    if (!beside || elsewhere.length) {
      throw new ApiError(data.error || `${reply.status} ${reply.statusText}`, reply.status);
    }
    tell($("settings-error"), "Nothing was saved: see the messages beside the fields.");
    return;
  }
  showFieldErrors({});
  clearPreview();   // it previewed the settings before this version
  await reload();
  const version = data.version;
  tell($("settings-notice"), version.changes.length
    ? `Saved as version ${version.number}: it applies from the next customer turn.`
    : `Saved as version ${version.number} (nothing changed).`);
}

async function preview() {
  const overrides = proposedOverrides();
  const edits = view.edits;
  const figures = await api("POST", WHAT_IF, { overrides, last: PREVIEW_CONVERSATIONS });
  if (edits !== view.edits) return;   // a field changed meanwhile: these figures are not its
  setMessage($("settings-preview-result"), describePreview(figures));
  showPreviewDetails(figures, overrides);   // reasons, load, changed conversations
}

const percent = (share) => `${(Number(share) * 100).toFixed(1)}%`;

// In words: the handoff rate now and after, how many conversations would go the other way,
// and what that does to the team's load (POST /api/admin/what-if, router/whatif.py).
function describePreview(figures) {
  if (!figures.conversations) {
    return "No stored conversations to replay yet: the preview needs some customers first.";
  }
  const changed = Number(figures.changed_count) || 0;
  const load = figures.queue_load || {};
  const busy = (share) => (share === null || share === undefined ? "unknown" : percent(share));
  return `Replayed the last ${figures.conversations} conversations: handed off now ` +
    `${percent(figures.handoff_rate_now)}, with these settings ` +
    `${percent(figures.handoff_rate_after)}; ${changed} ` +
    `${changed === 1 ? "conversation's" : "conversations'"} handoff would change. ` +
    `The team's load: ${busy(load.load_now)} now, ${busy(load.load_after)} after.` +
    unknownNote(figures);
}

// ---------------------------------------------------------------------------------------
// The history

async function loadOlder() {
  const page = await api("GET", `${VERSIONS}?offset=${view.shown}&limit=${HISTORY_PAGE}`);
  view.total = page.total;
  view.shown += page.versions.length;
  $("settings-history").append(...page.versions.map(historyItem));
  $("settings-more").hidden = view.shown >= view.total;
}

function historyItem(version) {
  const item = el("li", "settings-version");
  item.dataset.version = String(version.number);
  const head = el("div", "settings-version__head");
  head.append(el("strong", "", `Version ${version.number}`));
  const who = version.number ? `${formatWhen(version.at)} · ${version.who}` : "the defaults";
  head.append(el("span", "settings-version__meta", who));
  if (version.number !== view.loaded.version) head.append(restoreButton(version.number));
  else head.append(el("span", "settings-version__now", "in effect"));
  item.append(head);
  if (version.comment && version.number) item.append(el("p", "settings-version__comment",
                                                       version.comment));
  if (version.changes.length) {
    const changes = el("ul", "settings-version__changes");
    changes.append(...version.changes.map((change) => el("li", "",
      `${view.labels.get(change.field) || channelFieldLabel(change.field, view.labels) ||
         change.field}: ` +
      `${shown(change.before, change.field)} → ${shown(change.after, change.field)}`)));
    item.append(changes);
  }
  return item;
}

function restoreButton(number) {
  const button = el("button", "button button--small", "Restore");
  button.type = "button";
  button.setAttribute("aria-label", `Restore version ${number}`);
  button.addEventListener("click", () => askRestore(button, number));
  return button;
}

// A restore replaces every setting, so it is asked first, saying what goes back.
function restoreQuestion(number) {
  return number === 0
    ? "Restore version 0, the defaults? Support hours and team routing go back too."
    : `Restore version ${number}? Every setting goes back to how it was then, support ` +
      "hours, team routing and each channel's own included.";
}

function askRestore(button, number) {
  const item = button.closest("li");
  if (item.querySelector(".settings-version__confirm")) return;
  const ask = el("div", "settings-version__confirm");
  ask.setAttribute("role", "group");
  ask.setAttribute("aria-label", `Restore version ${number}?`);
  const yes = el("button", "button button--small button--primary", `Restore version ${number}`);
  const no = el("button", "button button--small", "Keep the settings");
  yes.type = "button";
  no.type = "button";
  yes.dataset.confirm = "restore";
  ask.append(el("p", "", restoreQuestion(number)), yes, no);
  button.hidden = true;
  item.append(ask);
  yes.focus();
  no.addEventListener("click", () => {
    ask.remove();
    button.hidden = false;
    button.focus();
  });
  yes.addEventListener("click", () => settingsAct(yes, async () => {
    const reply = await api("POST", `${VERSIONS}/${number}/restore`, {});
    clearPreview();
    await reload();
    tell($("settings-notice"),
         `Restored version ${number} as version ${reply.version.number}.`);
  }));
}

// A value in a version's diff: a list, support hours by day ({"monday": "08:00-18:00"}),
// teams by what they take ({"by_intent": {"invoice": "billing"}}), or one value.
function shown(value, field = "") {
  if (Array.isArray(value)) return value.length ? value.join(", ") : "none";
  if (!value || typeof value !== "object") return String(value);
  const entries = Object.entries(value);
  if (!entries.length) return field === "service.hours" ? "closed every day" : "none";
  return entries.map(([name, inner]) => (inner && typeof inner === "object"
    ? `${ROUTING_WORDS[name] || humanize(name)}: ${shown(inner)}`
    : field === "service.hours" ? `${capitalize(name)} ${inner}`
    : `${humanize(name)} → ${inner}`)).join(field === "service.hours" ? ", " : "; ");
}

const ROUTING_WORDS = { by_intent: "by what they wanted", by_signal: "by sign of frustration" };

function formatWhen(seconds) {
  return new Date(seconds * 1000).toLocaleString([], { day: "numeric", month: "short",
    hour: "2-digit", minute: "2-digit" });
}
