/**
 * What changes between two plans (e.g. a pull request's base and head): resources added,
 * removed and changed with every changed field's old and new value, the team each change
 * belongs to, and the changes that lose data, nodes or access.
 */
import { isDeepStrictEqual } from "node:util";
import { BUCKET_TEAM_LABEL, POOL_LABEL, TEAM_LABEL } from "../config/wire";
import { type RegisteredResource } from "./engine";
import { restartReason } from "./restarts";

/** Type tokens of the resources the comparison treats specially. */
export const TYPES = {
  cluster: "gcp:container/cluster:Cluster",
  nodePool: "gcp:container/nodePool:NodePool",
  crd: "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition",
  namespace: "kubernetes:core/v1:Namespace",
  bucket: "gcp:storage/bucket:Bucket",
  rayCluster: "kubernetes:ray.io/v1:RayCluster",
} as const;

/** A registered pool as people name it: its `ray-platform/pool` label, not its hashed GKE name. */
export const poolLabel = (pool: RegisteredResource["inputs"]): string =>
  pool.nodeConfig?.labels?.[POOL_LABEL] ?? pool.name;

/** One changed input field; `before`/`after` undefined when the field is added/removed. */
export interface FieldChange {
  /** Dotted path; list items that have a name are shown by it (`workerGroupSpecs[t4]`), a new order as `workerGroupSpecs (order)`. */
  readonly path: string;
  readonly before: unknown;
  readonly after: unknown;
}

export interface ResourceChange {
  readonly type: string;
  readonly name: string;
  readonly urn: string;
  /** As a reviewer names it, e.g. `RoleBinding recsys/ray-users` (describeResource). */
  readonly label: string;
  readonly kind: "add" | "remove" | "change";
  /** Changed input fields (changes only), in path order. */
  readonly fields: readonly FieldChange[];
  /** The team the resource belongs to, when it is one team's. */
  readonly team?: string;
  /** Removed but kept in the cluster or GCP (`retainOnDelete`): Pulumi stops managing it. */
  readonly retained: boolean;
}

/** How a change is marked in text and Markdown. */
export const SIGN = { add: "+", remove: "-", change: "~" } as const;

interface Danger {
  readonly urn: string;
  readonly what: string;
}

/** A team whose file is gone: what stays (retained) and what is really deleted. */
export interface TeamRemoval {
  readonly team: string;
  readonly retained: readonly ResourceChange[];
  readonly deleted: readonly ResourceChange[];
}

export interface PlanDiff {
  readonly changes: readonly ResourceChange[];
  readonly dangers: readonly Danger[];
  readonly removedTeams: readonly TeamRemoval[];
}

/** Deleting these loses data, nodes, or every RayCluster: what it is, and what the deletion does. */
const DATA_TYPES: Record<string, { what: string; consequence: string }> = {
  [TYPES.namespace]: { what: "namespace", consequence: "everything in it goes" },
  [TYPES.bucket]: { what: "bucket", consequence: "its objects go" },
  [TYPES.crd]: { what: "CRD", consequence: "every RayCluster goes" },
  [TYPES.cluster]: { what: "GKE cluster", consequence: "everything on it goes" },
  [TYPES.nodePool]: { what: "node pool", consequence: "its nodes are drained and deleted" },
};

/** Cluster fields whose change recreates the cluster. */
const CLUSTER_REPLACING = [
  "name",
  "location",
  "network",
  "subnetwork",
  "ipAllocationPolicy",
  "privateClusterConfig.masterIpv4CidrBlock",
];

/** The name a list item is known by (`groupName` for worker groups), if it has one. */
function itemName(item: unknown): string | undefined {
  if (!item || typeof item !== "object" || Array.isArray(item)) return undefined;
  const { groupName, name } = item as Record<string, unknown>;
  const n = groupName ?? name;
  return typeof n === "string" ? n : undefined;
}

