// The dashboard (admins only): how the bot and the team did over a date range, for a channel
// or a team: headline figures, six charts drawn here as inline SVG (handoffs per day by
// reason, the handoff rate per day and per channel, handoffs by team, the median queue wait
// per day and each agent's median handle time), and the CSV download.
//
// Every figure comes from GET /api/admin/analytics, computed on the server
// (router/analytics.py); this module only lays them out. Each chart is an image for screen
// readers (role="img") whose aria-label says its figures in words; each bar or point carries
// its value in data- attributes and a <title>.

import { $, el, svg } from "./dom.js";
import { api } from "./api.js";
import { isAdmin } from "./team.js";

const ANALYTICS = "/api/admin/analytics";
const CSV = "/api/admin/analytics/conversations.csv";
// Chart geometry, in the SVG's own units (it scales to the dialog's width).
const WIDTH = 320, HEIGHT = 150, LEFT = 30, RIGHT = 8, TOP = 10, BOTTOM = 22;
// A picked day as the date inputs give it; the server reads it as the shop's day.
const DAY = /^\d{4}-\d{2}-\d{2}$/;
const NOT_KEPT = "not kept";

// Channels and teams seen in any report this session, for the filters' lists.
const seen = { channels: new Map(), teams: new Set() };

// ---------------------------------------------------------------------------------------
// Opening and closing

export function wireDashboard() {
  $("open-dashboard").addEventListener("click", openDashboard);
  $("dashboard-close").addEventListener("click", closeDashboard);
  $("dashboard-form").addEventListener("submit", (event) => {
    event.preventDefault();
    dashboardAct(event.submitter, load);
  });
  // The download is of what is picked now, shown yet or not.
  for (const kind of ["input", "change"]) $("dashboard-form").addEventListener(kind, followChoices);
  // Offered exactly when Manage team is: to admins (session.js shows and hides that one as
  // the role is known or changes, and on sign-out).
  new MutationObserver(followAdminRole).observe($("manage-team"), { attributes: true,
    attributeFilter: ["hidden"] });
  followAdminRole();
}

function followAdminRole() {
  const admin = !$("manage-team").hidden && isAdmin();
  $("open-dashboard").hidden = !admin;
  if (!admin) closeDashboard();
}

function openDashboard() {
  if (!isAdmin()) return;
  const dialog = $("dashboard");
  if (!dialog.open) dialog.showModal();
  dashboardAct(null, load);
}

export function closeDashboard() {
  const dialog = $("dashboard");
  if (dialog.open) dialog.close();
}

async function dashboardAct(button, action) {
  if (button) button.disabled = true;
  const error = $("dashboard-error");
  error.hidden = true;
  try {
    await action();
  } catch (failure) {
    error.textContent = failure.message;
    error.hidden = false;
  } finally {
    if (button && button.isConnected) button.disabled = false;
  }
}

// ---------------------------------------------------------------------------------------
// The query: the days picked, sent as they are (the server reads them as the shop's days, in
// its time zone, wherever the admin is), channel and team as chosen; empty means the
// server's defaults.

function query() {
  const params = new URLSearchParams();
  const fromDay = $("dashboard-since").value;
  const toDay = $("dashboard-until").value;
  if (DAY.test(fromDay)) params.set("from_day", fromDay);
  if (DAY.test(toDay)) params.set("to_day", toDay);
  for (const name of ["channel", "team"]) {
    const value = $(`dashboard-${name}`).value;
    if (value) params.set(name, value);
  }
  return params;
}

function followChoices() {
  $("dashboard-csv").href = `${CSV}?${query()}`;
}

// Only the latest request draws: an earlier one that answers late is dropped.
let asked = 0;

async function load() {
  const mine = ++asked;
  setLoading(true);
  try {
    const report = await api("GET", `${ANALYTICS}?${query()}`);
    if (mine === asked) show(report);
  } finally {
    if (mine === asked) setLoading(false);
  }
}

function setLoading(on) {
  $("dashboard-loading").textContent = on ? "Loading…" : "";
  $("dashboard-figures").setAttribute("aria-busy", String(on));
}

