// The workshop page: controls built from /api/controls, answers from /api/run; what it
// lists (tables, metrics, kinds) comes from the server's declarations, never from here.
// Its state lives in the address (?scenario=NAME&set=KEY=VALUE&...), so a link restores
// the view and the back button steps through changes. Nothing here loads from elsewhere.
"use strict";

const page = {
  scenario: "", sets: new Map(), controls: [], original: new Map(), info: null, also: [],
  client: Math.random().toString(36).slice(2), change: 0, shown: 0, lastKey: "", keepError: false,
};
const $ = (id) => document.getElementById(id);

function fmt(value, unit) {
  if (value === null || value === undefined) return "–";
  if (unit === "share") return (100 * value).toFixed(1) + "%";
  if (unit === "days") return value.toFixed(1) + " days";
  if (unit === "dollars") {
    const size = Math.abs(value);
    for (const [scale, word] of [[1e12, "trillion"], [1e9, "billion"], [1e6, "million"]]) {
      if (size >= scale) return "$" + (value / scale).toFixed(1) + " " + word;
    }
    return "$" + Math.round(value).toLocaleString("en-US");
  }
  const n = Math.round(value);
  return (n === 0 ? 0 : n).toLocaleString("en-US");
}
function signed(value, unit) {
  if (value === null || value === undefined) return "–";
  const text = fmt(Math.abs(value), unit);
  return (Math.round(value * 100) === 0 ? "+" : value > 0 ? "+" : "−") + text;
}

// At most this many scenarios side by side, the page's own first.
const SIDE_BY_SIDE = 4;

function query(extra, withAlso) {
  const q = new URLSearchParams();
  q.set("scenario", page.scenario);
  for (const [k, v] of page.sets) q.append("set", `${k}=${v}`);
  if (withAlso) for (const name of page.also) q.append("also", name);
  if (withAlso && page.presenter) q.set("view", "presenter");
  if (withAlso && page.story) { q.set("story", page.story.name); q.set("step", String(page.step)); }
  for (const [k, v] of Object.entries(extra || {})) q.set(k, v);
  return q;
}

function readAddress() {
  const q = new URLSearchParams(location.search);
  page.scenario = q.get("scenario") || page.info.baseline;
  if (!page.info.scenarios.some((s) => s.name === page.scenario)) {
    showError(`No scenario named “${page.scenario}” is offered here; showing the baseline.`);
    page.scenario = page.info.baseline;
    page.keepError = true;
  }
  presenter(q.get("view") === "presenter");
  page.story = (page.info.stories || []).find((st) => st.name === q.get("story")) || null;
  page.step = page.story ? Math.min(Math.max(Number(q.get("step")) || 0, 0),
                                    page.story.views.length - 1) : 0;
  page.also = q.getAll("also").filter((n) => page.info.scenarios.some((s) => s.name === n))
    .slice(0, SIDE_BY_SIDE - 1);
  page.sets = new Map();
  for (const text of q.getAll("set")) {
    const at = text.indexOf("=");
    if (at > 0) page.sets.set(text.slice(0, at).trim(), text.slice(at + 1).trim());
  }
}

function writeAddress(push) {
  const url = "/?" + query(null, true).toString();
  if (push) history.pushState(null, "", url); else history.replaceState(null, "", url);
}

async function getJSON(url, options) {
  const response = await fetch(url, options);
  let body = {};
  try { body = await response.json(); } catch (e) { body = {}; }
  return { status: response.status, body };
}

// A control's widget, by the kind of its value (the server says which): a switch, a
// choice, a date, a slider beside its number, a number within its bounds, or a
// distribution as its parts (low, likely, high...) with a preview. Never TOML text.
function numberBox(c, value, id) {
  const input = document.createElement("input");
  input.type = "number";
  input.step = c.step === undefined ? "any" : String(c.step);
  if (c.min !== undefined && c.min !== null) input.min = String(c.min);
  if (c.max !== undefined && c.max !== null) input.max = String(c.max);
  input.value = value;
  input.id = id;
  return input;
}

