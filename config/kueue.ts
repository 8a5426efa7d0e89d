/**
 * Kueue: the stack's `ray-platform:kueue` settings, the sharing part of a team file's quota
 * (`quota.borrowing`, `quota.lending`, `quota.fairSharingWeight`), each team's resolved queue and
 * the rules that keep queues admissible. Pure: no Pulumi.
 */
import { z } from "zod";
import { show, type PathSegment, type Report } from "./errors";
import { canonicalMemory, formatCpu, parseQuantity } from "./quantity";
import { KUEUE_NAMESPACE } from "./wire";
import { chartSchema, count, quantity, strictObject } from "./schema";
import { type Demand } from "./types";

/** The Kueue release the program installs by default; its CRDs are pinned in data/kueue/<version>. */
const KUEUE_VERSION = "0.19.2";
/** The cohort every team's ClusterQueue belongs to: they lend and borrow among themselves. */
export const COHORT = "ray-platform";
/**
 * Name of each team namespace's LocalQueue. Kueue labels a job created without
 * `kueue.x-k8s.io/queue-name` with the LocalQueue named "default" of its namespace
 * (v0.19.2 pkg/controller/jobframework/defaults.go:91-96, setDefaultLocalQueue), so a RayCluster
 * created by hand in a team namespace is queued like the team file's.
 */
export const LOCAL_QUEUE = "default";
/**
 * Annotation that makes a job elastic (workload slices; the value must be "true",
 * pkg/workloadslicing/workloadslicing.go:57-67), which Kueue requires of an autoscaled
 * RayCluster (v0.19.2 pkg/constants/constants.go:88, and
 * pkg/controller/jobs/raycluster/raycluster_webhook.go:141-151, which refuses
 * enableInTreeAutoscaling otherwise).
 */
export const ELASTIC_JOB_ANNOTATION = "kueue.x-k8s.io/elastic-job";
/**
 * Scheduling gate every pod template of an elastic RayCluster must carry. Kueue's mutating
 * webhook adds it on CREATE only (v0.19.2 pkg/controller/jobs/raycluster/raycluster_webhook.go:81,
 * 99-107) while its validating webhook demands it on CREATE and UPDATE (:113, 182-214); the
 * worker list is atomic under server-side apply, so every update from the program would drop
 * the gate and be refused unless the program renders it itself. Kueue removes it from pods
 * as it admits them (apis/kueue/v1beta2/constants.go:27).
 */
export const ELASTIC_JOB_GATE = "kueue.x-k8s.io/elastic-job";

export const kueueSchema = strictObject({
  version: z
    .string()
    .default(KUEUE_VERSION)
    .meta({
      description: `Kueue chart version; its CRDs must be pinned under data/kueue/<version>/crds (\`npm run kueue:pin\`). Kueue runs in ${KUEUE_NAMESPACE}.`,
    }),
  values: z
    .record(z.string(), z.unknown())
    .default({})
    .meta({ description: "Helm values merged over the program's (lists replace)." }),
  chart: chartSchema("Kueue's chart", "the charts/kueue directory of Kueue's source at the release tag"),
});

/** Limits per resource of what a team borrows from, or lends to, the cohort; `unset` is what a resource left out gets. */
function sharingSchema(unset: string) {
  return strictObject({
    cpu: quantity("CPU").optional().meta({ description: "CPU limit.", computedDefault: unset }),
    memory: quantity("memory").optional().meta({ description: "Memory limit.", computedDefault: unset }),
    gpus: z
      .record(z.string(), count("GPUs"))
      .default({})
      .meta({ description: `Limits per GPU type (t4, a100, ...); a type left out: ${unset}.` }),
  });
}
type SharingValues = z.infer<ReturnType<typeof sharingSchema>>;

/** Fair-sharing weights the platform renders exactly (in millis) and Kueue compares sensibly. */
const MIN_WEIGHT = 0.001;
const MAX_WEIGHT = 1_000_000;

/** The sharing keys of a team file's `quota`. */
export const quotaSharingShape = {
  borrowing: sharingSchema("none borrowed").optional().meta({
    description:
      "Most the team may use above its quota, from what other teams leave idle (Kueue `borrowingLimit`); a team opts in per resource, and may borrow at most what the other teams can lend together.",
    computedDefault: "nothing: a resource left out is not borrowed",
  }),
  lending: sharingSchema("all of its idle quota lent").optional().meta({
    description:
      "Most of its idle quota other teams may use (Kueue `lendingLimit`), at most the quota; reclaimed by preemption when the team needs it.",
    computedDefault: "all of it: a resource left out lends all its idle quota",
  }),
  fairSharingWeight: z.number().default(1).meta({
    description:
      "The team's weight in fair sharing of the cohort's idle quota when teams compete (2 gets twice the share); above 0.",
  }),
};