function show(report) {
  const days = report.range.days;
  if (!$("dashboard-since").value && days.length) $("dashboard-since").value = days[0];
  if (!$("dashboard-until").value && days.length) $("dashboard-until").value = days[days.length - 1];
  followChoices();
  rememberChoices(report);
  renderKept(report);
  renderFigures(report);
  drawReasons(report);
  drawDailyRate(report);
  drawChannels(report);
  drawTeams(report);
  drawWaits(report);
  drawHandleTimes(report);
}

function rememberChoices(report) {
  for (const row of report.handoffs.by_channel) seen.channels.set(row.channel, row.label);
  for (const row of report.handoffs.by_team) if (row.team) seen.teams.add(row.team);
  fillSelect($("dashboard-channel"), [...seen.channels].sort(), "Every channel");
  fillSelect($("dashboard-team"), [...seen.teams].sort().map((team) => [team, team]), "Every team");
}

function fillSelect(select, options, everything) {
  const chosen = select.value;
  const all = el("option", "", everything);
  all.value = "";
  select.replaceChildren(all, ...options.filter(([value]) => value).map(([value, label]) => {
    const option = el("option", "", label);
    option.value = value;
    return option;
  }));
  select.value = chosen;
}

// ---------------------------------------------------------------------------------------
// What Rasa no longer keeps: for days before `conversations_kept_from` the server knows the
// handoffs (the history keeps them a year) but not every conversation, so the figures that
// rest on conversations are null there and shown as "not kept".

const reachesPastKept = (report) => Boolean(report.range.conversations_kept_from) &&
  report.range.days.length > 0 && report.range.days[0] < report.range.conversations_kept_from;

function renderKept(report) {
  const note = $("dashboard-kept");
  note.hidden = !reachesPastKept(report);
  if (note.hidden) return;
  note.textContent = `Rasa keeps a conversation ${report.range.conversations_kept_days} days ` +
    `after its last message: conversations, containment and handoff rates before ` +
    `${report.range.conversations_kept_from} are not kept. Handoffs, waits, handle times, ` +
    "ratings and tickets are there for every day.";
}

// ---------------------------------------------------------------------------------------
// Headline figures

const percent = (share) => (share === null || share === undefined ? "–" : `${Math.round(share * 100)}%`);
// Axis ticks: counts, and times in minutes.
const wholeNumber = (value) => String(Math.round(value * 10) / 10);
const minutes = (value) => `${Math.round(value / 60)}m`;

export function duration(seconds) {
  if (seconds === null || seconds === undefined) return "–";
  if (seconds < 60) return `${Math.round(seconds)} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(seconds / 3600)} h ${Math.round((seconds % 3600) / 60)} min`;
}

function renderFigures(report) {
  const level = report.service_level;
  const csat = report.csat;
  // Conversations have no team; before what Rasa keeps they are not all there.
  const unknown = report.range.team ? "– (per team: not known)" : NOT_KEPT;
  const figures = [
    ["containment", "Containment", report.conversations
      ? `${percent(report.conversations.containment)} of ${report.conversations.total}` : unknown],
    ["handoff-rate", "Handoff rate", report.handoffs.rate === null
      ? `${report.handoffs.total} handoffs${report.range.team ? "" : ` (rate ${NOT_KEPT})`}`
      : `${percent(report.handoffs.rate)} (${report.handoffs.total})`],
    ["wait", "Queue wait p50 / p95", `${duration(report.queue_wait.p50_seconds)} / ${duration(report.queue_wait.p95_seconds)}`],
    ["sla", `Taken within ${duration(level.wait_target_seconds)}`, `${percent(level.share)} (${level.met} of ${level.counted})`],
    ["csat", "Rated Great", csat.count ? `${percent(csat.share_great)} of ${csat.count} (mean ${csat.mean} of 5)` : "no ratings"],
    ["abandoned", "Left waiting", `${percent(report.abandonment.share)} (${report.abandonment.abandoned})`],
    ["handle", "Handle time p50", duration(report.handle_time.p50_seconds)],
    ["with-bot", "With the bot before a handoff (median)", duration(report.time_with_bot.p50_seconds)],
    ["tickets", "Tickets answered", report.tickets
      ? `${report.tickets.answered} of ${report.tickets.opened} (median ${duration(report.tickets.median_answer_seconds)})` : "–"],
  ];
  $("dashboard-figures").replaceChildren(...figures.map(([id, label, value]) => {
    const item = el("div", "figure");
    item.dataset.figure = id;
    item.append(el("dt", "figure__label", label), el("dd", "figure__value", value));
    return item;
  }));
}

