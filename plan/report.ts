/**
 * The Markdown report of a plan diff, for a pull request comment: dangerous changes first, a
 * table of team changes, a Mermaid picture of the affected part of the platform, then details.
 */
import { isDeepStrictEqual } from "node:util";
import { prices } from "../cost/prices";
import { costChanges, costMarkdown } from "../cost/text";
import { type PlatformView, type TeamView } from "../config/view";
import { fieldLines, type PlanDiff, type ResourceChange, showField, SIGN, TYPES } from "./diff";

/**
 * A column of the team table. `cell` gets the team at the base and at the head (undefined
 * where it does not exist) and the resource changes that belong to it.
 */
export interface TeamColumn {
  readonly title: string;
  readonly cell: (
    base: TeamView | undefined,
    head: TeamView | undefined,
    changes: readonly ResourceChange[],
  ) => string;
}

/** A column showing one value per revision: the value, or `old → **new**` when it changed. */
function valueColumn(title: string, value: (t: TeamView) => string): TeamColumn {
  return {
    title,
    cell: (b, h) => {
      const [bv, hv] = [b ? value(b) : "-", h ? value(h) : "-"];
      return bv === hv ? hv : `${bv} → **${hv}**`;
    },
  };
}

const gpuQuota = (t: TeamView) =>
  Object.entries(t.gpuQuota)
    .filter(([, n]) => n !== "0")
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, n]) => `${n} ${k}`)
    .join(", ") || "none";

/** The team's Kueue queue beyond its quota: what it may borrow and lend, and its fair-sharing weight. */
const queueLimits = (t: TeamView) => {
  if (!t.queue) return "-";
  const list = (m: Record<string, string>) =>
    Object.entries(m)
      .filter(([, n]) => n !== "0")
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, n]) => `${k} ${n}`)
      .join(", ");
  const lend = list(t.queue.lending);
  return `borrow ${list(t.queue.borrowing) || "none"}; lend ${lend ? `at most ${lend}` : "all idle"}; weight ${t.queue.weight ?? "1"}`;
};

/** Members as a reviewer must see them: who, and who among them is an owner. */
const memberList = (t: TeamView) => t.members.map((m) => (t.owners.includes(m) ? `${m} (owner)` : m));

const membersColumn: TeamColumn = {
  title: "members",
  cell: (b, h) => {
    // A new team: everyone who gets access, owners marked.
    if (!b && h) return `**${memberList(h).join(", ") || "none"}**`;
    const [bm, hm] = [b ? memberList(b) : [], h ? memberList(h) : []];
    const changed = [
      ...hm.filter((m) => !bm.includes(m)).map((m) => `+${m}`),
      ...bm.filter((m) => !hm.includes(m)).map((m) => `-${m}`),
    ];
    if (changed.length === 0) return valueColumn("", (t) => String(t.members.length)).cell(b, h, []);
    // A removed team too: everyone it locks out is named.
    return `${bm.length} → **${h ? hm.length : "-"}** (${changed.join(", ")})`;
  },
};

const rayClustersColumn: TeamColumn = {
  title: "RayClusters",
  cell: (b, h, changes) => {
    if (!h) return `${b?.rayClusters.map((c) => c.name).join(", ") || "none"} → **-**`;
    const byName = new Map(
      changes.filter((c) => c.type === TYPES.rayCluster).map((c) => [c.label.split("/").pop()!, c]),
    );
    const cells = h.rayClusters.map((rc) => {
      const c = byName.get(rc.name);
      if (c?.kind === "add") return `**+${rc.name}**`;
      if (c?.kind === "change")
        return `${rc.name} (${c.fields.map((f) => showField({ ...f, path: f.path.replace(/^spec\./, "") }).replace(/→ (.*)$/, "→ **$1**")).join("; ")})`;
      return rc.name;
    });
    const removed = (b?.rayClusters ?? [])
      .filter((rc) => !h.rayClusters.some((x) => x.name === rc.name))
      .map((rc) => `~~${rc.name}~~`);
    return [...cells, ...removed].join(", ") || "none";
  },
};

/** The team table's columns; more (e.g. costs) are appended here. */
export const TEAM_COLUMNS: TeamColumn[] = [
  valueColumn("CPU quota", (t) => t.quota["requests.cpu"] ?? "-"),
  valueColumn("memory quota", (t) => t.quota["requests.memory"] ?? "-"),
  valueColumn("GPU quota", gpuQuota),
  valueColumn("queue", queueLimits),
  membersColumn,
  rayClustersColumn,
];

/** Rows of the team table: one per team whose view or resources changed. */
export function teamRows(
  base: PlatformView,
  head: PlatformView,
  changes: readonly ResourceChange[],
): string[][] {
  const names = [...new Set([...base.teams, ...head.teams].map((t) => t.name))].sort();
  const rows: string[][] = [];
  for (const name of names) {
    const [b, h] = [base.teams.find((t) => t.name === name), head.teams.find((t) => t.name === name)];
    const own = changes.filter((c) => c.team === name);
    // Compared by value: the same quota read in another key order is no change.
    if (isDeepStrictEqual(b, h) && own.length === 0) continue;
    const change = !b ? "added" : !h ? "removed" : "changed";
    rows.push([name, change, ...TEAM_COLUMNS.map((col) => col.cell(b, h, own))]);
  }
  return rows;
}

