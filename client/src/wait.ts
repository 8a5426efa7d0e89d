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
import { type KubeApi, paths, type StoredRayCluster } from "./kube";
import { queuedText, queueStatus } from "./queue";

export interface WaitOptions {
  /** Give up after this long (default 600 s). */
  readonly timeoutSeconds?: number;
  /** Each change of what the cluster waits for, as one line. */
  readonly onProgress?: (line: string) => void;
  /** Between looks at the cluster (default 2000 ms). */
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

function isReady(rc: StoredRayCluster): boolean {
  const st = rc.status ?? {};
  const head = (st.conditions ?? []).some((c) => c.type === "HeadPodReady" && c.status === "True") || st.state === "ready";
  return head && (st.readyWorkerReplicas ?? 0) >= (st.desiredWorkerReplicas ?? 0);
}

function headReady(rc: StoredRayCluster): boolean {
  return (rc.status?.conditions ?? []).some((c) => c.type === "HeadPodReady" && c.status === "True") || rc.status?.state === "ready";
}

/** The newest told event of each reason per pod (or the cluster), for the cluster `name`. */
async function clusterEvents(api: KubeApi, ns: string, name: string): Promise<KubeEvent[]> {
  const list = await api.get<{ items: KubeEvent[] }>(paths.events(ns));
  const mine = list.items.filter((e) => {
    const o = e.involvedObject?.name ?? "";
    return (o === name || o.startsWith(`${name}-`)) && e.reason !== undefined && TOLD[e.reason] !== undefined;
  });
  const at = (e: KubeEvent) => e.lastTimestamp ?? e.eventTime ?? e.metadata?.creationTimestamp ?? "";
  const latest = new Map<string, KubeEvent>();
  for (const e of mine.sort((a, b) => (at(a) < at(b) ? -1 : at(a) > at(b) ? 1 : 0))) latest.set(`${e.involvedObject?.name}/${e.reason}`, e);
  return [...latest.values()];
}

function describeEvent(e: KubeEvent): string {
  const who = e.involvedObject?.kind === "RayCluster" ? "cluster" : (e.involvedObject?.name ?? "?").includes("-head") ? "head" : `worker ${e.involvedObject?.name}`;
  return `${who}: ${TOLD[e.reason!]} (${e.reason}: ${(e.message ?? "").split("\n")[0]})`;
}

function summary(rc: StoredRayCluster, events: KubeEvent[]): string {
  const st = rc.status ?? {};
  const parts = [headReady(rc) ? "head ready" : "head not ready", `workers ${st.readyWorkerReplicas ?? 0}/${st.desiredWorkerReplicas ?? "?"}`];
  const why = events.filter((e) => e.reason !== "Pulled").map(describeEvent);
  return [parts.join(", "), ...why].join("; ");
}

export async function awaitReady(api: KubeApi, ns: string, name: string, opts: WaitOptions = {}): Promise<StoredRayCluster> {
  const timeoutMs = (opts.timeoutSeconds ?? 600) * 1000;
  const pollMs = opts.pollMs ?? 2000;
  const started = Date.now();
  let last = "";
  for (;;) {
    const rc = await api.get<StoredRayCluster>(paths.rayCluster(ns, name));
    if (isReady(rc)) {
      opts.onProgress?.(`${ns}/${name} is ready: head ${rc.status?.head?.podIP ?? "up"}, ${rc.status?.readyWorkerReplicas ?? 0} workers`);
      return rc;
    }
    const events = await clusterEvents(api, ns, name);
    const queued = rc.spec?.suspend === true ? await queueStatus(api, rc) : undefined;
    const line = queued?.state === "Queued" ? queuedText(ns, queued) : summary(rc, events);
    if (line !== last) opts.onProgress?.(line);
    last = line;
    if (Date.now() - started >= timeoutMs) {
      const waited = Math.round((Date.now() - started) / 1000);
      const why = events.filter((e) => e.reason !== "Pulled" && e.reason !== "Pulling");
      throw new TimeoutError(
        `${ns}/${name} was not ready after ${waited}s: ${headReady(rc) ? "" : "the head is not ready; "}${rc.status?.readyWorkerReplicas ?? 0} of ${rc.status?.desiredWorkerReplicas ?? "?"} workers are ready.` +
          (why.length > 0 ? `\nStill waiting because:\n${why.map((e) => `  ${describeEvent(e)}`).join("\n")}` : "\nNo event explains it yet; GPU nodes can take several minutes to start.") +
          `\nThe cluster stays; wait again with \`rayctl wait cluster ${name} -n ${ns}\`, or delete it.`,
      );
    }
    await new Promise((r) => setTimeout(r, Math.min(pollMs, Math.max(0, timeoutMs - (Date.now() - started)))));
  }
}