// ---------------------------------------------------------------------------------------
// Charts

function frame(chart, label, most, format) {
  chart.replaceChildren();
  chart.setAttribute("viewBox", `0 0 ${WIDTH} ${HEIGHT}`);
  chart.setAttribute("role", "img");
  chart.setAttribute("aria-label", label);
  const y = (value) => TOP + (1 - value / most) * (HEIGHT - TOP - BOTTOM);
  for (const value of [0, most / 2, most]) {
    chart.append(svg("line", { x1: LEFT, x2: WIDTH - RIGHT, y1: y(value), y2: y(value) }, "chart__axis"));
    const text = svg("text", { x: LEFT - 3, y: y(value) + 3, "text-anchor": "end" }, "chart__label");
    text.textContent = format(value);
    chart.append(text);
  }
  return y;
}

function axisLabel(chart, x, text) {
  const label = svg("text", { x, y: HEIGHT - 6, "text-anchor": "middle" }, "chart__label");
  label.textContent = text;
  chart.append(label);
}

function titled(node, text) {
  const title = svg("title");
  title.textContent = text;
  node.append(title);
  return node;
}

const shortDay = (day) => day.slice(5);   // "2024-03-05" -> "03-05"

// Handoffs per day, stacked by reason kind, in the API's order of kinds.
function drawReasons(report) {
  const days = report.handoffs.by_day;
  const kinds = report.kinds;
  const most = Math.max(1, ...days.map((day) => day.handoffs));
  const words = kinds.map(({ kind, label }) => {
    const count = days.reduce((sum, day) => sum + day.by_reason[kind], 0);
    return `${label} ${count}`;
  });
  const chart = $("chart-reasons");
  const y = frame(chart, `Handoffs per day by reason, ${days.length} days: ${words.join(", ")}.`,
                  most, wholeNumber);
  const step = (WIDTH - LEFT - RIGHT) / Math.max(days.length, 1);
  const barWidth = Math.max(1, Math.min(22, step * 0.7));
  days.forEach((day, index) => {
    const x = LEFT + step * (index + 0.5);
    let below = 0;
    kinds.forEach(({ kind, label }, kindIndex) => {
      const count = day.by_reason[kind];
      if (!count) return;
      const bar = svg("rect", { x: x - barWidth / 2, y: y(below + count), width: barWidth,
                                height: y(below) - y(below + count) }, `chart__kind chart__kind--${kindIndex}`);
      Object.assign(bar.dataset, { day: day.day, kind, count: String(count) });
      chart.append(titled(bar, `${day.day}: ${count} ${label}`));
      below += count;
    });
  });
  labelDays(chart, days.map((day) => day.day), step);
  $("legend-reasons").replaceChildren(...kinds.map(({ label }, kindIndex) => {
    const item = el("li");
    item.append(el("span", `legend__swatch chart__kind--${kindIndex}`), el("span", "", label));
    return item;
  }));
}

// A few day labels under the axis: the first, the last and some between, never crowded.
function labelDays(chart, days, step) {
  const every = Math.max(1, Math.ceil(days.length / 6));
  days.forEach((day, index) => {
    if (index % every === 0 || index === days.length - 1) axisLabel(chart, LEFT + step * (index + 0.5), shortDay(day));
  });
}

