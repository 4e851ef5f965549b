// The sandbox's own view of a CodeDeploy deployment: where the cards'
// links lead in the sandbox. It reads GET /_sim/aws/deployments/{id} every
// two seconds, so it follows the deployment as the simulated clock moves.
import { $, el, api } from "./dom.js";
import { ago } from "./mrkdwn.js";

const id = decodeURIComponent(location.pathname.split("/").pop());

const utc = (t) => (t ? new Date(t).toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC") : "—");

function duration(from, to) {
  if (!from || !to) return "";
  const s = Math.round((new Date(to) - new Date(from)) / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, "0")}s`;
}

function field(label, value, cls) {
  return el("div", {}, el("dt", {}, label), el("dd", { class: cls || "" }, value || "—"));
}

function render(d) {
  document.title = `${d.id} · Sandbox AWS`;
  $("#title").textContent = `${d.application} / ${d.deployment_group}: ${d.id}`;
  const now = new Date(d.now);
  $("#now").textContent = `Sandbox time ${utc(d.now)}`;
  const since = (t) => (t ? `${utc(t)} (${ago(new Date(t) - now)})` : "—");
  const dl = el("dl", { id: "summary" },
    field("Status", d.status, `status ${d.status}`),
    field("Deployment config", d.config),
    field("Initiated by", d.creator),
    field("Created", since(d.created)),
    field("Started", since(d.started)),
    field("Completed", since(d.completed)),
    field("Service", d.target ? `${d.target.cluster} / ${d.target.service}` : "not started"),
    field("Target status", d.target ? d.target.status : ""),
    field("Description", d.description));
  if (d.error) dl.append(field("Error", `${d.error.code}: ${d.error.message}`, "status Failed"));
  if (d.rollback) {
    const rb = d.rollback;
    const link = (x) => (x ? el("a", { href: `/aws/deployments/${encodeURIComponent(x)}` }, x) : null);
    if (rb.rollback_deployment_id) dl.append(field("Rolled back by", link(rb.rollback_deployment_id)));
    if (rb.rollback_triggering_deployment_id) dl.append(field("Rollback of", link(rb.rollback_triggering_deployment_id)));
    if (rb.message) dl.append(field("Rollback", rb.message));
  }
  $("#summary").replaceWith(dl);

  const sets = d.target ? d.target.task_sets : [];
  const bar = el("div", { class: "bar-wrap" });
  for (const ts of sets) {
    if (ts.traffic_weight > 0) bar.append(el("div", { class: ts.label, style: `width:${ts.traffic_weight}%` }, `${ts.label} ${ts.traffic_weight}%`));
  }
  $("#traffic").replaceChildren(sets.length ? bar : el("p", {}, "No task sets carry traffic for this deployment now."),
    ...sets.map((ts) => el("div", { class: "taskset" },
      el("b", {}, `${ts.label} task set `), el("code", {}, ts.id),
      ` · ${ts.status} · ${ts.traffic_weight}% of traffic · ${ts.running}/${ts.desired} running, ${ts.pending} pending`,
      ts.target_group ? ` · target group ${ts.target_group}` : "")));

  $("#lifecycle tbody").replaceChildren(...(d.target ? d.target.lifecycle : []).map((e) => el("tr", {},
    el("td", {}, e.name),
    el("td", {}, el("span", { class: `status ${e.status}` }, e.status), e.message ? el("small", {}, `${e.error_code}: ${e.message}`) : null),
    el("td", {}, utc(e.started)), el("td", {}, utc(e.ended)), el("td", {}, duration(e.started, e.ended)))));

  const tds = [];
  if (d.task_definition) tds.push(["Deployed by this deployment (AppSpec)", d.task_definition]);
  for (const ts of sets) if (ts.task_definition) tds.push([`${ts.label} task set`, ts.task_definition]);
  $("#taskdefs").replaceChildren(...tds.map(([what, td]) => el("div", { class: "td" },
    el("div", {}, el("b", {}, what), " · ", el("code", {}, td.arn)),
    ...td.containers.map((c) => el("div", {}, `${c.name}: `, el("code", {}, c.image))))));
}

async function load() {
  try {
    render(await api("GET", `/_sim/aws/deployments/${encodeURIComponent(id)}`));
    $("#problem").hidden = true;
    document.body.dataset.ready = "true";
  } catch (e) {
    $("#problem").textContent = `Cannot read ${id}: ${e.message}`;
    $("#problem").hidden = false;
  }
}

load();
setInterval(load, 2000);