// A distribution's parts as TOML, for the server (the person sees only the boxes).
function distributionText(c, box) {
  const parts = c.parts.map((p) => `${p.name} = ${box.querySelector(`[data-part="${p.name}"]`).value.trim()}`);
  const per = c.per ? `, per = "${c.per}"` : "";
  return `{ dist = "${c.dist}", ${parts.join(", ")}${per} }`;
}

function partsOf(text) {
  const found = new Map();
  for (const m of text.matchAll(/(\w+)\s*=\s*"?([^,}"]+)"?/g)) found.set(m[1], m[2].trim());
  return found;
}

function preview(c, box) {
  const v = new Map(c.parts.map((p) => [p.name, Number(box.querySelector(`[data-part="${p.name}"]`).value)]));
  const svg = box.querySelector("svg");
  const lo = v.get("low"), hi = v.get("high"), mode = v.get("mode");
  let points = "";
  if (c.dist === "uniform" && hi > lo) points = "0,20 0,2 60,2 60,20";
  if (c.dist === "triangular" && hi > lo) points = `0,20 ${60 * (mode - lo) / (hi - lo)},2 60,20`;
  svg.querySelector("polygon").setAttribute("points", points);
  const words = [...v].map(([k, x]) => `${(c.parts.find((p) => p.name === k) || {}).label} ${x.toLocaleString("en-US")}`);
  box.querySelector(".preview-text").textContent = `${c.dist}: ${words.join(", ")}`;
}

function controlInput(c, value) {
  let input;
  if (c.widget === "switch") {
    input = document.createElement("input");
    input.type = "checkbox";
    input.setAttribute("role", "switch");
    input.checked = value === "true";
  } else if (c.widget === "choice") {
    input = document.createElement("select");
    for (const choice of c.choices) {
      const option = document.createElement("option");
      option.value = choice;
      option.textContent = choice.replaceAll('"', "");
      input.append(option);
    }
    input.value = value;
  } else if (c.widget === "date") {
    input = document.createElement("input");
    input.type = "date";
    input.value = value.slice(0, 10);
  } else if (c.widget === "distribution" && c.parts && c.parts.length) {
    const box = document.createElement("div");
    box.className = "distribution";
    box.id = "c-" + c.key;
    box.dataset.key = c.key;
    const given = partsOf(value);
    for (const p of c.parts) {
      const label = document.createElement("label");
      label.className = "part";
      label.textContent = p.label + " ";
      const part = numberBox(c, given.has(p.name) ? given.get(p.name) : String(p.value),
                             `c-${c.key}.${p.name}`);
      part.dataset.part = p.name;
      part.addEventListener("change", () => { preview(c, box); onChange(c, part, distributionText(c, box)); });
      label.append(part);
      box.append(label);
    }
    const shape = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    shape.setAttribute("viewBox", "0 0 60 22");
    shape.setAttribute("aria-hidden", "true");
    shape.append(document.createElementNS("http://www.w3.org/2000/svg", "polygon"));
    const words = document.createElement("span");
    words.className = "preview-text";
    const view = document.createElement("div");
    view.className = "preview";
    view.append(shape, words);
    box.append(view);
    preview(c, box);
    return box;
  } else if (c.widget === "distribution") {
    input = document.createElement("output");
    input.textContent = c.input ? `the shared input “${c.input}”` : value;
    input.id = "c-" + c.key;
    return input;
  } else if (c.widget === "slider" || c.widget === "stepper") {
    input = numberBox(c, value, "c-" + c.key);
    if (c.widget === "slider") {
      const wrap = document.createElement("div");
      wrap.className = "slider";
      const range = document.createElement("input");
      range.type = "range";
      range.min = "0"; range.max = "1"; range.step = "0.01";
      range.value = value === "" ? "0" : value;
      range.setAttribute("aria-label", c.label.split(" (")[0]);
      range.addEventListener("input", () => { input.value = range.value; });
      range.addEventListener("change", () => onChange(c, input));
      input.addEventListener("change", () => { range.value = input.value; });
      input.dataset.key = c.key;
      input.addEventListener("change", () => onChange(c, input));
      wrap.append(range, input);
      return wrap;
    }
  } else {
    input = document.createElement("input");
    input.type = "text";
    input.value = value;
  }
  input.id = "c-" + c.key;
  input.dataset.key = c.key;
  input.addEventListener("change", () => onChange(c, input));
  return input;
}