export interface KueueSettings {
  readonly version: string;
  /** Kueue's namespace: fixed, the pinned CRDs' conversion webhook points at it. */
  readonly namespace: string;
  readonly values: Readonly<Record<string, unknown>>;
  /** The pinned CRDs for `version`, parsed from data/kueue/<version>/crds. */
  readonly crds: readonly Record<string, unknown>[];
  /** A local chart directory, as configured; undefined: the chart's repository. */
  readonly chart?: string;
}

/** CPU (cores), memory (bytes) and GPUs per type. */
type Amounts = Demand;

/** Limits a team file sets: a resource left out has none. */
interface PartialAmounts {
  readonly cpu?: number;
  readonly memoryBytes?: number;
  readonly gpus: Readonly<Record<string, number>>;
}

/** A team's ClusterQueue: nominal quota, borrowing and lending limits per resource. */
export interface ResolvedTeamQueue {
  readonly nominal: Amounts;
  /** Borrowing limits; every resource has one (default 0: no borrowing unless the team file says so). */
  readonly borrowing: Amounts;
  /** The borrowing limits the team file itself sets. */
  readonly borrowingSet: PartialAmounts;
  /** Lending limits the team file sets; a resource left out lends all of its idle quota. */
  readonly lending: PartialAmounts;
  readonly fairSharingWeight: number;
  /** What the namespace's ResourceQuota allows: nominal plus borrowing, the most Kueue can admit. */
  readonly ceiling: Amounts;
}

type QuotaValues = {
  cpu: string | number;
  memory: string | number;
  gpus: Record<string, number>;
  borrowing?: SharingValues;
  lending?: SharingValues;
  fairSharingWeight: number;
};

/** The team's queue from its quota; `gpuTypes` are the types the stack offers. */
export function resolveTeamQueue(quota: QuotaValues, gpuTypes: readonly string[]): ResolvedTeamQueue {
  const nominal: Amounts = {
    cpu: parseQuantity(quota.cpu)!,
    memoryBytes: parseQuantity(quota.memory)!,
    gpus: Object.fromEntries(gpuTypes.map((t) => [t, quota.gpus[t] ?? 0])),
  };
  const b = quota.borrowing;
  const borrowing: Amounts = {
    cpu: b?.cpu !== undefined ? parseQuantity(b.cpu)! : 0,
    memoryBytes: b?.memory !== undefined ? parseQuantity(b.memory)! : 0,
    gpus: Object.fromEntries(gpuTypes.map((t) => [t, b?.gpus[t] ?? 0])),
  };
  const set = (l: SharingValues | undefined): PartialAmounts => ({
    cpu: l?.cpu !== undefined ? parseQuantity(l.cpu) : undefined,
    memoryBytes: l?.memory !== undefined ? parseQuantity(l.memory) : undefined,
    gpus: Object.fromEntries(Object.entries(l?.gpus ?? {}).filter(([t]) => gpuTypes.includes(t))),
  });
  return {
    nominal,
    borrowing,
    borrowingSet: set(b),
    lending: set(quota.lending),
    fairSharingWeight: quota.fairSharingWeight,
    ceiling: {
      cpu: nominal.cpu + borrowing.cpu,
      memoryBytes: nominal.memoryBytes + borrowing.memoryBytes,
      gpus: Object.fromEntries(gpuTypes.map((t) => [t, (nominal.gpus[t] ?? 0) + (borrowing.gpus[t] ?? 0)])),
    },
  };
}

/** Amounts as Kubernetes quantities in their canonical form (what the API server stores: 1Ti, not 1024Gi). */
export function formatAmounts(a: Amounts): { cpu: string; memory: string; gpus: Record<string, string> } {
  return {
    cpu: formatCpu(a.cpu),
    memory: canonicalMemory(a.memoryBytes),
    gpus: Object.fromEntries(Object.entries(a.gpus).map(([t, n]) => [t, String(n)])),
  };
}

/** Each resource of an Amounts, with its team-file path under `quota.<key>` and how to show an amount. */
function resources(a: Amounts): { key: PathSegment[]; amount: number; show: (n: number) => string }[] {
  const all = [
    { key: ["cpu"], amount: a.cpu, show: (n: number) => `${formatCpu(n)} CPUs` },
    { key: ["memory"], amount: a.memoryBytes, show: canonicalMemory },
    ...Object.entries(a.gpus).map(([t, n]) => ({
      key: ["gpus", t],
      amount: n,
      show: (m: number) => `${m} ${t} GPUs`,
    })),
  ];
  // Resources a team file leaves out (NaN in partial()) are not there to check.
  return all.filter((r) => !Number.isNaN(r.amount));
}

/**
 * Rules of one team's queue: the weight is positive, no lending limit exceeds the quota it
 * lends from, a GPU type in borrowing/lending is offered, and the team's smallest RayCluster
 * fits in its own quota (otherwise it could only ever run on borrowed quota, and be preempted
 * whenever the lenders want it back). `clusters` come with their demand at creation: this
 * module knows queues, not RayClusters.
 */
