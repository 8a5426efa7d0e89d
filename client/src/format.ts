/** How the CLI shows clusters: the seed's `get` table and `describe` block. */
import { dump } from "js-yaml";
import { parseQuantity } from "../../config/quantity";
import { usd } from "../../cost/costs";
import { type Job } from "./jobs";
import { gpuTypeName, type RayNode, type WorkerGroupStatus } from "./nodes";
import { queuedText, queueState, type QueueStatus } from "./queue";
import { type Cluster } from "./sdk";

export type OutputFormat = "table" | "json" | "yaml";

export function serialize(value: unknown, format: "json" | "yaml"): string {
  return format === "json"
    ? `${JSON.stringify(value, null, 2)}\n`
    : dump(value, { noRefs: true, lineWidth: -1 });
}

function age(since: string | undefined, now: number): string {
  if (!since) return "-";
  const s = Math.max(0, Math.floor((now - Date.parse(since)) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 172800) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

function gpus(c: Cluster): string {
  const byType = new Map<string, number>();
  for (const g of c.workerGroups)
    if (g.gpus > 0)
      byType.set(
        gpuTypeName(g.gpuType) ?? "gpu",
        (byType.get(gpuTypeName(g.gpuType) ?? "gpu") ?? 0) + g.gpus * g.replicas,
      );
  return [...byType].map(([t, n]) => `${n} ${t}`).join(", ") || "-";
}

/** CPUs as a number of cores (0.5 for 500m); null where the template requests none. */
const cores = (cpu: string): number | null => parseQuantity(cpu) ?? null;

function owner(c: Cluster): string {
  const o = c.owner;
  return o.kind === "team-file" ? `team file ${o.file}` : o.kind;
}

/** $1.23/h, or "-" where there is no price (mode existing) or no view of the pods. */
const perHour = (hourly: number | undefined) => (hourly === undefined ? "-" : `${usd(hourly, true)}/h`);

/** NAME CREATED WORKERS like the seed, then STATUS, GPUS, COST (now, an hour; see RayPlatform.hourlyCosts), AGE, OWNER. */
/**
 * Text from the cluster (group names, event messages, server errors) as a terminal shows it
 * harmlessly: control characters (ESC sequences, carriage returns, C1 codes) and bidi controls
 * written as \x.. or \u{..}, so nobody can rewrite another user's terminal. Newlines and tabs stay.
 */
export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  return text.replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/gu, (c) => {
    const code = c.codePointAt(0)!;
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u{${code.toString(16)}}`;
  });
}

/** Rows under a header, columns padded to their widest cell. */
function columns(header: readonly string[], rows: readonly string[][]): string {
  const all = [header, ...rows];
  const widths: number[] = [];
  for (const row of all) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return (
    all
      .map((r) =>
        r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd((widths[i] ?? 0) + 3))).join(""),
      )
      .join("\n") + "\n"
  );
}

export function table(
  clusters: readonly Cluster[],
  allNamespaces: boolean,
  hourly: readonly (number | undefined)[] = [],
  wide = false,
  now = Date.now(),
): string {
  const rows = clusters.map((c, i) => [
    ...(allNamespaces ? [c.namespace] : []),
    c.name,
    c.createdAt ? `${new Date(c.createdAt).toISOString().slice(0, 16).replace("T", " ")}Z` : "-",
    `${c.numWorkers}/${c.desiredWorkers}`,
    c.state,
    queueState(c.raw) ?? "-",
    gpus(c),
    perHour(hourly[i]),
    age(c.createdAt, now),
    ...(wide
      ? [c.headIp ?? "-", c.rayVersion ?? "-", c.workerGroups.map((g) => g.name).join(",") || "-"]
      : []),
    owner(c),
  ]);
  const header = [
    ...(allNamespaces ? ["NAMESPACE"] : []),
    "NAME",
    "CREATED",
    "WORKERS",
    "STATUS",
    "QUEUE",
    "GPUS",
    "COST",
    "AGE",
    ...(wide ? ["HEAD IP", "RAY", "WORKER GROUPS"] : []),
    "OWNER",
  ];
  return columns(header, rows);
}

/** `get workergroups`: READY/DESIRED, bounds, per-worker shape; wide adds the pool. */
export function workerGroupTable(groups: readonly WorkerGroupStatus[], wide = false): string {
  const rows = groups.map((g) => [
    g.name,
    `${g.ready}/${g.desired}`,
    String(g.minReplicas),
    String(g.maxReplicas),
    g.autoscaled ? "yes" : "no",
    g.cpus === null ? "-" : String(g.cpus),
    g.gpus > 0 ? `${g.gpus} ${g.gpuType ?? ""}`.trim() : "-",
    g.memory,
    ...(wide ? [g.pool ?? "-"] : []),
  ]);
  return columns(
    ["NAME", "READY", "MIN", "MAX", "AUTOSCALED", "CPUS", "GPUS", "MEMORY", ...(wide ? ["POOL"] : [])],
    rows,
  );
}

/** `get nodes`: one line per Ray node (pod); wide adds its IP. */
export function nodeTable(nodes: readonly RayNode[], wide = false, now = Date.now()): string {
  const rows = nodes.map((n) => [
    n.name,
    n.group,
    n.node ?? "-",
    n.gpus > 0 ? `${n.gpus} ${n.gpuType ?? ""}`.trim() : "-",
    n.state,
    String(n.restarts),
    age(n.createdAt, now),
    ...(wide ? [n.ip ?? "-"] : []),
  ]);
  return columns(
    ["NAME", "GROUP", "NODE", "GPUS", "STATE", "RESTARTS", "AGE", ...(wide ? ["IP"] : [])],
    rows,
  );
}

/** What describe shows, as data (for -o json|yaml) and as the seed's block; `cost` when it was looked up (not right after create). */
export function describeData(
  c: Cluster,
  clientVersion: string,
  cost?: { hourly: number | undefined },
  queue?: QueueStatus,
): Record<string, unknown> {
  const head = c.head;
  const image: string = c.raw.spec?.headGroupSpec?.template?.spec?.containers?.[0]?.image ?? "";
  const py = /-py(\d)(\d+)/.exec(image);
  return {
    name: c.name,
    namespace: c.namespace,
    owner: c.owner,
    status: c.state,
    queue,
    clientVersion,
    rayVersion: c.rayVersion,
    pythonVersion: py ? `${py[1]}.${py[2]}` : undefined,
    serviceAccount: c.raw.spec?.headGroupSpec?.template?.spec?.serviceAccountName,
    headIp: c.headIp,
    endpoints: c.endpoints,
    workers: { ready: c.numWorkers, desired: c.desiredWorkers },
    hourlyCostUsd: cost?.hourly,
    // Counts are numbers (cpus in cores, gpus, replicas); memory is a Kubernetes quantity string.
    head: { replicas: 1, cpus: cores(head.cpu), gpus: head.gpus, memory: head.memory, pool: head.pool },
    workerGroups: c.workerGroups.map((g) => ({
      name: g.name,
      replicas: g.replicas,
      minReplicas: g.minReplicas,
      maxReplicas: g.maxReplicas,
      cpus: cores(g.cpu),
      gpus: g.gpus,
      gpuType: gpuTypeName(g.gpuType),
      memory: g.memory,
      pool: g.pool,
    })),
  };
}

export function describe(
  c: Cluster,
  clientVersion: string,
  cost?: { hourly: number | undefined },
  queue?: QueueStatus,
): string {
  const d = describeData(c, clientVersion, cost, queue) as any;
  const line = (k: string, v: unknown) => (v === undefined || v === "" ? [] : [`${`${k}:`.padEnd(18)}${v}`]);
  const out = [
    ...line("Cluster", `${d.name} (namespace ${d.namespace})`),
    ...line("Status", d.status),
    ...(queue
      ? line(
          "Queue",
          `${queue.state === "Queued" ? queuedText(d.namespace, queue) : "admitted"} (LocalQueue ${queue.localQueue})`,
        )
      : []),
    ...line(
      "Created by",
      d.owner.kind === "team-file" ? `team file ${d.owner.file} (change it there)` : d.owner.kind,
    ),
    ...line("Client version", d.clientVersion),
    ...line("Ray version", `${d.rayVersion ?? "?"}${d.pythonVersion ? ` (Python ${d.pythonVersion})` : ""}`),
    ...line("Service account", d.serviceAccount),
    ...line("Head IP", d.headIp ?? "(not yet)"),
    ...line("Ray client", d.endpoints.client),
    ...line("Dashboard", d.endpoints.dashboard),
    ...line("Notebook server", d.endpoints.notebook),
    ...line("OpenVSCode", d.endpoints.vscode),
    ...line("Workers", `${d.workers.ready} ready of ${d.workers.desired}`),
    ...(cost
      ? line(
          "Cost now",
          cost.hourly === undefined
            ? "-"
            : `${perHour(cost.hourly)} (running head and ready workers, one node each)`,
        )
      : []),
    "",
    `Head group:       1 replica, ${shape(d.head)}`,
    ...d.workerGroups.map(
      (g: any) =>
        `Worker group ${g.name}: ${plural(g.replicas, "replica")}${g.minReplicas < g.maxReplicas ? ` (autoscaled ${g.minReplicas}-${g.maxReplicas})` : ""}, ${shape(g)}`,
    ),
    "",
    `The endpoints are inside the cluster; \`rayctl connect ${d.name} -n ${d.namespace}\` forwards them to your machine.`,
  ];
  return out.join("\n") + "\n";
}

const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? "" : "s"}`;

/** "14 CPUs, 1 t4 GPU, 51Gi memory, pool t4": per pod, as the flags say it. */
function shape(g: {
  cpus: number | null;
  gpus: number;
  gpuType?: string;
  memory: string;
  pool?: string;
}): string {
  return `${g.cpus === null ? "no CPU request" : plural(g.cpus, "CPU")}, ${g.gpus > 0 ? plural(g.gpus, `${g.gpuType ?? ""} GPU`.trim()) : "no GPU"}, ${g.memory} memory${g.pool ? `, pool ${g.pool}` : ""}`;
}

/** How long a job ran (or runs), "-" before it starts. */
function duration(job: Job, now: number): string {
  const st = job.raw.status;
  if (!st?.startTime) return "-";
  const s = Math.max(
    0,
    Math.round(((st.endTime ? Date.parse(st.endTime) : now) - Date.parse(st.startTime)) / 1000),
  );
  return s < 120
    ? `${s}s`
    : s < 7200
      ? `${Math.floor(s / 60)}m`
      : `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m`;
}

/** `job list`: NAME STATUS CLUSTER AGE DURATION ENTRYPOINT. */
export function jobTable(jobs: readonly Job[], allNamespaces: boolean, now = Date.now()): string {
  const rows = jobs.map((j) => [
    ...(allNamespaces ? [j.namespace] : []),
    j.name,
    j.status,
    j.clusterName ?? "-",
    age(j.raw.metadata.creationTimestamp, now),
    duration(j, now),
    j.entrypoint.length > 60 ? `${j.entrypoint.slice(0, 57)}...` : j.entrypoint,
  ]);
  return columns(
    [...(allNamespaces ? ["NAMESPACE"] : []), "NAME", "STATUS", "CLUSTER", "AGE", "DURATION", "ENTRYPOINT"],
    rows,
  );
}

/** What `job describe` shows, as data. */
export function jobData(job: Job): Record<string, unknown> {
  const st = job.raw.status ?? {};
  return {
    name: job.name,
    namespace: job.namespace,
    status: job.status,
    deploymentStatus: st.jobDeploymentStatus,
    message: st.message || undefined,
    reason: st.reason || undefined,
    entrypoint: job.entrypoint,
    cluster: job.clusterName,
    ownCluster: !job.raw.spec.clusterSelector,
    submissionId: st.jobId || undefined,
    startTime: st.startTime,
    endTime: st.endTime,
    ttlSecondsAfterFinished: job.raw.spec.ttlSecondsAfterFinished,
    workingDir: !!job.raw.spec.runtimeEnvYAML,
  };
}

export function describeJob(job: Job): string {
  const d = jobData(job) as any;
  const line = (k: string, v: unknown) => (v === undefined || v === "" ? [] : [`${`${k}:`.padEnd(18)}${v}`]);
  return (
    [
      ...line("Job", `${d.name} (namespace ${d.namespace})`),
      ...line(
        "Status",
        `${d.status}${d.deploymentStatus && d.deploymentStatus !== d.status ? ` (KubeRay: ${d.deploymentStatus})` : ""}`,
      ),
      ...line("Message", d.message),
      ...line("Entrypoint", d.entrypoint),
      ...line("Working dir", d.workingDir ? "sent with the job" : undefined),
      ...line(
        "Cluster",
        d.cluster
          ? `${d.cluster}${d.ownCluster ? " (made for the job, removed after it ends)" : ""}`
          : d.ownCluster
            ? "not made yet"
            : undefined,
      ),
      ...line("Submission ID", d.submissionId),
      ...line("Started", d.startTime),
      ...line("Ended", d.endTime),
      "",
      `Its output: rayctl job logs ${d.name} -n ${d.namespace}${d.endTime ? "" : " -f"}`,
    ].join("\n") + "\n"
  );
}
