// The Settings dialog's "Per channel" section (admins): the channels with settings of their
// own, each with its handoff and flag scores, on top of the general settings for customers
// writing on that channel (router/channel_settings.py); a channel added from the known list
// or by name, and removed. Anything else a channel sets (weights: through the API, or
// `make settings` setting the whole `channels` value) is kept as it is.
//
// The known channels and their names in plain words come from GET /api/admin/settings
// (`channels`); nothing is checked here: the server names each wrong field
// (`channels.<channel>.<field>`), shown beside it by settings.js.

import { $, el } from "./dom.js";
import { settingField } from "./setting_field.js";

// The scores a channel's row edits, in this order (their labels and ranges: the form's own).
const CHANNEL_FIELDS = ["handoff_threshold", "concern_threshold"];
const SHARE_STEP = "0.01";

const section = { known: new Map(), fields: new Map(), general: {}, parts: {} };

export function renderChannels(loaded) {
  section.known = new Map(loaded.channels.known.map((c) => [c.name, c.label]));
  section.fields = new Map(loaded.fields.map((field) => [field.name, field]));
  section.general = Object.fromEntries(loaded.fields.map((field) => [field.name, field.value]));
  section.parts = { ...(loaded.overrides.channels || {}) };
  $("channel-add-known").replaceChildren(...[...section.known].map(([name, label]) => {
    const option = el("option", "", `${capitalize(label)} (${name})`);
    option.value = name;
    return option;
  }));
  $("channel-add-name").value = "";
  $("channel-add-name").maxLength = loaded.channels.limits.name_max_chars;
  $("channel-add").onclick = addChannel;
  $("channel-add-name").onkeydown = (event) => {
    if (event.key !== "Enter") return;
    event.preventDefault();   // Enter adds the channel typed; it does not save the form
    addChannel();
  };
  $("channel-settings").replaceChildren(...Object.keys(section.parts).sort().map(channelRow));
}

// A channel's name as people say it: "Web chat", or the name typed for a channel not known.
export function channelName(channel) {
  return capitalize(section.known.get(channel) || channel);
}

// A version's change of a channel's setting, named for people ("Web chat: Hand off at score"),
// or null for a change of the general settings.
export function channelFieldLabel(field, labels) {
  const match = /^channels\.([^.]+)\.(.+)$/.exec(field);
  if (!match) return null;
  return `${channelName(match[1])}: ${labels.get(match[2]) || match[2]}`;
}

// Each listed channel's own settings as the server stores them (null when none is listed):
// the scores typed where they differ from the general ones or the channel already set them,
// and whatever else the channel sets, untouched.
export function proposedChannels() {
  const rows = [...document.querySelectorAll("#channel-settings [data-channel]")];
  if (!rows.length) return null;
  return Object.fromEntries(rows.map((row) => {
    const channel = row.dataset.channel;
    const part = { ...(section.parts[channel] || {}) };
    for (const input of row.querySelectorAll("input")) {
      const name = input.dataset.field;
      const typed = input.value.trim();
      const value = typed !== "" && Number.isFinite(Number(typed)) ? Number(typed) : typed;
      if (name in part || value !== section.general[name]) part[name] = value;
    }
    return [channel, part];
  }));
}

function addChannel() {
  const channel = $("channel-add-name").value.trim() || $("channel-add-known").value;
  if (!channel) return;
  const existing = document.querySelector(
    `#channel-settings [data-channel="${CSS.escape(channel)}"]`);
  if (existing) {
    existing.querySelector("input").focus();
    return;
  }
  const row = channelRow(channel);
  $("channel-settings").append(row);
  $("channel-add-name").value = "";
  row.querySelector("input").focus();
}

function channelRow(channel) {
  const row = el("div", "settings-grid channel-setting");
  row.dataset.channel = channel;
  const heading = el("strong", "setting__label", channelName(channel));
  heading.id = `channel-${idPart(channel)}-name`;
  row.setAttribute("role", "group");
  row.setAttribute("aria-labelledby", heading.id);
  const remove = el("button", "button button--small", "Remove");
  remove.type = "button";
  remove.setAttribute("aria-label", `Remove the settings of ${channelName(channel)}`);
  remove.addEventListener("click", () => row.remove());
  const own = section.parts[channel] || {};
  row.append(heading, ...CHANNEL_FIELDS.filter((name) => section.fields.has(name))
    .map((name) => scoreField(channel, name, own)), remove);
  return row;
}

function scoreField(channel, name, own) {
  const field = section.fields.get(name);
  const input = el("input", "setting__input");
  const value = name in own ? own[name] : section.general[name];
  Object.assign(input, { id: `channel-${idPart(channel)}-${name}`, type: "number",
                         step: SHARE_STEP, value: String(value), inputMode: "decimal" });
  if (field.minimum !== undefined) input.min = String(field.minimum);
  if (field.maximum !== undefined) input.max = String(field.maximum);
  input.dataset.field = name;
  // settings.js shows the server's message for this field beside it.
  return settingField(`channels.${channel}.${name}`, input, field.label,
                      `In general ${section.general[name]}.`);
}

// A channel's name in an element id (ids hold it as typed, other characters replaced).
const idPart = (channel) => channel.replace(/[^A-Za-z0-9_-]/g, "-");
const capitalize = (text) => (text ? text[0].toUpperCase() + text.slice(1) : text);
