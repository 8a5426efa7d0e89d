/**
 * A cluster's Ray nodes, one pod each (the seed's "each Ray worker on its own GKE node"), its
 * worker groups as they run, and their logs: what `kubectl ray get nodes|workergroups` and
 * `kubectl logs` show, from the pods KubeRay labels (ray-operator v1.7.0
 * controllers/ray/utils/constant.go: ray.io/cluster, ray.io/node-type, ray.io/group).
 */
import { ACCELERATOR_LABEL, GPU_RESOURCE, KUBERAY_LABELS, POOL_LABEL } from "../../config/wire";
import { parseQuantity } from "../../config/quantity";
import { RefusedError } from "./errors";
import { type KubeApi, paths, type StoredRayCluster } from "./kube";

/** One Ray node: its pod, where it runs and how it is. Counts are numbers; times are RFC 3339. */
export interface RayNode {
  readonly name: string;
  /** "head", or the worker group's name. */
  readonly group: string;
  readonly type: "head" | "worker";
  /** The Kubernetes node it runs on (a GKE VM), once scheduled. */
  readonly node?: string;
  readonly ip?: string;
  readonly gpus: number;
  /** t4, a100, ... as flags and team files name them. */
  readonly gpuType?: string;
  /** Running, Pending, Terminating, or why a container waits (ImagePullBackOff, CrashLoopBackOff). */
  readonly state: string;
  readonly ready: boolean;
  readonly restarts: number;
  readonly createdAt?: string;
}

/** A worker group as it runs: the spec's bounds and shape, and its ready pods. */
export interface WorkerGroupStatus {
  readonly name: string;
  readonly ready: number;
  readonly desired: number;
  readonly minReplicas: number;
  readonly maxReplicas: number;
  readonly autoscaled: boolean;
  /** Per worker: cores, GPUs, memory (a Kubernetes quantity). */
  readonly cpus: number | null;
  readonly gpus: number;
  readonly gpuType?: string;
  readonly memory: string;
  readonly pool?: string;
}

export interface LogOptions {
  /** A worker group's pods instead of the head. */
  readonly workerGroup?: string;
  /** One pod of the cluster, by name. */
  readonly node?: string;
  /** The container; default the Ray container ("ray" names it too). */
  readonly container?: string;
  readonly follow?: boolean;
  /** The last lines of each pod; with several pods 100 each unless set. */
  readonly tail?: number;
  /** Receives the log text, whole lines, prefixed with `[pod] ` when several pods are shown. */
  readonly write: (text: string) => void;
  readonly signal?: AbortSignal;
}

/** The platform's name of a GKE accelerator, as flags and team files write it: nvidia-tesla-t4 -> t4. */
export const gpuTypeName = (accelerator: string | undefined): string | undefined =>
  accelerator?.replace(/^nvidia-(tesla-)?/, "");

/** The cluster's pods, head first, then by group and name. */
export async function clusterPods(api: KubeApi, rc: StoredRayCluster): Promise<any[]> {
  const list = await api.get<{ items: any[] }>(paths.pods(rc.metadata.namespace), {
    labelSelector: `${KUBERAY_LABELS.cluster}=${rc.metadata.name}`,
  });
  const order = (p: any) =>
    `${p.metadata.labels?.[KUBERAY_LABELS.nodeType] === "head" ? 0 : 1}/${p.metadata.labels?.[KUBERAY_LABELS.group] ?? ""}/${p.metadata.name}`;
  return list.items.sort((a, b) => (order(a) < order(b) ? -1 : 1));
}

export function rayNode(p: any): RayNode {
  const labels = p.metadata.labels ?? {};
  const type = labels[KUBERAY_LABELS.nodeType] === "head" ? "head" : "worker";
  const c = p.spec?.containers?.[0];
  const gpus = Number(c?.resources?.limits?.[GPU_RESOURCE] ?? c?.resources?.requests?.[GPU_RESOURCE] ?? 0);
  const statuses: any[] = p.status?.containerStatuses ?? [];
  const ready = (p.status?.conditions ?? []).some((x: any) => x.type === "Ready" && x.status === "True");
  const waiting = statuses.map((s) => s.state?.waiting?.reason).find((r) => r && r !== "ContainerCreating");
  const state = p.metadata.deletionTimestamp
    ? "Terminating"
    : (waiting ??
      `${p.status?.phase ?? "Pending"}${p.status?.phase === "Running" && !ready ? " (not ready)" : ""}`);
  return {
    name: p.metadata.name,
    group: type === "head" ? "head" : (labels[KUBERAY_LABELS.group] ?? "?"),
    type,
    node: p.spec?.nodeName,
    ip: p.status?.podIP,
    gpus,
    gpuType: gpus > 0 ? gpuTypeName(p.spec?.nodeSelector?.[ACCELERATOR_LABEL]) : undefined,
    state,
    ready,
    restarts: statuses.reduce((n, s) => n + (s.restartCount ?? 0), 0),
    createdAt: p.metadata.creationTimestamp,
  };
}

