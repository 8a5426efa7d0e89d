/**
 * The Markdown report of a plan diff, for a pull request comment: dangerous changes first, a
 * table of team changes, a Mermaid picture of the affected part of the platform, then details.
 */
import { type PlanDiff, type ResourceChange, SIGN } from "./diff";
import { prices } from "../cost/prices";
import { costChanges, costMarkdown } from "../cost/text";
import { type PlatformView, type TeamView } from "./model";


function teamCells(t: TeamView | undefined): string[] {
  if (!t) return ["-", "-", "-", "-", "-"];
  const gpus = Object.entries(t.gpuQuota).filter(([, n]) => n !== "0").map(([k, n]) => `${n} ${k}`).join(", ") || "none";
  return [t.quota["requests.cpu"] ?? "-", t.quota["requests.memory"] ?? "-", gpus, String(t.members.length), t.rayClusters.map((c) => c.name).join(", ") || "none"];
}

function cell(before: string, after: string): string {
  return before === after ? after : `${before} → **${after}**`;
}

/** Rows of the team table: one per team whose view differs. */
export function teamRows(base: PlatformView, head: PlatformView): string[][] {
  const names = [...new Set([...base.teams, ...head.teams].map((t) => t.name))].sort();
  const rows: string[][] = [];
  for (const name of names) {
    const [b, h] = [base.teams.find((t) => t.name === name), head.teams.find((t) => t.name === name)];
    if (JSON.stringify(b) === JSON.stringify(h)) continue;
    const change = !b ? "added" : !h ? "removed" : "changed";
    const [bc, hc] = [teamCells(b), teamCells(h)];
    rows.push([name, change, ...hc.map((v, i) => cell(bc[i], v))]);
  }
  return rows;
}

/** Which platform part a resource belongs to, from its URN's parent types and its name. */
function partOf(c: ResourceChange, teams: readonly string[]): string {
  const types = c.urn.split("::")[2].split("$");
  if (types.includes("ray-platform:tenancy:Team")) {
    // Team children are named `<team>-<role>`; the longest matching team name wins (names may contain "-").
    const team = teams.filter((t) => c.name === t || c.name.startsWith(`${t}-`)).sort((a, b) => b.length - a.length)[0];
    return `team ${team ?? c.name}`;
  }
  if (types.includes("ray-platform:gke:NodePool")) return `pool ${c.name.replace(/^gke-/, "")}`;
  if (types.includes("ray-platform:gke:Cluster")) return "GKE cluster";
  if (types.includes("ray-platform:kuberay:Operator")) return "KubeRay operator";
  if (types.includes("ray-platform:tenancy:Base")) return "cluster-wide tenancy";
  return "platform";
}

function mermaid(changes: readonly ResourceChange[], teams: readonly string[]): string[] {
  const parts = new Map<string, Set<string>>();
  for (const c of changes) {
    const part = partOf(c, teams);
    if (!parts.has(part)) parts.set(part, new Set());
    parts.get(part)!.add(c.kind);
  }
  const id = (s: string) => s.replace(/[^a-zA-Z0-9]/g, "_");
  const lines = ["```mermaid", "flowchart LR", '  platform["ray-platform"]'];
  for (const [part, kinds] of [...parts].sort()) {
    if (part === "platform") continue;
    const style = kinds.has("remove") ? "removed" : kinds.has("add") && kinds.size === 1 ? "added" : "changed";
    lines.push(`  platform --> ${id(part)}["${part} (${[...kinds].map((k) => SIGN[k as keyof typeof SIGN]).join("")})"]:::${style}`);
  }
  lines.push("  classDef added fill:#d4f8d4,stroke:#2a2", "  classDef changed fill:#fff3c4,stroke:#c90", "  classDef removed fill:#fdd,stroke:#c22", "```");
  return lines;
}

export function markdownReport(d: PlanDiff, base: PlatformView, head: PlatformView, opts: { stack: string; baseRef: string; note?: string; maxCostIncrease: number }): string {
  const count = (k: ResourceChange["kind"]) => d.changes.filter((c) => c.kind === k).length;
  const out = [
    `<!-- ray-platform-plan -->`,
    `## ray-platform plan: stack \`${opts.stack}\` against \`${opts.baseRef}\``,
    "",
    "_Offline plan, computed without credentials by the code under review: advisory. The preview and the reviewed deploy are authoritative._",
    "",
  ];
  if (opts.note) out.push(`_${opts.note}_`, "");
  if (d.changes.length === 0) {
    out.push("No changes: `pulumi up` would leave the platform as it is.");
    return out.join("\n") + "\n";
  }
  if (d.dangers.length > 0) {
    out.push("> [!WARNING]", "> **Dangerous changes**: review these before merging.", ...d.dangers.map((x) => `> - ${x.what}`), "");
  }
  out.push(`**${count("add")} to add, ${count("change")} to change, ${count("remove")} to remove.**`, "");
  const rows = teamRows(base, head);
  if (rows.length > 0) {
    out.push("### Teams", "", "| team | change | CPU quota | memory quota | GPU quota | members | RayClusters |", "| --- | --- | --- | --- | --- | --- | --- |");
    out.push(...rows.map((r) => `| ${r.join(" | ")} |`), "");
  }
  out.push(...costMarkdown(costChanges(base, head, prices(), opts.maxCostIncrease), prices()));
  out.push("### What is affected", "", ...mermaid(d.changes, [...new Set([...base.teams, ...head.teams].map((t) => t.name))]), "");
  out.push("<details><summary>Every change</summary>", "", "| | resource | type | fields |", "| --- | --- | --- | --- |");
  for (const c of d.changes) out.push(`| ${SIGN[c.kind]} | \`${c.name}\` | \`${c.type}\` | ${c.fields.map((f) => `\`${f}\``).join(", ")} |`);
  out.push("", "</details>", "");
  return out.join("\n") + "\n";
}