export function checkTeamQueue(
  quota: QuotaValues,
  queue: ResolvedTeamQueue,
  clusters: readonly { name: string; demand: Demand }[],
  gpuTypes: readonly string[],
  report: Report,
): void {
  if (!(quota.fairSharingWeight > 0)) {
    report(
      ["quota", "fairSharingWeight"],
      `is ${show(quota.fairSharingWeight)}, but a fair-sharing weight must be above 0 (2 gets twice the share of idle quota of a team with 1); set a positive number or remove it.`,
    );
  } else if (quota.fairSharingWeight < MIN_WEIGHT || quota.fairSharingWeight > MAX_WEIGHT) {
    // Rendered in millis (a quantity Kueue reads exactly); Kueue refuses weights up to 1n
    // (pkg/webhooks/common.go:55-58, v0.19.2), and 1e300 is no weight anyone means.
    report(
      ["quota", "fairSharingWeight"],
      `is ${show(quota.fairSharingWeight)}, outside what a weight can be here (${MIN_WEIGHT} to ${MAX_WEIGHT}): weights compare teams, so 0.5, 1 and 4 say it; use a number in that range.`,
    );
  }
  for (const side of ["borrowing", "lending"] as const) {
    for (const t of Object.keys(quota[side]?.gpus ?? {})) {
      if (!gpuTypes.includes(t))
        report(
          ["quota", side, "gpus", t],
          `${show(t)} is not a GPU this stack offers (offered: ${gpuTypes.join(", ") || "none"}); remove it.`,
          { key: true },
        );
    }
  }
  const lendable = resources(queue.nominal);
  resources(partial(queue.lending)).forEach((r) => {
    const own = lendable.find((n) => n.key.join(".") === r.key.join("."));
    if (own && r.amount > own.amount + 1e-9) {
      report(
        ["quota", "lending", ...r.key],
        `is ${r.show(r.amount)}, more than the team's quota of it (${own.show(own.amount)}); a team can lend only its own quota. Lower it to at most ${own.show(own.amount)}.`,
      );
    }
  });
  if (clusters.some((c) => fits(c.demand, queue.nominal))) return;
  const [smallest] = [...clusters].sort((x, y) => weight(x.demand) - weight(y.demand));
  if (!smallest) return;
  const short = resources(smallest.demand).filter((r) => r.amount > amountAt(queue.nominal, r.key) + 1e-9);
  // A cluster that does not fit is short of at least one resource.
  const [firstShort] = short;
  if (firstShort) {
    report(
      ["quota", ...firstShort.key],
      `cannot hold even the team's smallest RayCluster, "${smallest.name}", which needs ${short.map((r) => `${r.show(r.amount)} (quota: ${r.show(amountAt(queue.nominal, r.key))})`).join(", ")} when created: it would only ever run on quota borrowed from other teams, and be preempted when they take it back. Raise quota.${short.map((r) => r.key.join(".")).join(", quota.")} or make the cluster smaller.`,
    );
  }
}

/**
 * Across the cohort: no team may be allowed to borrow more of a resource than the other
 * teams can lend together (their lending limits, else their whole quotas). Only limits a
 * team file sets are checked; the default is 0.
 */
export function checkCohort(
  teams: readonly { name: string; queue: ResolvedTeamQueue; report: Report }[],
): void {
  for (const t of teams) {
    const others = teams.filter((o) => o.name !== t.name);
    for (const r of resources(partial(t.queue.borrowingSet))) {
      const can = others.reduce((sum, o) => sum + lendableOf(o.queue, r.key), 0);
      if (r.amount <= can + 1e-9) continue;
      const n = others.length;
      t.report(
        ["quota", "borrowing", ...r.key],
        `is ${r.show(r.amount)}, but the other ${n} team${n === 1 ? "" : "s"} of the cohort can lend at most ${r.show(can)} of it together; lower it to at most ${r.show(can)} (or raise what other teams lend).`,
      );
    }
  }
}

/** The resources a team file sets, as Amounts of those alone. */
function partial(p: PartialAmounts): Amounts {
  return { cpu: p.cpu ?? NaN, memoryBytes: p.memoryBytes ?? NaN, gpus: { ...p.gpus } };
}

function amountAt(a: Amounts, key: PathSegment[]): number {
  if (key[0] === "cpu") return a.cpu;
  if (key[0] === "memory") return a.memoryBytes;
  return a.gpus[key[1] as string] ?? 0;
}

function lendableOf(q: ResolvedTeamQueue, key: PathSegment[]): number {
  const limit =
    key[0] === "cpu"
      ? q.lending.cpu
      : key[0] === "memory"
        ? q.lending.memoryBytes
        : q.lending.gpus[key[1] as string];
  return limit ?? amountAt(q.nominal, key);
}

function fits(d: Demand, q: Amounts): boolean {
  return resources(d).every((r) => r.amount <= amountAt(q, r.key) + 1e-9);
}

/** Ordering of clusters by size: GPUs first, then CPU, then memory. */
function weight(d: Demand): number {
  return Object.values(d.gpus).reduce((a, b) => a + b, 0) * 1e12 + d.cpu * 1e6 + d.memoryBytes / 2 ** 30;
}