export function workerGroupStatus(rc: StoredRayCluster, nodes: readonly RayNode[]): WorkerGroupStatus[] {
  return (rc.spec?.workerGroupSpecs ?? []).map((g) => {
    const c = g.template?.spec?.containers?.[0];
    const r = { ...(c?.resources?.requests ?? {}), ...(c?.resources?.limits ?? {}) } as Record<
      string,
      string | number | undefined
    >;
    const min = g.minReplicas ?? 0;
    const max = g.maxReplicas ?? g.replicas ?? 0;
    // What KubeRay runs (GetWorkerGroupDesiredReplicas): replicas within the bounds, 0 when suspended.
    const desired = g.suspend ? 0 : Math.min(Math.max(g.replicas ?? 0, min), max);
    const gpus = Number(r[GPU_RESOURCE] ?? 0);
    return {
      name: g.groupName,
      ready: nodes.filter((n) => n.type === "worker" && n.group === g.groupName && n.ready).length,
      desired,
      minReplicas: min,
      maxReplicas: max,
      autoscaled: rc.spec?.enableInTreeAutoscaling === true && min < max,
      cpus: r.cpu === undefined ? null : (parseQuantity(String(r.cpu)) ?? null),
      gpus,
      gpuType: gpus > 0 ? gpuTypeName(g.template?.spec?.nodeSelector?.[ACCELERATOR_LABEL]) : undefined,
      memory: String(r.memory ?? "-"),
      pool: g.template?.spec?.nodeSelector?.[POOL_LABEL],
    };
  });
}

/** Print the logs of the head, a group's workers or one pod; with `follow`, until every stream ends. */
export async function streamLogs(api: KubeApi, rc: StoredRayCluster, opts: LogOptions): Promise<void> {
  const { namespace: ns, name } = rc.metadata;
  const pods = await clusterPods(api, rc);
  let chosen: any[];
  if (opts.node) {
    chosen = pods.filter((p) => p.metadata.name === opts.node);
    if (chosen.length === 0)
      throw new RefusedError(
        `${ns}/${name} has no Ray node ${JSON.stringify(opts.node)}; \`rayctl get nodes ${name} -n ${ns}\` lists them.`,
      );
  } else if (opts.workerGroup) {
    if (!(rc.spec?.workerGroupSpecs ?? []).some((g) => g.groupName === opts.workerGroup)) {
      throw new RefusedError(
        `${ns}/${name} has no worker group "${opts.workerGroup}" (groups: ${(rc.spec?.workerGroupSpecs ?? []).map((g) => g.groupName).join(", ") || "none"}).`,
      );
    }
    chosen = pods.filter(
      (p) =>
        p.metadata.labels?.[KUBERAY_LABELS.nodeType] === "worker" &&
        p.metadata.labels?.[KUBERAY_LABELS.group] === opts.workerGroup,
    );
    if (chosen.length === 0)
      throw new RefusedError(
        `worker group ${opts.workerGroup} of ${ns}/${name} has no pods now; \`rayctl get workergroups ${name} -n ${ns}\` shows what it wants.`,
      );
  } else {
    chosen = pods.filter((p) => p.metadata.labels?.[KUBERAY_LABELS.nodeType] === "head");
    if (chosen.length === 0)
      throw new RefusedError(
        `${ns}/${name} has no head pod yet; \`rayctl wait cluster ${name} -n ${ns}\` says what it waits for.`,
      );
  }
  const several = chosen.length > 1;
  const tail = opts.tail ?? (several ? 100 : undefined);
  await Promise.all(
    chosen.map(async (p) => {
      const containers: string[] = (p.spec?.containers ?? []).map((c: any) => c.name);
      const [first] = containers;
      if (first === undefined) throw new RefusedError(`${p.metadata.name} has no containers.`);
      const container = opts.container === undefined || opts.container === "ray" ? first : opts.container;
      if (!containers.includes(container))
        throw new RefusedError(
          `${p.metadata.name} has no container ${JSON.stringify(opts.container)}; it has ${containers.join(", ")} ("ray" is ${first}).`,
        );
      await podLog(api, ns, p.metadata.name, {
        container,
        follow: opts.follow,
        tail,
        prefix: several ? `[${p.metadata.name}] ` : "",
        write: opts.write,
        signal: opts.signal,
      });
    }),
  );
}

/** One container's log, whole lines (each after `prefix`) to `write`; with `follow` until the container ends or `signal` aborts. */
export async function podLog(
  api: KubeApi,
  ns: string,
  pod: string,
  o: {
    container: string;
    follow?: boolean;
    tail?: number;
    prefix?: string;
    write: (text: string) => void;
    signal?: AbortSignal;
  },
): Promise<void> {
  const prefix = o.prefix ?? "";
  let rest = "";
  await api.stream(
    paths.podLog(ns, pod),
    {
      container: o.container,
      follow: o.follow ? "true" : undefined,
      tailLines: o.tail === undefined ? undefined : String(o.tail),
    },
    (chunk) => {
      const lines = (rest + chunk).split("\n");
      rest = lines.pop() ?? "";
      if (lines.length > 0) o.write(lines.map((l) => `${prefix}${l}\n`).join(""));
    },
    o.signal,
  );
  if (rest) o.write(`${prefix}${rest}\n`);
}
