/**
 * KubeRay's CRDs declare `workerGroupSpecs` a plain array, which server-side apply treats as
 * atomic: whoever applies it owns the whole list, so every update from a team file replaced
 * what Kueue wrote into the worker templates at admission (the workload-slice annotation and
 * podset label its elastic ungater finds pods by, Kueue jobs/raycluster/common.go:254-270,
 * core/indexer/indexer.go:181-195) and the autoscaler's `replicas` and `workersToDelete`; the
 * next scale-up then stayed gated forever. The platform declares the list a map keyed by
 * `groupName` in the CRDs it applies, as KubeRay's own proposal does (ray-project/kuberay
 * issue 4840, pull request 4986): an apply then owns only the fields it sets, and keeps what
 * controllers wrote beside them. Every `workerGroupSpecs` of every KubeRay CRD (RayCluster,
 * and the cluster specs inside RayJob, RayService and RayCronJob) gets it. The pinned files
 * stay as released; this is the one change the program makes to them.
 */

const LIST_MAP = { "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["groupName"] } as const;

/** `crd` with every `workerGroupSpecs` array schema declared a map list keyed by groupName. */
export function workerGroupsByName(crd: Record<string, unknown>): Record<string, unknown> {
  return visit(crd) as Record<string, unknown>;
}

function visit(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(visit);
  if (!node || typeof node !== "object") return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) {
    out[k] =
      k === "properties" && v && typeof v === "object"
        ? withMapLists(v as Record<string, unknown>)
        : visit(v);
  }
  return out;
}

interface ArraySchema {
  type?: string;
  items?: { properties?: Record<string, unknown>; required?: string[] };
}

function withMapLists(properties: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, schema] of Object.entries(properties)) {
    const s = visit(schema) as ArraySchema;
    const items = s?.items;
    const keyed = name === "workerGroupSpecs" && s?.type === "array" && items?.properties?.groupName;
    // A map list's key must be required: KubeRay's schema requires groupName already.
    out[name] = keyed
      ? {
          ...s,
          ...LIST_MAP,
          items: { ...items, required: [...new Set([...(items.required ?? []), "groupName"])] },
        }
      : s;
  }
  return out;
}