/** Which platform part a change belongs to: its team, else its component from the URN's parent types. */
function partOf(c: ResourceChange): string {
  if (c.team) return `team ${c.team}`;
  // urn:pulumi:<stack>::<project>::<parent types joined by $>::<name>
  const [, , typePath = ""] = c.urn.split("::");
  const types = typePath.split("$");
  if (types.includes("ray-platform:gke:NodePool")) return `pool ${c.name.replace(/^gke-/, "")}`;
  if (types.includes("ray-platform:gke:Cluster")) return "GKE cluster";
  if (types.includes("ray-platform:kuberay:Operator")) return "KubeRay operator";
  if (types.includes("ray-platform:tenancy:Base")) return "cluster-wide tenancy";
  return "platform";
}

const signs = (kinds: ReadonlySet<string>) =>
  ["add", "change", "remove"]
    .filter((k) => kinds.has(k))
    .map((k) => SIGN[k as keyof typeof SIGN])
    .join("");
const styleOf = (kinds: ReadonlySet<string>) =>
  kinds.has("remove") ? "removed" : kinds.has("add") && kinds.size === 1 ? "added" : "changed";

function mermaid(changes: readonly ResourceChange[]): string[] {
  const parts = new Map<string, Set<string>>();
  const clusters = new Map<string, ResourceChange>();
  for (const c of changes) {
    const part = partOf(c);
    if (!parts.has(part)) parts.set(part, new Set());
    parts.get(part)!.add(c.kind);
    if (c.type === TYPES.rayCluster && c.team) clusters.set(`${c.team}/${c.label.split("/").pop()}`, c);
  }
  const id = (s: string) => s.replace(/[^a-zA-Z0-9]/g, "_");
  const lines = ["```mermaid", "flowchart LR", '  platform["ray-platform"]'];
  for (const [part, kinds] of [...parts].sort()) {
    if (part === "platform") continue;
    lines.push(`  platform --> ${id(part)}["${part} (${signs(kinds)})"]:::${styleOf(kinds)}`);
  }
  // A RayCluster's change is drawn under its team.
  for (const [key, c] of [...clusters].sort()) {
    const kinds = new Set([c.kind]);
    lines.push(
      `  ${id(`team ${c.team}`)} --> ${id(`rc ${key}`)}["RayCluster ${key.split("/")[1]} (${signs(kinds)})"]:::${styleOf(kinds)}`,
    );
  }
  lines.push(
    "  classDef added fill:#d4f8d4,stroke:#2a2",
    "  classDef changed fill:#fff3c4,stroke:#c90",
    "  classDef removed fill:#fdd,stroke:#c22",
    "```",
  );
  return lines;
}

/**
 * The report; `base` is the base revision's view, undefined when that revision predates the
 * configuration view in its plan JSON: then the team table and costs are left out, with a note.
 */
export function markdownReport(
  d: PlanDiff,
  base: PlatformView | undefined,
  head: PlatformView,
  opts: { stack: string; baseRef: string; note?: string; maxCostIncrease: number },
): string {
  const count = (k: ResourceChange["kind"]) => d.changes.filter((c) => c.kind === k).length;
  const out = [
    `<!-- ray-platform-plan -->`,
    `## ray-platform plan: stack \`${opts.stack}\` against \`${opts.baseRef}\``,
    "",
    "_Offline plan, computed without credentials by the code under review: advisory. The preview and the reviewed deploy are authoritative._",
    "",
  ];
  if (opts.note) out.push(`_${opts.note}_`, "");
  if (!base) {
    out.push(
      `_\`${opts.baseRef}\` predates the configuration view in the plan (plan/model.ts), so its teams and costs are not compared: no team table or cost section. Every resource change is listed below._`,
      "",
    );
  }
  if (d.changes.length === 0) {
    out.push("No changes: `pulumi up` would leave the platform as it is.");
    return out.join("\n") + "\n";
  }
  if (d.dangers.length > 0) {
    out.push(
      "> [!WARNING]",
      "> **Dangerous changes**: review these before merging.",
      ...d.dangers.map((x) => `> - ${x.what}`),
      "",
    );
  }
  out.push(`**${count("add")} to add, ${count("change")} to change, ${count("remove")} to remove.**`, "");
  const rows = base ? teamRows(base, head, d.changes) : [];
  if (rows.length > 0) {
    const titles = ["team", "change", ...TEAM_COLUMNS.map((c) => c.title)];
    out.push("### Teams", "", `| ${titles.join(" | ")} |`, `| ${titles.map(() => "---").join(" | ")} |`);
    out.push(...rows.map((r) => `| ${r.join(" | ")} |`), "");
  }
  for (const t of d.removedTeams) {
    out.push(
      `### Team ${t.team} removed`,
      "",
      `- **Retained** (kept in the cluster or GCP, no longer managed by Pulumi: \`retainOnDelete\`): ${t.retained.map((c) => `\`${c.label}\``).join(", ") || "nothing"}`,
      `- **Deleted**: ${t.deleted.map((c) => `\`${c.label}\``).join(", ") || "nothing"}`,
      "",
    );
  }
  if (base) out.push(...costMarkdown(costChanges(base, head, prices(), opts.maxCostIncrease), prices()));
  out.push("### What is affected", "", ...mermaid(d.changes), "");
  out.push(
    "<details><summary>Every change</summary>",
    "",
    "| | resource | type | fields |",
    "| --- | --- | --- | --- |",
  );
  for (const c of d.changes) {
    const fields = c.retained
      ? "retained, no longer managed"
      : fieldLines(c)
          .map((f) => `\`${f.replace(/\|/g, "\\|").replace(/`/g, "'")}\``)
          .join("<br>");
    out.push(`| ${SIGN[c.kind]} | \`${c.label}\` | \`${c.type}\` | ${fields} |`);
  }
  out.push("", "</details>", "");
  return out.join("\n") + "\n";
}
