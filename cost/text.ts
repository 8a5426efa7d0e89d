/** Costs as the plan and the pull-request report show them. */
import { type PlatformView, type TeamView } from "../config/view";
import { poolCost, rayClusterCost, stackMonthlyAtMax, teamCeiling, usd, usdChange } from "./costs";
import { type PriceTable } from "./prices";

/** Rows as text columns, each as wide as its widest cell (the plan's tables use it too). */
export function table(rows: string[][]): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((r) =>
    r
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd(),
  );
}

/** The plan's cost section: pools, team ceilings, RayClusters and the stack at maximum scale. */
export function costLines(view: PlatformView, prices: PriceTable): string[] {
  const total = stackMonthlyAtMax(prices, view);
  if (total === undefined) return [];
  const out = [
    `Costs (list prices in USD of ${prices.date}, ${prices.hoursPerMonth} h a month; data/gke-prices.yaml)`,
  ];
  const pools = [["POOL", "NODE/HOUR", "AT MAX NODES/MONTH"]];
  for (const p of view.pools) {
    const c = poolCost(prices, p)!;
    pools.push([p.name, usd(c.nodeHourly, true), `${usd(c.monthlyAtMax)} (${p.maxNodes} nodes)`]);
  }
  out.push(...table(pools).map((l) => `  ${l}`));
  const teams = [["TEAM", "QUOTA CEILING/MONTH"]];
  const clusters = [["RAYCLUSTER", "HOUR AT MIN", "HOUR AT MAX"]];
  for (const t of view.teams) {
    const ceiling = teamCeiling(prices, t, view.pools);
    teams.push([t.name, ceiling ? usd(ceiling.monthly) : "-"]);
    for (const rc of t.rayClusters) {
      const c = rayClusterCost(prices, rc, view.pools);
      clusters.push([
        `${t.name}/${rc.name}`,
        c ? usd(c.hourlyAtMin, true) : "-",
        c ? usd(c.hourlyAtMax, true) : "-",
      ]);
    }
  }
  if (teams.length > 1) out.push(...table(teams).map((l) => `  ${l}`));
  if (clusters.length > 1) out.push(...table(clusters).map((l) => `  ${l}`));
  out.push(
    `  stack at maximum scale: ${usd(total)}/month (every pool at maxNodes, GKE fee ${usd(prices.clusterFeeHourly, true)}/hour)`,
    "",
  );
  return out;
}

interface CostChanges {
  /** One line per team whose ceiling or quota changed and per RayCluster whose maximum changed. */
  readonly lines: readonly string[];
  readonly stack?: { readonly before: number; readonly after: number };
  /** Set when the stack's maximum rises by more than the allowed amount. */
  readonly danger?: string;
}

function quotaChanges(before: TeamView | undefined, after: TeamView | undefined): string[] {
  const changes: string[] = [];
  const pair = (key: string, b?: string, a?: string) => {
    if ((b ?? "0") !== (a ?? "0")) changes.push(`${key} ${b ?? "0"} → ${a ?? "0"}`);
  };
  pair("quota.cpu", before?.quota["requests.cpu"], after?.quota["requests.cpu"]);
  pair("quota.memory", before?.quota["requests.memory"], after?.quota["requests.memory"]);
  for (const gpu of [
    ...new Set([...Object.keys(before?.gpuQuota ?? {}), ...Object.keys(after?.gpuQuota ?? {})]),
  ].sort()) {
    pair(`quota.gpus.${gpu}`, before?.gpuQuota[gpu], after?.gpuQuota[gpu]);
  }
  return changes;
}

/**
 * What a change does to the bill: each team's ceiling, each RayCluster's maximum and the stack's
 * maximum, base against head. `maxIncreaseMonthly` is the rise of the stack's maximum above
 * which the change is flagged dangerous.
 */
export function costChanges(
  base: PlatformView,
  head: PlatformView,
  prices: PriceTable,
  maxIncreaseMonthly: number,
): CostChanges {
  const lines: string[] = [];
  for (const name of [...new Set([...base.teams, ...head.teams].map((t) => t.name))].sort()) {
    const [b, h] = [base.teams.find((t) => t.name === name), head.teams.find((t) => t.name === name)];
    const [cb, ch] = [
      b ? teamCeiling(prices, b, base.pools)?.monthly : 0,
      h ? teamCeiling(prices, h, head.pools)?.monthly : 0,
    ];
    const quota = quotaChanges(b, h);
    if (cb !== undefined && ch !== undefined && Math.round(ch - cb) !== 0) {
      lines.push(
        `${name}: ceiling ${usdChange(ch - cb)}/month (${usd(cb)} → ${usd(ch)})${quota.length ? `, ${quota.join(", ")}` : ""}`,
      );
    } else if (quota.length) {
      lines.push(`${name}: ceiling unchanged, ${quota.join(", ")}`);
    }
    const clusters = [
      ...new Set([...(b?.rayClusters ?? []), ...(h?.rayClusters ?? [])].map((c) => c.name)),
    ].sort();
    for (const rc of clusters) {
      const maxOf = (team: TeamView | undefined, view: PlatformView) => {
        const c = team?.rayClusters.find((x) => x.name === rc);
        return c ? rayClusterCost(prices, c, view.pools)?.hourlyAtMax : 0;
      };
      const [mb, mh] = [maxOf(b, base), maxOf(h, head)];
      if (mb === undefined || mh === undefined || Math.abs(mh - mb) < 0.005) continue;
      lines.push(
        `${name}/${rc}: maximum ${usdChange(mh - mb, true)}/hour (${usd(mb, true)} → ${usd(mh, true)})`,
      );
    }
  }
  const [sb, sh] = [stackMonthlyAtMax(prices, base) ?? 0, stackMonthlyAtMax(prices, head)];
  if (sh === undefined) return { lines };
  const rise = sh - sb;
  const danger =
    rise > maxIncreaseMonthly
      ? `the stack's maximum cost rises by ${usd(rise)}/month (${usd(sb)} → ${usd(sh)}), more than ray-platform:maxCostIncrease (${usd(maxIncreaseMonthly)})`
      : undefined;
  return { lines, stack: { before: sb, after: sh }, danger };
}

/** The report's cost section (Markdown). */
export function costMarkdown(c: CostChanges, prices: PriceTable): string[] {
  if (!c.stack || (c.lines.length === 0 && c.stack.before === c.stack.after)) return [];
  const out = ["### Cost", ""];
  if (c.danger) out.push("> [!CAUTION]", `> **Dangerous cost change**: ${c.danger}.`, "");
  out.push(...c.lines.map((l) => `- ${l}`));
  out.push(
    `- stack at maximum scale: ${usd(c.stack.after)}/month (${usdChange(c.stack.after - c.stack.before)})`,
    "",
  );
  out.push(
    `_List prices of ${prices.date} (data/gke-prices.yaml); ceilings assume every quota is used on the dearest pool that can hold it._`,
    "",
  );
  return out;
}