// ---------------------------------------------------------------------------------------
// The two shapes the other charts share: one bar per row, and one point per day joined by a
// line. Each takes how to read a row: its value, its name under the axis, its data- values
// and its <title>.

// Names under a bar are cut to fit; the full one is in the bar's title and the chart's label.
const AXIS_NAME_CHARS = 10;
const fitName = (name) => (name.length > AXIS_NAME_CHARS ? `${name.slice(0, AXIS_NAME_CHARS - 1)}…` : name);

function drawBars(chart, label, rows, { most, tick, value, name, data, title }) {
  const y = frame(chart, label, most, tick);
  const step = (WIDTH - LEFT - RIGHT) / Math.max(rows.length, 1);
  const barWidth = Math.max(4, Math.min(40, step * 0.6));
  rows.forEach((row, index) => {
    const x = LEFT + step * (index + 0.5);
    const bar = svg("rect", { x: x - barWidth / 2, y: y(value(row)), width: barWidth,
                              height: Math.max(0, y(0) - y(value(row))) }, "chart__rate");
    Object.assign(bar.dataset, data(row));
    chart.append(titled(bar, title(row)));
    axisLabel(chart, x, fitName(name(row)));
  });
}

// Days whose `value` is null (nothing to measure that day) have no point: the line skips them.
function drawDayLine(chart, label, days, { most, tick, value, data, title }) {
  const y = frame(chart, label, most, tick);
  const step = (WIDTH - LEFT - RIGHT) / Math.max(days.length, 1);
  const points = [];
  days.forEach((day, index) => {
    if (value(day) !== null) points.push([LEFT + step * (index + 0.5), y(value(day)), day]);
  });
  if (points.length > 1) {
    chart.append(svg("polyline", { points: points.map(([x, py]) => `${x},${py}`).join(" ") }, "chart__line"));
  }
  for (const [x, py, day] of points) {
    const point = svg("circle", { cx: x, cy: py, r: 3 }, "chart__point");
    Object.assign(point.dataset, data(day));
    chart.append(titled(point, title(day)));
  }
  labelDays(chart, days.map((day) => day.day), step);
  return y;
}

// The handoff rate of each channel (handoffs per conversation).
function drawChannels(report) {
  const channels = report.handoffs.by_channel.filter((row) => row.rate !== null);
  const words = channels.map((row) => `${row.label} ${percent(row.rate)} of ${row.conversations}`);
  const none = report.range.team ? "not known for one team (conversations have no team)"
    : reachesPastKept(report) ? `${NOT_KEPT} before ${report.range.conversations_kept_from}`
      : "no conversations";
  drawBars($("chart-channels"), channels.length
    ? `Handoff rate per channel: ${words.join(", ")}.` : `Handoff rate per channel: ${none}.`,
  channels, {
    most: 1, tick: percent, value: (row) => row.rate, name: (row) => row.label,
    data: (row) => ({ channel: row.channel, rate: String(row.rate) }),
    title: (row) => `${row.label}: ${percent(row.rate)} (${row.handoffs} of ${row.conversations})`,
  });
}

// The handoff rate over time: each day's handoffs per conversation begun that day. The
// server leaves it out (null) for one team, since conversations have no team.
function drawDailyRate(report) {
  const days = report.handoffs.by_day;
  const measured = days.filter((day) => day.rate !== null);
  const unkept = days.filter((day) => day.conversations === null);
  const words = measured.map((day) => `${day.day} ${percent(day.rate)} (${day.handoffs} of ${day.conversations})`);
  const gap = unkept.length ? ` ${unkept[0].day} to ${unkept[unkept.length - 1].day}: ${NOT_KEPT}.` : "";
  const label = report.handoffs.rate === null && report.range.team
    ? "Handoff rate per day: not known for one team (conversations have no team)."
    : measured.length ? `Handoff rate per day, ${days.length} days: ${words.join(", ")}.${gap}`
      : `Handoff rate per day: no conversations.${gap}`;
  const chart = $("chart-rate");
  drawDayLine(chart, label, days, {
    most: Math.max(1, ...measured.map((day) => day.rate)), tick: percent,
    value: (day) => day.rate,
    data: (day) => ({ day: day.day, rate: String(day.rate) }),
    title: (day) => `${day.day}: ${percent(day.rate)} (${day.handoffs} handoffs, ${day.conversations} conversations)`,
  });
  if (unkept.length && !report.range.team) markNotKept(chart, days.length, unkept.length);
}

