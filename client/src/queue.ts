/**
 * Where a cluster stands in Kueue (0.19.2): a RayCluster labelled with its LocalQueue is held
 * suspended (spec.suspend) until Kueue admits its Workload (pkg/controller/jobs/raycluster/
 * raycluster_controller.go:86-116). The Workload is the RayCluster's: controller owner reference
 * and label kueue.x-k8s.io/job-uid=<uid> (pkg/controller/jobframework/reconciler.go:1347-1355,
 * pkg/controller/constants/constants.go:43); admitted when its condition Admitted is True
 * (apis/kueue/v1beta2/workload_types.go:931). The position comes from Kueue's visibility API,
 * localqueues/{lq}/pendingworkloads in visibility.kueue.x-k8s.io/v1beta2 (pkg/visibility/storage/
 * storage.go:30), a PendingWorkloadsSummary whose items carry positionInLocalQueue from 0
 * (apis/visibility/v1beta2/types.go:66-89).
 */
import { KubeError } from "./errors";
import { type KubeApi, paths, type StoredRayCluster } from "./kube";
import { JOB_UID_LABEL, QUEUE_LABEL } from "../../config/wire";

export interface QueueStatus {
  readonly state: "Queued" | "Admitted";
  /** The team's LocalQueue (the RayCluster's kueue.x-k8s.io/queue-name label). */
  readonly localQueue: string;
  /** 1 = next to be admitted; undefined when Kueue does not (yet) list it as pending. */
  readonly position?: number;
}

/** From the RayCluster alone (no API call): Queued while suspended, for `get`. */
export function queueState(rc: StoredRayCluster): QueueStatus["state"] | undefined {
  if (!rc.metadata?.labels?.[QUEUE_LABEL]) return undefined;
  return rc.spec?.suspend === true ? "Queued" : "Admitted";
}

/** From the RayCluster's Workload and, when queued, the visibility API; undefined when Kueue does not manage it. */
export async function queueStatus(api: KubeApi, rc: StoredRayCluster): Promise<QueueStatus | undefined> {
  const localQueue: string | undefined = rc.metadata?.labels?.[QUEUE_LABEL];
  if (!localQueue) return undefined;
  const { namespace: ns, uid } = rc.metadata;
  // Without a view of the Workloads (an older platform's Roles), spec.suspend alone tells.
  const list = await api
    .get<{ items: any[] }>(paths.workloads(ns), { labelSelector: `${JOB_UID_LABEL}=${uid}` })
    .catch((err: unknown) => {
      if (err instanceof KubeError && (err.code === 403 || err.code === 404)) return { items: undefined };
      throw err;
    });
  if (!list.items) return { state: queueState(rc)!, localQueue };
  // An elastic scale-up gives the cluster a second Workload (a slice) that waits while the first
  // stays admitted; the first is finished once the slice replaces it (FindNotFinishedWorkloads
  // and WorkloadSliceReplaced, pkg/workloadslicing/workloadslicing.go:104-122,330-332, v0.19.2).
  // The cluster runs while any of its Workloads is admitted.
  const owned = list.items.filter(
    (w) =>
      (w.metadata?.ownerReferences ?? []).some((o: any) => o.uid === uid && o.controller === true) &&
      !hasCondition(w, "Finished"),
  );
  const admitted = owned.some((w) => hasCondition(w, "Admitted"));
  if (rc.spec?.suspend !== true && (admitted || owned.length === 0)) return { state: "Admitted", localQueue };
  const wl = owned.find((w) => !hasCondition(w, "Admitted"));
  if (!wl) return { state: "Queued", localQueue };
  // The visibility API is an aggregated APIService: when it is unavailable, no position.
  const pending = await api
    .get<{ items?: any[] }>(paths.pendingWorkloads(ns, localQueue))
    .catch(() => ({ items: [] }));
  const mine = (pending.items ?? []).find((i) => i.metadata?.name === wl.metadata.name);
  return { state: "Queued", localQueue, position: mine ? mine.positionInLocalQueue + 1 : undefined };
}

function hasCondition(w: any, type: string): boolean {
  return (w.status?.conditions ?? []).some((c: any) => c.type === type && c.status === "True");
}

/** "queued, position 2 in recsys's queue" (a team's namespace is named after the team). */
export function queuedText(ns: string, q: QueueStatus): string {
  return `queued${q.position ? `, position ${q.position}` : ""} in ${ns}'s queue`;
}
