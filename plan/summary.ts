/** The plan as text for a terminal: what `pulumi up` would create, grouped the way people think of it. */
import { serviceRangeSize, SYSTEM_SERVICES } from "../config/objectQuota";
import { prices } from "../cost/prices";
import { costLines, table } from "../cost/text";
import { type PlatformView, type QueueView, type RayClusterView } from "../config/view";
import { fieldLines, type PlanDiff, type ResourceChange, SIGN, type TeamRemoval } from "./diff";

const zoneSuffixes = (zones: string[]) => zones.map((z) => z.split("-").pop()).join(",");

/** One RayCluster with the facts `rayctl describe cluster` shows (version, endpoints, head and worker groups), in the plan's own layout. */
function describeRayCluster(rc: RayClusterView, indent = ""): string[] {
  const group = (g: RayClusterView["head"]) => [
    `replicas ${g.replicas}`,
    `CPUs ${g.cpus}`,
    `GPUs ${g.gpus}`,
    ...(g.gpuType ? [`GPU type ${g.gpuType}`] : []),
    `memory ${g.memory}`,
    ...(g.pool ? [`pool ${g.pool}`] : []),
  ];
  const lines = [
    `RayCluster ${rc.name} (namespace ${rc.namespace})`,
    `  ray version ${rc.rayVersion}`,
    `  image ${rc.image}`,
    `  service account ${rc.serviceAccount ?? "-"}`,
    ...Object.entries(rc.endpoints).map(([k, v]) => `  ${k.padEnd(9)} ${v}`),
    `  autoscaler ${rc.autoscaling ? "on (v2)" : "off"}`,
    `  head group`,
    ...group(rc.head).map((l) => `    ${l}`),
    `  worker groups`,
    ...rc.workers.flatMap((w) => [`    ${w.name}`, ...group(w).map((l) => `      ${l}`)]),
  ];
  return lines.map((l) => indent + l);
}

export function summary(view: PlatformView, opts: { stack: string; mode: string }): string {
  const total = Object.values(view.counts).reduce((a, b) => a + b, 0);
  const out: string[] = [`ray-platform plan: stack ${opts.stack}, mode ${opts.mode}, ${total} resources`, ""];
  const c = view.cluster;
  if (c) {
    out.push(
      `GKE cluster ${c.name} in ${c.location} (zones ${zoneSuffixes(c.zones)}), release channel ${c.channel}`,
    );
    const on = (b: boolean) => (b ? "on" : "OFF");
    out.push(
      `  image streaming ${on(c.imageStreaming)}, Workload Identity ${on(c.workloadIdentity)}, Dataplane V2 ${on(c.dataplaneV2)}, private nodes ${on(c.privateNodes)}, deletion protection ${on(c.deletionProtection)}`,
    );
    if (view.imageRepository) out.push(`  images through ${view.imageRepository} (Docker Hub proxy)`);
    out.push("");
  }
  if (view.pools.length > 0) {
    out.push("Node pools");
    const rows = [["NAME", "GKE NAME", "MACHINE", "GPU", "NODES", "SPOT", "ZONES", "DRIVER"]];
    for (const p of view.pools) {
      rows.push([
        p.name,
        p.gkeName,
        p.machineType,
        p.gpu ? `${p.gpu.count}x ${p.gpu.type}` : "-",
        `${p.minNodes}-${p.maxNodes}`,
        p.spot ? "yes" : "no",
        zoneSuffixes(p.zones),
        p.driver ?? "-",
      ]);
    }
    out.push(...table(rows).map((l) => `  ${l}`), "");
  }
  if (view.operator) {
    out.push(
      `KubeRay operator ${view.operator.version} in namespace ${view.operator.namespace}, ${view.operator.crds} CRDs (server-side apply, retained on delete)`,
      "",
    );
  }
  if (view.kueue) {
    const k = view.kueue;
    out.push(
      `Kueue ${k.version} in namespace ${k.namespace}, ${k.crds} CRDs (server-side apply, retained on delete); flavors ${k.flavors.join(", ")}`,
      "",
    );
  }
  out.push(`Teams (${view.teams.length})`);
  for (const t of view.teams) {
    out.push(`  ${t.name}${t.description ? ` - ${t.description}` : ""}`);
    const q = t.quota;
    const gpus = Object.entries(t.gpuQuota)
      .map(([k, v]) => `${k}=${v}`)
      .join(" ");
    out.push(
      `    quota: cpu ${q["requests.cpu"]}, memory ${q["requests.memory"]}, GPUs ${gpus || "none"}, RayClusters ${q["count/rayclusters.ray.io"] ?? "unlimited"}, storage ${q["requests.storage"]}`,
    );
    out.push(
      `    objects: services ${q.services ?? "-"}, pods ${q.pods ?? "-"}, secrets ${q.secrets ?? "-"}, configmaps ${q.configmaps ?? "-"}, PVCs ${q.persistentvolumeclaims ?? "-"}, ephemeral storage ${q["requests.ephemeral-storage"] ?? "-"}`,
    );
    out.push(`    owners: ${t.owners.join(", ")}`);
    out.push(`    members: ${t.members.join(", ")}`);
    if (t.bucket) out.push(`    bucket: gs://${t.bucket}`);
    if (t.queue) out.push(`    queue: ${queueLine(t.queue)}`);
    for (const rc of t.rayClusters) out.push(...describeRayCluster(rc, "    "));
  }
  out.push("", serviceBudget(view));
  out.push("", ...costLines(view, prices()));
  out.push("Resources by type");
  const rows = Object.entries(view.counts)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([type, n]) => [String(n).padStart(4), type]);
  out.push(...rows.map((r) => `  ${r.join("  ")}`));
  return out.join("\n") + "\n";
}

