/**
 * Waiting for a cluster, saying what it waits for: a node of the GPU pool (the cluster
 * autoscaler's scale-up events), the image pull, the head, the workers; and on timeout, what
 * was still missing and why (FailedScheduling, exceeded quota, ...), from the events of the
 * cluster's pods and of the RayCluster itself.
 *
 * Ready means what KubeRay reports (ray-operator/apis/ray/v1/raycluster_types.go, v1.7.0):
 * the HeadPodReady condition is True (or the older `state: ready`), and readyWorkerReplicas
 * has reached desiredWorkerReplicas.
 */
import { TimeoutError } from "./errors";
import { type KubeApi, KubeError, paths, type StoredRayCluster } from "./kube";
import { queuedText, queueStatus } from "./queue";

export interface WaitOptions {
  /** Give up after this long (default 600 s). */
  readonly timeoutSeconds?: number;
  /** Each change of what the cluster waits for, as one line. */
  readonly onProgress?: (line: string) => void;
  /**
   * The wait wakes at once when the RayCluster changes (a watch); this is how often it looks at
   * the pods' events meanwhile, for progress and for why it waits (default 5000 ms).
   */
  readonly pollMs?: number;
}

interface KubeEvent {
  reason?: string;
  message?: string;
  type?: string;
  involvedObject?: { kind?: string; name?: string };
  lastTimestamp?: string;
  eventTime?: string;
  metadata?: { creationTimestamp?: string };
}

/** Event reasons worth telling, and how. */
const TOLD: Record<string, string> = {
  TriggeredScaleUp: "a node is being added for it (cluster autoscaler)",
  NotTriggerScaleUp: "the cluster autoscaler cannot add a node for it",
  FailedScheduling: "no node fits it yet",
  Pulling: "pulling its image",
  Pulled: "image pulled",
  // KubeRay's own (ray-operator/controllers/ray/utils/constant.go, v1.7.0), on the RayCluster;
  // their message carries the API server's refusal, e.g. "exceeded quota".
  FailedToCreateWorkerPod: "a worker pod could not be created",
  FailedToCreateHeadPod: "the head pod could not be created",
  FailedMount: "a volume could not be mounted",
  BackOff: "a container keeps failing",
};

/**
 * Ready for the spec as it is now: KubeRay has reconciled this generation (a status from before
 * a scale still shows the old counts), the cluster is not suspended (Kueue holds a queued or
 * restarting cluster suspended), the head is ready and every desired worker is.
 */
function isReady(rc: StoredRayCluster): boolean {
  const reconciled = (rc.status?.observedGeneration ?? 0) >= (rc.metadata.generation ?? 0);
  return (
    reconciled &&
    !rc.spec?.suspend &&
    headReady(rc) &&
    (rc.status?.readyWorkerReplicas ?? 0) >= (rc.status?.desiredWorkerReplicas ?? 0)
  );
}

function headReady(rc: StoredRayCluster): boolean {
  return (
    (rc.status?.conditions ?? []).some((c) => c.type === "HeadPodReady" && c.status === "True") ||
    rc.status?.state === "ready"
  );
}

/**
 * What an event's object is to the cluster: the cluster itself, its head, a worker, or nothing
 * (another cluster's pod, e.g. "demo-2-head-x" for "demo"). KubeRay names pods <cluster>-head[-x]
 * and <cluster>-<group>, cut to 50 characters, then -worker-x (utils/util.go:203-220 PodName).
 */
function roleOf(rc: StoredRayCluster, e: KubeEvent): "cluster" | "head" | "worker" | undefined {
  const name = rc.metadata.name;
  const o = e.involvedObject?.name ?? "";
  if (e.involvedObject?.kind === "RayCluster") return o === name ? "cluster" : undefined;
  const head = `${name.slice(0, 50)}-head`;
  if (o === head || o.startsWith(`${head}-`)) return "head";
  const groups = (rc.spec?.workerGroupSpecs ?? []).map((g) => `${name}-${g.groupName}`.slice(0, 50));
  return groups.some((g) => o.startsWith(`${g}-worker-`)) ? "worker" : undefined;
}

