/**
 * Which RayCluster edits restart the cluster. Kueue manages every RayCluster in a team
 * namespace, and stops a running job whose pod sets no longer match its admitted workload,
 * then admits it again (v0.19.2 jobframework/reconciler.go:1420-1458 EquivalentToWorkload):
 * KubeRay deletes every pod of a suspended cluster and makes new ones on re-admission. Pod
 * sets match when each group's count and containers (init containers included) are equal
 * (util/equality/podset.go:41-76); tolerations are ignored once admitted. An elastic
 * (autoscaled) cluster is compared by its groups' names and counts only, and counts change
 * through new workload slices (workloadslicing/workloadslicing.go:172-240): only a group
 * added or removed restarts it, and a container change reaches new pods without one (Kueue
 * keeps counting what it admitted until the cluster restarts). Everything else (descriptions,
 * bounds of autoscaled groups, rayStartParams, autoscaler options) leaves running pods alone:
 * KubeRay applies a new template to new pods only. Proven on the real control plane
 * (real/scenarios/d-updates.test.ts).
 */
import { ELASTIC_JOB_ANNOTATION } from "../config/kueue";
import { type RegisteredResource } from "./engine";

/** A RayCluster's registered inputs (untyped JSON, as the plan holds them). */
type Obj = RegisteredResource["inputs"];

const equal = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
const podSpec = (t: Obj | undefined) => ({
  containers: t?.spec?.containers,
  initContainers: t?.spec?.initContainers,
});

/** Why an update of `before` to `after` restarts the cluster, or undefined when it does not. */
export function restartReason(before: Obj, after: Obj): string | undefined {
  const groups = (rc: Obj) =>
    new Map<string, Obj>((rc.spec?.workerGroupSpecs ?? []).map((g: Obj) => [g.groupName, g]));
  const [old, now] = [groups(before), groups(after)];
  const added = [...now.keys()].filter((g) => !old.has(g));
  const removed = [...old.keys()].filter((g) => !now.has(g));
  if (added.length || removed.length)
    return `worker groups ${[...added.map((g) => `+${g}`), ...removed.map((g) => `-${g}`)].join(", ")}`;
  if (after.metadata?.annotations?.[ELASTIC_JOB_ANNOTATION] === "true") return undefined;
  const why: string[] = [];
  if (!equal(podSpec(before.spec?.headGroupSpec?.template), podSpec(after.spec?.headGroupSpec?.template)))
    why.push("head containers");
  for (const [name, g] of now) {
    const o = old.get(name)!;
    if (!equal(podSpec(o.template), podSpec(g.template))) why.push(`${name} containers`);
    else if (!equal(o.replicas, g.replicas) || !equal(o.numOfHosts, g.numOfHosts)) why.push(`${name} count`);
  }
  return why.length ? why.join(", ") : undefined;
}