/** A team's ClusterQueue in one line: nominal quota, limits and weight per resource. */
function queueLine(q: QueueView): string {
  const list = (m: Record<string, string>) =>
    Object.entries(m)
      .map(([k, v]) => `${k} ${v}`)
      .join(", ");
  const lending = list(q.lending);
  return `ClusterQueue ${q.clusterQueue} (cohort ${q.cohort ?? "none"}, LocalQueue ${q.localQueues.join(", ") || "none"}): nominal ${list(q.nominal)}; may borrow ${list(q.borrowing)}; lends ${lending ? `at most ${lending}` : "all idle quota"}; weight ${q.weight}`;
}

/** A plan diff as text: dangerous changes first, removed teams, then every change with its old and new values. */
export function diffText(d: PlanDiff, ref: string, note?: string): string {
  const count = (k: ResourceChange["kind"]) => d.changes.filter((c) => c.kind === k).length;
  const out = [
    `Changes against ${ref}${note ? ` (${note})` : ""}: ${count("add")} to add, ${count("change")} to change, ${count("remove")} to remove`,
  ];
  if (d.dangers.length > 0) out.push("", "DANGEROUS", ...d.dangers.map((x) => `  ! ${x.what}`));
  for (const t of d.removedTeams) out.push("", ...teamRemovalLines(t));
  if (d.changes.length > 0) out.push("");
  for (const c of d.changes) {
    out.push(`  ${SIGN[c.kind]} ${c.type} ${c.name}${c.retained ? " (retained, no longer managed)" : ""}`);
    out.push(...fieldLines(c).map((l) => `      ${l}`));
  }
  return out.join("\n") + "\n";
}

/** All teams' Service quotas against the cluster's Service range, which they share. */
function serviceBudget(view: PlatformView): string {
  const allowed = view.teams.reduce((n, t) => n + Number(t.quota.services ?? 0), 0);
  if (!view.serviceRange)
    return `Services: team quotas allow ${allowed} in total (the cluster's Service range is not the platform's to know in mode existing)`;
  const size = serviceRangeSize(view.serviceRange);
  return `Services: team quotas allow ${allowed} in total, of ${size} addresses in the Service range ${view.serviceRange} (${SYSTEM_SERVICES} kept for the system; ${size - SYSTEM_SERVICES - allowed} to spare)`;
}

/** What a team's removal keeps and what it deletes, as text lines. */
function teamRemovalLines(t: TeamRemoval): string[] {
  return [
    `Team ${t.team} removed`,
    `  retained (kept in the cluster or GCP, no longer managed: retainOnDelete): ${t.retained.map((c) => c.label).join(", ") || "nothing"}`,
    `  deleted: ${t.deleted.map((c) => c.label).join(", ") || "nothing"}`,
  ];
}