function controlBox(c) {
  const div = document.createElement("div");
  div.className = "control";
  div.dataset.key = c.key;
  div.dataset.role = "control";
  const label = document.createElement(c.widget === "distribution" ? "span" : "label");
  label.className = "label";
  if (c.widget !== "distribution") label.htmlFor = "c-" + c.key;
  label.textContent = `${c.label} `;
  const unit = document.createElement("span");
  unit.className = "unit";
  unit.textContent = c.unit ? `(${c.unit})` : "";
  label.append(unit);
  const value = page.sets.has(c.key) ? page.sets.get(c.key) : c.value;
  const input = controlInput(c, value);
  const note = document.createElement("p");
  note.className = "note";
  note.textContent = (c.note || "no note: an assumption") + (c.source ? ` — ${c.source}` : "");
  const from = document.createElement("p");
  from.className = "changed-from";
  const message = document.createElement("p");
  message.className = "message";
  message.dataset.role = "error";
  message.setAttribute("role", "alert");
  message.hidden = true;
  div.append(label, input, from, message, note);
  return div;
}

function fieldset(parent, legendText) {
  const fs = document.createElement("fieldset");
  const legend = document.createElement("legend");
  legend.textContent = legendText;
  fs.append(legend);
  parent.append(fs);
  return fs;
}

// The handful of levers the question is about first; every value one fold away, by part
// of the case and then by rule, request or stage, in words.
function buildControls() {
  const form = $("controls");
  form.replaceChildren();
  const plain = page.controls.filter((c) => c.plain);
  if (plain.length) {
    const fs = fieldset(form, "What this question turns on");
    for (const c of plain) {
      const box = controlBox(c);
      const where = document.createElement("p");
      where.className = "where";
      where.textContent = c.group;
      box.insertBefore(where, box.firstChild);
      fs.append(box);
    }
  }
  const fold = document.createElement("details");
  fold.id = "every-value";
  const summary = document.createElement("summary");
  const rest = page.controls.filter((c) => !c.plain);
  summary.textContent = `Every other value (${rest.length}), by part of the case`;
  fold.append(summary);
  form.append(fold);
  const sections = new Map();
  const groups = new Map();
  for (const c of rest) {
    if (!sections.has(c.section)) {
      const h = document.createElement("h3");
      h.textContent = c.section;
      fold.append(h);
      sections.set(c.section, h);
    }
    if (!groups.has(c.group)) groups.set(c.group, fieldset(fold, c.group));
    groups.get(c.group).append(controlBox(c));
  }
  for (const c of page.controls) markChanged(c.key);
  // A changed value folded away is shown: the fold opens.
  if (rest.some((c) => page.sets.has(c.key))) fold.open = true;
}

function markChanged(key) {
  const div = document.querySelector(`.control[data-key="${CSS.escape(key)}"]`);
  if (!div) return;
  const changed = page.sets.has(key);
  div.classList.toggle("changed", changed);
  const c = page.controls.find((x) => x.key === key);
  div.querySelector(".changed-from").textContent =
    changed ? `changed from ${before(c)} in ${page.scenario}` : "";
}

// What a control takes, in the room's words: "notice window: a number of hours, for
// example 72".
function allowed(c, part) {
  const unit = c.unit ? ` of ${c.unit}` : "";
  const of = part ? (c.parts || []).find((p) => p.name === part) : null;
  const name = c.label.split(" (")[0] + (of ? `, ${of.label}` : "");
  return `${name}: a number${unit}, for example ${of ? of.value : page.original.get(c.key)}`;
}