// The days Rasa no longer keeps (always the first of the range): a shaded span saying so.
function markNotKept(chart, dayCount, unkeptCount) {
  const step = (WIDTH - LEFT - RIGHT) / Math.max(dayCount, 1);
  const width = step * unkeptCount;
  const span = svg("rect", { x: LEFT, y: TOP, width, height: HEIGHT - TOP - BOTTOM }, "chart__not-kept");
  span.dataset.days = String(unkeptCount);
  chart.append(titled(span, `Rasa no longer keeps these days' conversations`));
  const words = svg("text", { x: LEFT + width / 2, y: TOP + 12, "text-anchor": "middle" }, "chart__label");
  words.textContent = NOT_KEPT;
  chart.append(words);
}

const teamName = (row) => row.team || "no team";

// How many handoffs each team's queue received (those for any agent: "no team").
function drawTeams(report) {
  const teams = report.handoffs.by_team;
  const words = teams.map((row) => `${teamName(row)} ${row.handoffs}`);
  drawBars($("chart-teams"), teams.length
    ? `Handoffs by team: ${words.join(", ")}.` : "Handoffs by team: no handoffs.", teams, {
    most: Math.max(1, ...teams.map((row) => row.handoffs)), tick: wholeNumber,
    value: (row) => row.handoffs, name: teamName,
    data: (row) => ({ team: row.team || "", handoffs: String(row.handoffs) }),
    title: (row) => `${teamName(row)}: ${row.handoffs} handoffs`,
  });
}

// The queue wait per day: median (line and points) on days with a wait; the target dashed.
function drawWaits(report) {
  const days = report.queue_wait.by_day;
  const target = report.service_level.wait_target_seconds;
  const waited = days.filter((day) => day.count > 0);
  const words = waited.map((day) => `${day.day} ${duration(day.p50_seconds)}`);
  const chart = $("chart-wait");
  const y = drawDayLine(chart, waited.length
    ? `Median queue wait per day (target ${duration(target)}): ${words.join(", ")}.`
    : "Median queue wait per day: nobody was taken from the queue.", days, {
    most: Math.max(target, ...waited.map((day) => day.p50_seconds)) * 1.1, tick: minutes,
    value: (day) => (day.count ? day.p50_seconds : null),
    data: (day) => ({ day: day.day, seconds: String(day.p50_seconds) }),
    title: (day) => `${day.day}: median ${duration(day.p50_seconds)}, p95 ${duration(day.p95_seconds)} (${day.count} taken)`,
  });
  chart.append(titled(svg("line", { x1: LEFT, x2: WIDTH - RIGHT, y1: y(target), y2: y(target) },
                          "chart__target"), `Target: ${duration(target)}`));
}

// Each agent's median handle time (claimed to ended), named as the team knows them.
const agentName = (row) => row.name || "unknown agent";

function drawHandleTimes(report) {
  const agents = report.handle_time.by_agent;
  const words = agents.map((row) => `${agentName(row)} ${duration(row.p50_seconds)} (${row.count} handled)`);
  drawBars($("chart-handle"), agents.length
    ? `Median handle time per agent: ${words.join(", ")}.`
    : "Median handle time per agent: nobody handled a handoff.", agents, {
    most: Math.max(60, ...agents.map((row) => row.p50_seconds)) * 1.1, tick: minutes,
    value: (row) => row.p50_seconds, name: agentName,
    data: (row) => ({ agent: row.agent_id || "", name: agentName(row), seconds: String(row.p50_seconds) }),
    title: (row) => `${agentName(row)}: median ${duration(row.p50_seconds)}, p95 ${duration(row.p95_seconds)} (${row.count} handled)`,
  });
}