/** The items' names when every item has a distinct one; else undefined (the list is compared by position). */
function namesOf(list: readonly unknown[]): string[] | undefined {
  const names = list.map(itemName);
  if (names.some((n) => n === undefined) || new Set(names).size !== names.length) return undefined;
  return names as string[];
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

function walk(before: unknown, after: unknown, path: string, out: FieldChange[]): void {
  if (isDeepStrictEqual(before, after)) return;
  const key = (k: string) => (path === "" ? k : `${path}.${k}`);
  if (Array.isArray(before) && Array.isArray(after)) {
    const [bn, an] = [namesOf(before), namesOf(after)];
    if (bn && an && (bn.length > 0 || an.length > 0)) {
      // Named items are matched by name, so a swap reads as a new order, not as fields changing.
      const [bKept, aKept] = [bn.filter((n) => an.includes(n)), an.filter((n) => bn.includes(n))];
      if (!isDeepStrictEqual(bKept, aKept))
        out.push({ path: `${path} (order)`, before: bKept.join(", "), after: aKept.join(", ") });
      for (const n of [...an, ...bn.filter((x) => !an.includes(x))])
        walk(before[bn.indexOf(n)], after[an.indexOf(n)], `${path}[${n}]`, out);
      return;
    }
    for (let i = 0; i < Math.max(before.length, after.length); i++)
      walk(before[i], after[i], `${path}[${i}]`, out);
    return;
  }
  if (isObject(before) && isObject(after)) {
    for (const k of new Set([...Object.keys(before), ...Object.keys(after)]))
      walk(before[k], after[k], key(k), out);
    return;
  }
  out.push({ path, before, after });
}

/**
 * Field changes of one resource, compared by value (key order never matters). A list whose items
 * all have distinct names (`name`, or `groupName` for worker groups) is compared item by item by
 * name, shown `[t4]`; a changed order of the items both sides have is one `(order)` change.
 * Other lists are compared by position.
 */
export function fieldChanges(before: Record<string, unknown>, after: Record<string, unknown>): FieldChange[] {
  const out: FieldChange[] = [];
  walk(before, after, "", out);
  return out.sort((x, y) => x.path.localeCompare(y.path));
}

/** The team a resource belongs to: its team label, namespace, bucket label, or its name under a Team component. */
function teamOf(r: RegisteredResource, teams: ReadonlySet<string>): string | undefined {
  const meta = r.inputs.metadata;
  const candidates = [meta?.labels?.[TEAM_LABEL], meta?.namespace, r.inputs.labels?.[BUCKET_TEAM_LABEL]];
  const found = candidates.find((c) => typeof c === "string" && teams.has(c));
  if (found) return found;
  if (r.type === TYPES.namespace && teams.has(meta?.name)) return meta.name;
  const owners = r.urn.split("::")[2]?.split("$") ?? [];
  if (!owners.includes("ray-platform:tenancy:Team") && !owners.includes("ray-platform:ray:RayCluster"))
    return undefined;
  // Children of a team and of its RayClusters are named `<team>-<role>` or `<team>/<cluster>-<role>`; the longest matching team name wins (names may contain "-").
  return [...teams]
    .filter((t) => r.name === t || r.name.startsWith(`${t}-`) || r.name.startsWith(`${t}/`))
    .sort((a, b) => b.length - a.length)[0];
}

/** The program's own components group resources; they are no change of their own. */
const isComponent = (r: RegisteredResource) => r.type.startsWith("ray-platform:");

const teamNames = (rs: readonly RegisteredResource[]) =>
  rs
    .filter((r) => r.type === TYPES.namespace && r.inputs.metadata?.labels?.[TEAM_LABEL])
    .map((r) => r.inputs.metadata.name as string);

/** A resource as a reviewer names it: `kind name`, e.g. `RoleBinding tech-research/ray-users`. */
function describeResource(r: { type: string; name: string }, inputs?: RegisteredResource["inputs"]): string {
  const kind = r.type.split(":").pop()!;
  const meta = inputs?.metadata;
  if (meta?.name) return `${kind} ${meta.namespace ? `${meta.namespace}/` : ""}${meta.name}`;
  if (r.type === TYPES.nodePool && inputs) return `${kind} ${poolLabel(inputs)}`;
  return `${kind} ${inputs?.name ?? r.name}`;
}

/**
 * The names a resource had before, as the engine matches them: its own aliases, and its parent's,
 * which rename a child whose name starts with the parent's (inherited child aliases).
 */
function formerNames(r: RegisteredResource, byUrn: ReadonlyMap<string, RegisteredResource>): string[] {
  const parent = r.parent ? byUrn.get(r.parent) : undefined;
  const inherited =
    parent && r.name.startsWith(parent.name)
      ? formerNames(parent, byUrn).map((n) => n + r.name.slice(parent.name.length))
      : [];
  return [...(r.options?.aliases ?? []), ...inherited];
}

const withName = (urn: string, name: string) => urn.slice(0, urn.lastIndexOf("::") + 2) + name;

export function diffPlans(
  base: readonly RegisteredResource[],
  head: readonly RegisteredResource[],
): PlanDiff {
  const before = new Map(base.map((r) => [r.urn, r]));
  const after = new Map(head.map((r) => [r.urn, r]));
  // A renamed resource with an alias is the same resource to the engine: compare it, do not add and remove it.
  const renamedFrom = new Map<string, string>();
  for (const r of head) {
    if (before.has(r.urn)) continue;
    const former = formerNames(r, after)
      .map((n) => withName(r.urn, n))
      .find((u) => before.has(u) && !after.has(u));
    if (former) renamedFrom.set(r.urn, former);
  }
  // A former URN two resources claim pairs with neither: the engine refuses two aliases to one URN.
  const claims = [...renamedFrom.values()];
  for (const [urn, former] of renamedFrom)
    if (claims.indexOf(former) !== claims.lastIndexOf(former)) renamedFrom.delete(urn);
  const renamed = new Set(renamedFrom.values());
  const teams = new Set([...teamNames(base), ...teamNames(head)]);
  const headTeams = new Set(teamNames(head));
  const changes: ResourceChange[] = [];
  const dangers: Danger[] = [];
  for (const r of head) {
    if (isComponent(r)) continue;
    const old = before.get(renamedFrom.get(r.urn) ?? r.urn);
    const common = {
      type: r.type,
      name: r.name,
      urn: r.urn,
      label: describeResource(r, r.inputs),
      team: teamOf(r, teams),
      retained: false,
    };
    if (!old) {
      changes.push({ ...common, kind: "add", fields: [] });
      continue;
    }
    const fields = fieldChanges(old.inputs, r.inputs);
    if (fields.length === 0) continue;
    changes.push({ ...common, kind: "change", fields });
    const paths = fields.map((f) => f.path);
    if (r.type === TYPES.nodePool && paths.includes("name")) {
      // A pool's GKE name hashes what cannot change in place (components/nodePool.ts): a new name is a new pool.
      const why = [...new Set(paths.filter((f) => f.startsWith("nodeConfig.")))];
      dangers.push({
        urn: r.urn,
        what: `node pool ${poolLabel(r.inputs)} is REPLACED: ${r.inputs.name} comes up, then ${old.inputs.name} is drained and deleted (${why.join(", ")} cannot change in place)`,
      });
    }
    const restart = r.type === TYPES.rayCluster ? restartReason(old.inputs, r.inputs) : undefined;
    if (restart)
      dangers.push({
        urn: r.urn,
        what: `RayCluster ${describeResource(r, r.inputs).replace(/^\S+ /, "")} RESTARTS: Kueue admits it again, and every pod is recreated (${restart}); running jobs stop`,
      });
    const hits =
      r.type === TYPES.cluster
        ? paths.filter((f) => CLUSTER_REPLACING.some((p) => f === p || f.startsWith(`${p}.`)))
        : [];
    if (hits.length > 0)
      dangers.push({
        urn: r.urn,
        what: `GKE cluster ${r.inputs.name} is REPLACED (${hits.join(", ")} cannot change in place)`,
      });
  }
  for (const r of base) {
    if (after.has(r.urn) || renamed.has(r.urn) || isComponent(r)) continue;
    const team = teamOf(r, teams);
    changes.push({
      type: r.type,
      name: r.name,
      urn: r.urn,
      label: describeResource(r, r.inputs),
      kind: "remove",
      fields: [],
      team,
      retained: r.options?.retainOnDelete === true,
    });
    const data = DATA_TYPES[r.type];
    // A removed team's losses are told once, in its own entry below.
    if (!data || (team && !headTeams.has(team))) continue;
    const label = describeResource(r, r.inputs).replace(/^\S+ /, "");
    dangers.push({
      urn: r.urn,
      what: r.options?.retainOnDelete
        ? `${data.what} ${label} is RETAINED but no longer managed (retainOnDelete); delete it by hand when it is not needed`
        : `${data.what} ${label} is DELETED (${data.consequence})`,
    });
  }
  const order = { remove: 0, change: 1, add: 2 };
  changes.sort((a, b) => order[a.kind] - order[b.kind] || a.urn.localeCompare(b.urn));
  const removedTeams = [...teams]
    .filter((t) => !headTeams.has(t))
    .sort()
    .map((team) => {
      const gone = changes.filter((c) => c.kind === "remove" && c.team === team);
      return { team, retained: gone.filter((c) => c.retained), deleted: gone.filter((c) => !c.retained) };
    });
  for (const t of removedTeams) {
    const clusters = t.deleted
      .filter((c) => c.type === TYPES.rayCluster)
      .map((c) => c.label.split("/").pop());
    dangers.push({
      urn: `team:${t.team}`,
      what: `team ${t.team} is REMOVED: its members lose access${clusters.length ? ` and its RayClusters are DELETED (${clusters.join(", ")}; running jobs stop)` : ""}; its namespace${t.retained.some((c) => c.type === TYPES.bucket) ? " and bucket are" : " is"} retained, no longer managed`,
    });
  }
  return { changes, dangers, removedTeams };
}

/** A value for one line: short values as written, long ones summarised (ConfigMaps, CRDs). */
function showValue(v: unknown): string {
  if (v === undefined) return "(none)";
  if (typeof v === "string") {
    const lines = v.split("\n").length;
    if (lines > 1) return `(${lines} lines, ${v.length} characters)`;
    return v.length > 60
      ? `${JSON.stringify(v.slice(0, 40))}... (${v.length} characters)`
      : v === "" || /^\s|\s$/.test(v)
        ? JSON.stringify(v)
        : v;
  }
  const text = JSON.stringify(v) ?? String(v);
  if (text.length <= 60) return text;
  const named = v as Record<string, unknown>;
  // A list item with a name (an RBAC subject, a container) is told by its kind and name.
  if (typeof named.name === "string")
    return `${typeof named.kind === "string" ? `${named.kind} ` : ""}${named.name}`;
  return Array.isArray(v)
    ? `(a list of ${v.length})`
    : `(an object of ${Object.keys(v as object).length} keys, ${text.length} characters)`;
}

/** A field change for people: `spec.hard.requests.cpu: 200 → 240`. */
export function showField(f: FieldChange): string {
  if (f.before === undefined) return `${f.path}: added ${showValue(f.after)}`;
  if (f.after === undefined) return `${f.path}: removed ${showValue(f.before)}`;
  if (
    typeof f.before === "string" &&
    typeof f.after === "string" &&
    (f.before.includes("\n") || f.after.includes("\n") || f.after.length > 60)
  ) {
    return `${f.path}: changed ${showValue(f.before)} → ${showValue(f.after)}`;
  }
  return `${f.path}: ${showValue(f.before)} → ${showValue(f.after)}`;
}

/** Fields shown per resource before "and N more": a CRD upgrade changes hundreds. */
const MAX_FIELDS = 8;

/** The field lines of a change, capped at MAX_FIELDS. */
export function fieldLines(c: ResourceChange): string[] {
  const shown = c.fields.slice(0, MAX_FIELDS).map(showField);
  if (c.fields.length > MAX_FIELDS) shown.push(`... and ${c.fields.length - MAX_FIELDS} more fields`);
  return shown;
}