// What a control held before the change, in words.
function before(c) {
  if (c.widget !== "distribution" || !c.parts) return page.original.get(c.key);
  return `${c.dist} ` + c.parts.map((p) => `${p.label} ${p.value.toLocaleString("en-US")}`).join(", ");
}

function onChange(c, input, composed) {
  if (input.type === "number" && (input.validity.badInput || input.value.trim() === "")) {
    // Not a number: nothing runs, and the last good answer stays.
    showError(allowed(c, input.dataset.part), c.key);
    $("status").textContent = "The last good result is still shown.";
    return;
  }
  const value = composed !== undefined ? composed
    : input.type === "checkbox" ? String(input.checked) : input.value.trim();
  if (value === page.original.get(c.key) || value === "") page.sets.delete(c.key);
  else page.sets.set(c.key, value);
  markChanged(c.key);
  writeAddress(true);
  run(c.key);
}

function showError(text, key) {
  for (const m of document.querySelectorAll(".control .message")) m.hidden = true;
  $("error").hidden = !text;
  $("error").textContent = text || "";
  if (text && key) {
    const div = document.querySelector(`.control[data-key="${CSS.escape(key)}"]`);
    if (div) {
      const m = div.querySelector(".message");
      m.textContent = text;
      m.hidden = false;
    }
  }
}

// The headline's paired difference from the baseline, in its unit.
function differenceText(answer) {
  const metric = answer.headline.metric;
  const own = answer.difference.find((d) => d.metric === metric);
  const unit = (answer.stats.find((row) => row.metric === metric) || {}).unit;
  return `Difference from ${answer.baseline.title}: ${signed(own ? own.diff_mean : null, unit)}`;
}

function render(answer) {
  document.body.dataset.scenario = answer.scenario;
  $("asked").textContent = answer.question;
  $("lead").textContent = answer.headline.value;
  // The baseline unchanged is not set against itself.
  $("difference").textContent = answer.scenario !== page.info.baseline || page.sets.size
    ? differenceText(answer) : "";
  $("sentence").textContent = answer.sentence;
  $("basis").textContent = answer.basis;
  $("basis").hidden = !answer.basis;
  $("assumes-list").replaceChildren(...answer.assumes.map((a) => {
    const item = document.createElement("li");
    const key = document.createElement("code");
    key.textContent = a.key;
    item.append(key, ` = ${a.value}: ${a.why}`);
    return item;
  }));
  const share = answer.share_with_disclosure;
  $("share").textContent = `Histories with a disclosure: ${share.text} ` +
    `(${fmt(share.share, "share")}; 95% CI ${fmt(share.ci95_low, "share")} to ${fmt(share.ci95_high, "share")})`;
  for (const el of document.querySelectorAll(".base-title")) el.textContent = answer.baseline.title;
  const diffs = new Map(answer.difference.map((d) => [d.metric, d]));
  const body = document.querySelector("#headline tbody");
  body.replaceChildren();
  for (const metric of answer.metrics) {
    const s = answer.stats.find((row) => row.metric === metric);
    if (!s || s.replications === 0) continue;
    const d = diffs.get(metric);
    const tr = document.createElement("tr");
    tr.dataset.metric = metric;
    const cells = [
      [answer.labels[metric] || metric, ""],
      [fmt(s.mean, s.unit), "num mean"],
      [`${fmt(s.ci95_low, s.unit)} to ${fmt(s.ci95_high, s.unit)}`, "num"],
      [`${fmt(s.p05, s.unit)} to ${fmt(s.p95, s.unit)}`, "num"],
      [d && d.diff_replications ? `${signed(d.diff_mean, s.unit)} (${signed(d.diff_ci95_low, s.unit)} to ${signed(d.diff_ci95_high, s.unit)})` : "–", "num diff"],
    ];
    for (const [text, cls] of cells) {
      const td = document.createElement("td");
      td.textContent = text;
      if (cls) td.className = cls;
      tr.append(td);
    }
    body.append(tr);
  }
  draw($("chart-page"), answer.chart);
  chartData($("chart-data"), answer);
  $("reps").textContent = answer.replications;
  $("download").href = "/api/scenario.toml?" + query().toString();
}

