/**
 * What changes between two plans (e.g. a pull request's base and head): resources added,
 * removed and changed with the fields that changed, and the changes that lose data or nodes.
 */
import diff from "microdiff";
import { type RegisteredResource } from "./engine";
import { poolLabel, TYPES } from "./model";

export interface ResourceChange {
  readonly type: string;
  readonly name: string;
  readonly urn: string;
  readonly kind: "add" | "remove" | "change";
  /** Changed input fields, as dotted paths (changes only). */
  readonly fields: readonly string[];
}

/** How a change is marked in text and Markdown. */
export const SIGN = { add: "+", remove: "-", change: "~" } as const;

export interface Danger {
  readonly urn: string;
  readonly what: string;
}

export interface PlanDiff {
  readonly changes: readonly ResourceChange[];
  readonly dangers: readonly Danger[];
}

/** Deleting these loses data, nodes, or every RayCluster: what it is, and what the deletion does. */
const DATA_TYPES: Record<string, { what: string; consequence: string }> = {
  [TYPES.namespace]: { what: "namespace", consequence: "retained in the cluster but no longer managed; its quota, RBAC and network policies go" },
  [TYPES.bucket]: { what: "bucket", consequence: "retained in GCP but no longer managed" },
  [TYPES.crd]: { what: "CRD", consequence: "retained; deleting it by hand deletes every RayCluster" },
  [TYPES.cluster]: { what: "GKE cluster", consequence: "everything on it goes" },
  [TYPES.nodePool]: { what: "node pool", consequence: "its nodes are drained and deleted" },
};

/** Cluster fields whose change recreates the cluster. */
const CLUSTER_REPLACING = ["name", "location", "network", "subnetwork", "ipAllocationPolicy", "privateClusterConfig.masterIpv4CidrBlock"];

const pathOf = (p: (string | number)[]) => p.map((s) => (typeof s === "number" ? `[${s}]` : s)).join(".").replace(/\.\[/g, "[");

export function diffPlans(base: readonly RegisteredResource[], head: readonly RegisteredResource[]): PlanDiff {
  const before = new Map(base.map((r) => [r.urn, r]));
  const after = new Map(head.map((r) => [r.urn, r]));
  const changes: ResourceChange[] = [];
  const dangers: Danger[] = [];
  for (const r of head) {
    const old = before.get(r.urn);
    if (!old) {
      changes.push({ type: r.type, name: r.name, urn: r.urn, kind: "add", fields: [] });
      continue;
    }
    const fields = [...new Set(diff(old.inputs, r.inputs).map((d) => pathOf(d.path)))].sort();
    if (fields.length === 0) continue;
    changes.push({ type: r.type, name: r.name, urn: r.urn, kind: "change", fields });
    if (r.type === TYPES.nodePool && fields.includes("name")) {
      // A pool's GKE name hashes what cannot change in place (components/nodePool.ts): a new name is a new pool.
      const why = fields.filter((f) => f.startsWith("nodeConfig."));
      dangers.push({ urn: r.urn, what: `node pool ${poolLabel(r.inputs)} is REPLACED: ${r.inputs.name} comes up, then ${old.inputs.name} is drained and deleted (${why.join(", ")} cannot change in place)` });
    }
    const hits = r.type === TYPES.cluster ? fields.filter((f) => CLUSTER_REPLACING.some((p) => f === p || f.startsWith(`${p}.`))) : [];
    if (hits.length > 0) dangers.push({ urn: r.urn, what: `GKE cluster ${r.inputs.name} is REPLACED (${hits.join(", ")} cannot change in place)` });
  }
  for (const r of base) {
    if (after.has(r.urn)) continue;
    changes.push({ type: r.type, name: r.name, urn: r.urn, kind: "remove", fields: [] });
    const data = DATA_TYPES[r.type];
    const label = r.type === TYPES.nodePool ? poolLabel(r.inputs) : (r.inputs.metadata?.name ?? r.inputs.name ?? r.name);
    if (data) dangers.push({ urn: r.urn, what: `${data.what} ${label} is DELETED (${data.consequence})` });
  }
  const order = { remove: 0, change: 1, add: 2 };
  changes.sort((a, b) => order[a.kind] - order[b.kind] || a.urn.localeCompare(b.urn));
  return { changes, dangers };
}
