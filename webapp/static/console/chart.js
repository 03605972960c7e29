// The sentiment chart and the assessment per turn, for the open conversation.

import { $, el, formatScore, humanize, num, scoreClass, signed, svg } from "./dom.js";
import { state } from "./state.js";

// Bars per customer turn from the zero line, in [-1, 1], joined by a line to show the trend.
export function drawSentiment() {
  const chart = $("sentiment-chart");
  chart.replaceChildren();
  const width = 300, height = 110, left = 26, right = 8, top = 8, bottom = 8;
  const y = (value) => top + ((1 - Math.max(-1, Math.min(1, value))) / 2) * (height - top - bottom);
  for (const [value, label] of [[1, "+1"], [0, "0"], [-1, "−1"]]) {
    chart.append(svg("line", { x1: left, x2: width - right, y1: y(value), y2: y(value) },
                     value === 0 ? "chart__zero" : "chart__axis"));
    const text = svg("text", { x: 2, y: y(value) + 3 }, "chart__label");
    text.textContent = label;
    chart.append(text);
  }
  const points = state.open ? state.open.sentiment.filter((p) => num(p.sentiment) !== null) : [];
  if (!points.length) {
    const text = svg("text", { x: width / 2, y: height / 2 - 6, "text-anchor": "middle" }, "chart__label");
    text.textContent = "No customer turns scored yet";
    chart.append(text);
    return;
  }
  const step = (width - left - right) / points.length;
  const barWidth = Math.max(2, Math.min(18, step * 0.6));
  const coordinates = points.map((point, index) => [left + step * (index + 0.5), num(point.sentiment)]);
  for (const [index, [x, value]] of coordinates.entries()) {
    const bar = svg("rect", { x: x - barWidth / 2, y: Math.min(y(value), y(0)), width: barWidth,
                              height: Math.max(1, Math.abs(y(value) - y(0))) },
                    value >= 0 ? "chart__bar--up" : "chart__bar--down");
    const title = svg("title");
    title.textContent = `Message ${points[index].message || points[index].turn + 1}: ${signed(value)}`;
    bar.append(title);
    chart.append(bar);
  }
  chart.append(svg("polyline", { points: coordinates.map(([x, v]) => `${x},${y(v)}`).join(" ") },
                   "chart__line"));
  for (const [x, value] of coordinates) chart.append(svg("circle", { cx: x, cy: y(value), r: 2.5 }, "chart__point"));
}

export function renderTimeline(timeline) {
  const list = $("timeline");
  if (!timeline.length) {
    list.replaceChildren(el("li", "empty", "No turns were assessed."));
    return;
  }
  list.replaceChildren(...timeline.map((turn) => {
    const item = el("li", turn.handoff ? "is-handoff" : "");
    const head = el("div", "timeline__head");
    head.append(el("strong", "", `Message ${turn.message || turn.turn + 1}`),
                el("span", scoreClass(turn.score), `score ${formatScore(turn.score)}`));
    if (turn.handoff) head.append(el("span", "priority", "handed off"));
    item.append(head, el("p", "timeline__text", `“${turn.text || ""}”`));
    const signals = Object.entries(turn.signals || {}).sort((a, b) => b[1] - a[1]);
    if (signals.length) {
      const chips = el("ul", "signals");
      chips.append(...signals.map(([name, value]) => el("li", "", `${humanize(name)} ${signed(num(value) || 0)}`)));
      item.append(chips);
    }
    if ((turn.reasons || []).length) {
      const reasons = el("ul", "reasons");
      reasons.append(...turn.reasons.map((reason) => el("li", "", reason)));
      item.append(reasons);
    }
    return item;
  }));
}