// A quick answer (the room kept every worker busy) is asked for again once its
// participant has paused this long, then twice as long, a few times at most.
const WHOLE_ANSWER_PAUSE_MS = 4000;
const WHOLE_ANSWER_TRIES = 3;

async function run(changedKey, again = 0) {
  const number = ++page.change;
  if (!again) {
    $("results").classList.add("busy");
    $("status").textContent = "Running…";
  }
  const q = query({ client: page.client, change: String(number) });
  const { status, body } = await getJSON("/api/run?" + q.toString());
  if (number !== page.change && status !== 200) return;
  if (status === 409) return;
  if (number < page.shown) return;
  $("results").classList.remove("busy");
  if (status !== 200) {
    $("status").textContent = "The last good result is still shown.";
    const key = changedKey || guessKey(body.error);
    showError(inWords(body.error || `the server answered ${status}`, key), key);
    return;
  }
  page.shown = number;
  if (page.keepError) page.keepError = false; else showError("");
  render(body);
  verdict(number);
  sideBySide(body);
  $("status").textContent = `${body.title}: ${body.replications} replications, seed ${body.seed}` +
    (page.sets.size ? `, ${page.sets.size} change${page.sets.size > 1 ? "s" : ""}` : "") +
    (body.quick ? ` (a quick answer while the room is busy: ${body.replications} of ` +
                  `${body.asked_replications} histories; the rest follow when you pause)` : "");
  document.body.dataset.shown = String(number);
  document.body.dataset.quick = body.quick ? "true" : "false";
  if (body.quick && again < WHOLE_ANSWER_TRIES) {
    setTimeout(() => { if (page.change === number) run(changedKey, again + 1); },
               WHOLE_ANSWER_PAUSE_MS * 2 ** again);
  }
}

// The command line's line ("flowsim: error: --set: notice.0.hours: must not be
// negative") said beside its control in the control's words ("notice window: must not be
// negative").
function inWords(text, key) {
  const c = page.controls.find((x) => x.key === key);
  if (!c || !text) return text;
  const at = text.indexOf(key + ":");
  const reason = at >= 0 ? text.slice(at + key.length + 1).trim() : text.replace(/^flowsim: error: /, "");
  return `${c.label.split(" (")[0]}: ${reason}`;
}

// The answer across what the record leaves open: a small exploration, its size said.
async function verdict(number) {
  $("verdict").textContent = "Exploring what the record leaves open…";
  delete $("verdict").dataset.verdict;
  const { status, body } = await getJSON("/api/verdict?" +
    query({ client: page.client, change: String(number) }).toString());
  if (number !== page.shown) return;
  if (status !== 200) { $("verdict").textContent = ""; return; }
  $("verdict").textContent = body.verdict
    ? `${body.text[0].toUpperCase()}${body.text.slice(1)} (${body.size}).` : body.text;
  $("verdict").dataset.verdict = body.verdict || "";
}

function guessKey(text) {
  if (!text) return "";
  const hit = page.controls.find((c) => text.includes(c.key));
  return hit ? hit.key : "";
}

// The chart's one definition (Vega-Lite, made by the server with its data) drawn here,
// without generating code: expressions are interpreted (vega-interpreter).
function panels(spec) { return spec.vconcat || [spec]; }

function highest(spec) {
  const rows = panels(spec)[0].data.values;
  return Math.max(1, ...rows.flatMap((r) => Object.entries(r)
    .filter(([k, v]) => k !== "date" && typeof v === "number").map(([, v]) => v)));
}

// Vega-Lite's "container" width is not measured under the page's content security policy:
// each panel takes the element's own width, less room for the records axis and its title.
function fitted(spec, element) {
  const room = element.clientWidth || element.parentElement.clientWidth;
  for (const p of panels(spec)) if (p.width === "container") p.width = Math.max(240, room - 110);
}