/** The newest told event of each reason per pod (or the cluster), for the cluster `rc`. */
async function clusterEvents(api: KubeApi, ns: string, rc: StoredRayCluster): Promise<KubeEvent[]> {
  const list = await api.get<{ items: KubeEvent[] }>(paths.events(ns));
  const mine = list.items.filter(
    (e) => roleOf(rc, e) !== undefined && e.reason !== undefined && TOLD[e.reason] !== undefined,
  );
  const at = (e: KubeEvent) => e.lastTimestamp ?? e.eventTime ?? e.metadata?.creationTimestamp ?? "";
  const latest = new Map<string, KubeEvent>();
  for (const e of mine.sort((a, b) => (at(a) < at(b) ? -1 : at(a) > at(b) ? 1 : 0)))
    latest.set(`${e.involvedObject?.name}/${e.reason}`, e);
  return [...latest.values()];
}

function describeEvent(rc: StoredRayCluster, e: KubeEvent): string {
  const role = roleOf(rc, e);
  const who = role === "worker" ? `worker ${e.involvedObject?.name}` : role;
  return `${who}: ${TOLD[e.reason!]} (${e.reason}: ${(e.message ?? "").split("\n")[0]})`;
}

function summary(rc: StoredRayCluster, events: KubeEvent[]): string {
  const st = rc.status ?? {};
  const parts = [
    headReady(rc) ? "head ready" : "head not ready",
    `workers ${st.readyWorkerReplicas ?? 0}/${st.desiredWorkerReplicas ?? "?"}`,
  ];
  const why = events.filter((e) => e.reason !== "Pulled").map((e) => describeEvent(rc, e));
  return [parts.join(", "), ...why].join("; ");
}

export async function awaitReady(
  api: KubeApi,
  ns: string,
  name: string,
  opts: WaitOptions = {},
): Promise<StoredRayCluster> {
  const timeoutMs = (opts.timeoutSeconds ?? 600) * 1000;
  const pollMs = opts.pollMs ?? 5000;
  const started = Date.now();
  let last = "";
  for (;;) {
    const rc = await api.get<StoredRayCluster>(paths.rayCluster(ns, name));
    if (isReady(rc)) {
      opts.onProgress?.(
        `${ns}/${name} is ready: head ${rc.status?.head?.podIP ?? "up"}, ${rc.status?.readyWorkerReplicas ?? 0} workers`,
      );
      return rc;
    }
    const events = await clusterEvents(api, ns, rc);
    const queued = rc.spec?.suspend === true ? await queueStatus(api, rc) : undefined;
    const line = queued?.state === "Queued" ? queuedText(ns, queued) : summary(rc, events);
    if (line !== last) opts.onProgress?.(line);
    last = line;
    if (Date.now() - started >= timeoutMs) {
      const waited = Math.round((Date.now() - started) / 1000);
      const why = events.filter((e) => e.reason !== "Pulled" && e.reason !== "Pulling");
      throw new TimeoutError(
        `${ns}/${name} was not ready after ${waited}s: ${headReady(rc) ? "" : "the head is not ready; "}${rc.status?.readyWorkerReplicas ?? 0} of ${rc.status?.desiredWorkerReplicas ?? "?"} workers are ready.` +
          (why.length > 0
            ? `\nStill waiting because:\n${why.map((e) => `  ${describeEvent(rc, e)}`).join("\n")}`
            : "\nNo event explains it yet; GPU nodes can take several minutes to start.") +
          `\nThe cluster stays; wait again with \`rayctl wait cluster ${name} -n ${ns}\`, or delete it.`,
      );
    }
    await nextChange(
      api,
      paths.rayClusters(ns),
      rc.metadata,
      Math.min(pollMs, Math.max(0, timeoutMs - (Date.now() - started))),
    );
  }
}

/**
 * Until the object changes after the version read (a watch of `collection` from its
 * resourceVersion, so no change in between is missed), or `ms` pass. A watch the server ends or
 * refuses (410 Gone for an expired version, a watch this user may not make) just returns, after
 * the interval when refused: the caller reads the object again.
 */
export async function nextChange(
  api: KubeApi,
  collection: string,
  meta: { name: string; resourceVersion?: string },
  ms: number,
): Promise<void> {
  const stop = new AbortController();
  const timer = setTimeout(() => stop.abort(), Math.max(0, ms));
  try {
    const query = {
      fieldSelector: `metadata.name=${meta.name}`,
      resourceVersion: meta.resourceVersion,
      timeoutSeconds: String(Math.ceil(ms / 1000) + 1),
    };
    await api.watch(collection, query, () => stop.abort(), stop.signal);
  } catch (err) {
    if (!(err instanceof KubeError)) throw err;
    if (!stop.signal.aborted) await new Promise((r) => setTimeout(r, ms));
  } finally {
    clearTimeout(timer);
  }
}
