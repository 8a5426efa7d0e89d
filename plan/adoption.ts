/**
 * What happens to the objects a team keeps when its file goes (retainOnDelete), for the plan:
 * a removed team leaves them behind, and a team file that is added (or restored) adopts any
 * it finds at deploy time (components/kubeconfig.ts clusterProviders, the bucket's import).
 */
import { type RegisteredResource } from "./engine";
import { TYPES } from "./diff";

const TEAM_TYPE = "ray-platform:tenancy:Team";

/** One line per team whose retained objects a deploy of `head` leaves behind or adopts. */
export function adoptionNotes(
  base: readonly RegisteredResource[],
  head: readonly RegisteredResource[],
): string[] {
  const before = retainedByTeam(base);
  const after = retainedByTeam(head);
  const notes: string[] = [];
  for (const [team, kept] of before) {
    if (!after.has(team))
      notes.push(
        `team ${team} removed: ${describe(kept)} stay, no longer managed; restoring its team file adopts them.`,
      );
  }
  for (const [team, kept] of after) {
    if (before.has(team)) continue;
    const bucket = kept.some((r) => r.type === TYPES.bucket) ? " and imports the bucket with its data" : "";
    notes.push(
      `team ${team} added: if a removed team ${team} left ${describe(kept)}, the deploy adopts them (server-side apply, the team file wins)${bucket}; what does not exist is created.`,
    );
  }
  return notes;
}

function retainedByTeam(resources: readonly RegisteredResource[]): Map<string, RegisteredResource[]> {
  const teams = new Map(resources.filter((r) => r.type === TEAM_TYPE).map((t) => [t.urn, t.name]));
  const parents = new Map(resources.map((r) => [r.urn, r.parent]));
  // A retained object may sit below a component of the team (its queues), not directly under it.
  const teamOf = (urn: string | undefined): string | undefined => {
    for (let u = urn; u; u = parents.get(u)) if (teams.has(u)) return teams.get(u);
    return undefined;
  };
  const out = new Map<string, RegisteredResource[]>();
  for (const r of resources) {
    const team = teamOf(r.parent);
    if (team && r.options.retainOnDelete) out.set(team, [...(out.get(team) ?? []), r]);
  }
  return out;
}

/** "namespace recsys, ClusterQueue, LimitRange, …, ResourceQuota ×3, bucket gs://…": kinds by name, not by registration order. */
function describe(kept: readonly RegisteredResource[]): string {
  const parts: string[] = [];
  const counts = new Map<string, number>();
  for (const r of kept) {
    if (r.type === TYPES.namespace) parts.unshift(`namespace ${r.inputs.metadata?.name}`);
    else if (r.type === TYPES.bucket) parts.push(`bucket gs://${r.inputs.name}`);
    else counts.set(r.type.split(":").at(-1)!, (counts.get(r.type.split(":").at(-1)!) ?? 0) + 1);
  }
  const objects = [...counts]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([kind, n]) => (n > 1 ? `${kind} ×${n}` : kind));
  const [first, ...rest] = parts;
  return [first, ...objects, ...rest].filter(Boolean).join(", ");
}