function draw(element, spec, top) {
  element.drawn = { spec, top };
  const shown = JSON.parse(JSON.stringify(spec));
  fitted(shown, element);
  if (top) {
    for (const layer of panels(shown)[0].layer) {
      // Records axes only: a label placed in pixels (no scale) stays where it is.
      const y = layer.encoding && layer.encoding.y;
      if (y && y.scale !== null) y.scale = { domain: [0, top] };
    }
  }
  vegaEmbed(element, shown, { renderer: "svg", actions: false, ast: true,
                              expr: vegaInterpreter.expressionInterpreter })
    .then(() => { if (element.id === "chart-page") viewFile(); })
    .catch((error) => { element.textContent = `The chart could not be drawn: ${error}`; });
}

// A window that changes width draws each chart again at its new width.
let resizing = 0;
window.addEventListener("resize", () => {
  clearTimeout(resizing);
  resizing = setTimeout(() => {
    for (const el of document.querySelectorAll("[data-role=chart]")) {
      if (el.drawn) draw(el, el.drawn.spec, el.drawn.top);
    }
  }, 250);
});

// The view as one HTML file that works offline: the answer, the chart as drawn (SVG),
// the table and the side-by-side, with the page's styles and no script.
function viewFile() {
  const link = $("view-file");
  const style = [...document.styleSheets].flatMap((sheet) => {
    try { return [...sheet.cssRules].map((r) => r.cssText); } catch (e) { return []; }
  }).join("\n");
  const parts = ["story", "answer", "side-by-side"].map((id) => $(id))
    .filter((el) => el && !el.hidden).map((el) => el.outerHTML);
  const chart = $("chart-page").innerHTML;
  const table = document.querySelector(".table-wrap").outerHTML;
  const title = document.title.replace(/[<>&]/g, "");
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8">` +
    `<meta name="viewport" content="width=device-width, initial-scale=1"><title>${title}</title>` +
    `<style>${style}</style></head><body><main id="results">${parts.join("")}` +
    `<figure><div class="chart">${chart}</div></figure>${table}` +
    `<p class="muted">${$("status").textContent.replace(/[<>&]/g, "")}; made with flowsim.</p>` +
    `</main></body></html>`;
  link.href = "data:text/html;charset=utf-8," + encodeURIComponent(html);
  link.download = `${page.scenario}-view.html`;
}

