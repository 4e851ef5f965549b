// The sandbox's own view of an ECS service's deployments: where the links
// of ECS-native cards lead in the sandbox. It reads
// GET /_sim/aws/services/{cluster}/{service} every two seconds, so it
// follows the deployments as the simulated clock moves.
import { $, el, api } from "./dom.js";
import { ago } from "./mrkdwn.js";

const [cluster, service] = location.pathname.split("/").slice(-2).map(decodeURIComponent);

const utc = (t) => (t ? new Date(t).toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC") : "—");

function field(label, value, cls) {
  return el("div", {}, el("dt", {}, label), el("dd", { class: cls || "" }, value || "—"));
}

const images = (td) => (td ? td.containers.map((c) => el("div", {}, `${c.name}: `, el("code", {}, c.image))) : []);

function render(s) {
  document.title = `${s.cluster} / ${s.service} · Sandbox AWS`;
  $("#title").textContent = `${s.cluster} / ${s.service}: deployments`;
  const now = new Date(s.now);
  $("#now").textContent = `Sandbox time ${utc(s.now)}`;
  const since = (t) => (t ? `${utc(t)} (${ago(new Date(t) - now)})` : "—");
  $("#summary").replaceWith(el("dl", { id: "summary" },
    field("Status", s.status),
    field("Deployment strategy", s.strategy),
    field("Task definition", s.task_definition ? el("code", {}, s.task_definition.arn) : null),
    field("Runs", s.task_definition ? el("div", {}, ...images(s.task_definition)) : null)));
  $("#deployments tbody").replaceChildren(...s.deployments.map((d) => el("tr", {},
    el("td", {}, el("code", {}, d.id)),
    el("td", {}, el("span", { class: `status ${d.status}` }, d.status),
      d.rollback ? el("small", {}, `Rolled back: ${d.rollback}`) : d.status_reason ? el("small", {}, d.status_reason) : null),
    el("td", {}, d.stage || "—"),
    el("td", {}, since(d.created)),
    el("td", {}, since(d.finished)),
    el("td", {}, ...images(d.task_definition)))));
}

async function load() {
  try {
    render(await api("GET", `/_sim/aws/services/${encodeURIComponent(cluster)}/${encodeURIComponent(service)}`));
    $("#problem").hidden = true;
    document.body.dataset.ready = "true";
  } catch (e) {
    $("#problem").textContent = `Cannot read ${cluster} / ${service}: ${e.message}`;
    $("#problem").hidden = false;
  }
}

load();
setInterval(load, 2000);