// The data behind the chart, as a CSV file the link downloads.
function chartData(link, answer) {
  const rows = panels(answer.chart)[0].data.values;
  const columns = Object.keys(rows[0] || {});
  const quote = (v) => (v === null || v === undefined ? "" : /[",\n]/.test(String(v))
    ? `"${String(v).replaceAll('"', '""')}"` : String(v));
  const text = [columns.map(quote).join(","), ...rows.map((r) => columns.map((c) => quote(r[c])).join(","))].join("\n") + "\n";
  // A data: address: the page's security policy lets nothing else be fetched or made.
  link.href = "data:text/csv;charset=utf-8," + encodeURIComponent(text);
  link.download = `${answer.scenario}-chart.csv`;
}

// Up to four scenarios as columns: this one as changed, then each set beside it as its
// file has it; each with its headline, difference, sentence and chart.
function column(answer, removable) {
  const col = document.createElement("article");
  col.className = "column";
  col.dataset.scenario = answer.scenario;
  const h = document.createElement("h3");
  h.textContent = answer.title;
  const value = document.createElement("p");
  value.className = "lead";
  value.textContent = answer.headline.value;
  const diff = document.createElement("p");
  diff.className = "difference";
  diff.textContent = differenceText(answer);
  const sentence = document.createElement("p");
  sentence.textContent = answer.sentence;
  const chart = document.createElement("div");
  chart.className = "chart";
  chart.dataset.role = "chart";
  col.append(h, value, diff, sentence, chart);
  col.chart = answer.chart;
  if (removable) {
    const remove = document.createElement("button");
    remove.type = "button";
    remove.textContent = `Take away ${answer.title}`;
    remove.addEventListener("click", () => {
      page.also = page.also.filter((n) => n !== answer.scenario);
      writeAddress(true);
      sideBySide(page.mine);
    });
    col.append(remove);
  }
  return col;
}

async function sideBySide(mine) {
  page.mine = mine;
  const section = $("side-by-side");
  section.hidden = page.also.length === 0;
  if (section.hidden) return;
  const others = await Promise.all(page.also.map((name) =>
    getJSON("/api/run?" + new URLSearchParams({ scenario: name }).toString())));
  const columns = section.querySelector(".columns");
  columns.replaceChildren(column(mine, false),
    ...others.filter((r) => r.status === 200).map((r) => column(r.body, true)));
  // On shared axes: every column's records axis runs to the highest of them.
  const top = Math.max(...[...columns.children].map((c) => highest(c.chart)));
  for (const c of columns.children) draw(c.querySelector("[data-role=chart]"), c.chart, top);
}

// The projector's view: the answer and the side-by-side in large type, nothing else.
function presenter(on) {
  page.presenter = on;
  document.body.classList.toggle("presenter", on);
  $("presenter").setAttribute("aria-pressed", String(on));
  $("presenter").textContent = on ? "Leave presenter view" : "Presenter view";
}

// A story: the facilitator steps through its views (and the room's pages that follow
// go where it goes); anyone can step on their own.
function showStory() {
  const section = $("story");
  section.hidden = !page.story;
  if (!page.story) return;
  const view = page.story.views[page.step];
  $("story-title").textContent = page.story.title;
  $("story-step").textContent = `view ${page.step + 1} of ${page.story.views.length}`;
  $("story-note").textContent = view.note;
  $("story-back").disabled = page.step === 0;
  $("story-next").disabled = page.step === page.story.views.length - 1;
}

async function goStep(step, following) {
  const view = page.story.views[step];
  page.step = step;
  page.scenario = view.scenario;
  page.sets = new Map(view.set.map((t) => [t.slice(0, t.indexOf("=")), t.slice(t.indexOf("=") + 1)]));
  page.also = [...view.also];
  writeAddress(true);
  showStory();
  if (page.info.facilitator && !following && !$("story-follow").checked) {
    getJSON("/api/story", { method: "POST", headers: { "Content-Type": "application/json" },
                            body: JSON.stringify({ story: page.story.name, step }) });
  }
  await loadScenario();
}

async function follow() {
  if (!page.story || !$("story-follow").checked) return;
  const { status, body } = await getJSON("/api/story?" + new URLSearchParams({ story: page.story.name }));
  if (status === 200 && body.step !== page.step) await goStep(body.step, true);
}

async function combineWith() {
  const other = $("with").value;
  const { status, body } = await getJSON("/api/combine?" + new URLSearchParams(
    { scenario: page.scenario, with: other }).toString());
  const message = $("combine-error");
  if (status !== 200) {
    message.textContent = body.error || `the server answered ${status}`;
    message.hidden = false;
    return;
  }
  message.hidden = true;
  for (const text of body.sets) {
    const at = text.indexOf("=");
    page.sets.set(text.slice(0, at), text.slice(at + 1));
  }
  writeAddress(true);
  await loadScenario();
}

function offerOthers() {
  for (const [id, filter] of [["also", () => true], ["with", (s) => !s.gallery]]) {
    const select = $(id);
    select.replaceChildren(...page.info.scenarios
      .filter((s) => s.name !== page.scenario && filter(s)).map((s) => {
        const option = document.createElement("option");
        option.value = s.name;
        option.textContent = s.title;
        return option;
      }));
  }
}

async function loadScenario() {
  offerOthers();
  $("question").textContent = (page.info.scenarios.find((s) => s.name === page.scenario) || {}).question || "";
  $("scenario").value = page.scenario;
  const { status, body } = await getJSON("/api/controls?" + new URLSearchParams({ scenario: page.scenario }));
  if (status !== 200) { showError(body.error || `the server answered ${status}`); return; }
  page.controls = body.controls;
  page.original = new Map(body.controls.map((c) => [c.key, c.value]));
  buildControls();
  await run(guessKey([...page.sets.keys()].join(" ")));
}

// One glossary, declared on the server (the report and the docs use it too); a link to a
// term opens it at the term.
function showGlossary(rows) {
  $("glossary-list").replaceChildren(...rows.flatMap((t) => {
    const dt = document.createElement("dt");
    dt.id = t.anchor;
    dt.textContent = t.term;
    const dd = document.createElement("dd");
    dd.textContent = t.meaning;
    return [dt, dd];
  }));
  document.addEventListener("click", (event) => {
    const link = event.target.closest('a[href^="#g-"], a[href="#glossary"]');
    if (link) $("glossary").open = true;
  });
}

async function listScenarios() {
  const { body } = await getJSON("/api/scenarios");
  page.info = body;
  showGlossary(body.glossary || []);
  const select = $("scenario");
  select.replaceChildren();
  for (const s of body.scenarios) {
    const option = document.createElement("option");
    option.value = s.name;
    option.textContent = s.gallery ? `${s.title} (gallery)` : s.title;
    select.append(option);
  }
  $("gallery").hidden = !body.gallery;
}

async function saveToGallery() {
  // A saved scenario is read by the room under its title: the page asks for one, offering
  // the title that says the change.
  const title = $("gallery-title").value.trim();
  if (!title) {
    $("gallery-title").value = $("status").textContent.split(":")[0];
    $("gallery-status").textContent = "Give it the title the room will read: change the one offered, or save it as it is.";
    $("gallery-title").focus();
    return;
  }
  // A JSON body: only this page's own origin can send one (see the server's room rules).
  const doc = { scenario: page.scenario, set: [...page.sets].map(([k, v]) => `${k}=${v}`),
                name: $("gallery-name").value, title };
  const { status, body } = await getJSON("/api/gallery", {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(doc) });
  $("gallery-status").textContent = status === 200 ? `Saved as ${body.saved}.` : body.error;
  if (status === 200) { await listScenarios(); $("scenario").value = page.scenario; }
}

async function showRoom() {
  const { status, body } = await getJSON("/api/room");
  if (status !== 200 || !body.network) return;
  $("room-address").textContent = body.address;
  $("room-code").textContent = body.code;
  // The QR code is SVG made by the server from its own address: no user text in it.
  $("room-qr").innerHTML = body.qr;
  $("room").hidden = false;
}

async function start() {
  await listScenarios();
  showRoom();
  readAddress();
  writeAddress(false);
  $("scenario").addEventListener("change", () => {
    page.scenario = $("scenario").value;
    page.sets = new Map();
    writeAddress(true);
    loadScenario();
  });
  $("reset").addEventListener("click", () => {
    page.sets = new Map();
    writeAddress(true);
    loadScenario();
  });
  $("save").addEventListener("click", saveToGallery);
  $("add-beside").addEventListener("click", () => {
    const name = $("also").value;
    if (!name || page.also.includes(name) || page.also.length >= SIDE_BY_SIDE - 1) return;
    page.also.push(name);
    writeAddress(true);
    sideBySide(page.mine);
  });
  $("combine").addEventListener("click", combineWith);
  $("stories").hidden = !(page.info.stories || []).length;
  $("story-pick").replaceChildren(...(page.info.stories || []).map((st) => {
    const option = document.createElement("option");
    option.value = st.name;
    option.textContent = st.title;
    return option;
  }));
  $("story-start").addEventListener("click", () => {
    page.story = page.info.stories.find((st) => st.name === $("story-pick").value);
    goStep(0);
  });
  $("story-back").addEventListener("click", () => goStep(page.step - 1));
  $("story-next").addEventListener("click", () => goStep(page.step + 1));
  $("story-end").addEventListener("click", () => { page.story = null; writeAddress(true); showStory(); });
  setInterval(follow, 2000);
  showStory();
  $("presenter").addEventListener("click", () => {
    presenter(!page.presenter);
    writeAddress(true);
  });
  window.addEventListener("popstate", () => { readAddress(); showStory(); loadScenario(); });
  await loadScenario();
}

start();
