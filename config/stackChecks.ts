/**
 * Stack-level checks that look at several settings together: the cluster's IP ranges, and the
 * operator's resources as Helm will merge them. Problems go to `report`, under the stack file.
 */
import ipaddr from "ipaddr.js";
import { mergeValues, operatorValues } from "./operatorValues";
import { type Report, show } from "./errors";
import { type ResolvedPool } from "./nodePools";
import { parseQuantity } from "./quantity";
import { type GkeValues } from "./stackFile";

/** The cluster's IP ranges: the control plane's is a /28, and no two overlap. */
export function checkRanges(g: GkeValues, report: Report): void {
  const ranges: [string, string][] = [
    ["network.nodesCidr", g.network.nodesCidr],
    ["network.podsCidr", g.network.podsCidr],
    ["network.servicesCidr", g.network.servicesCidr],
  ];
  if (g.privateNodes) {
    ranges.push(["masterIpv4CidrBlock", g.masterIpv4CidrBlock]);
    if (!g.masterIpv4CidrBlock.endsWith("/28")) {
      report(
        ["ray-platform:gke", "masterIpv4CidrBlock"],
        `${show(g.masterIpv4CidrBlock)} is not a /28; GKE needs exactly 16 addresses for the control plane, e.g. 172.16.0.0/28.`,
      );
    }
  }
  const parsed = ranges.map(([key, cidr]) => [key, ipaddr.IPv4.parseCIDR(cidr)] as const);
  parsed.forEach(([key, [addr, bits]], i) => {
    for (const [other, [otherAddr, otherBits]] of parsed.slice(0, i)) {
      if (addr.match(otherAddr, otherBits) || otherAddr.match(addr, bits)) {
        report(
          ["ray-platform:gke", ...key.split(".")],
          `${addr.toString()}/${bits} overlaps gke.${other} (${otherAddr.toString()}/${otherBits}); pick ranges that do not overlap.`,
        );
      }
    }
  });
}

/**
 * The operator's requests must not exceed its limits once the chart's defaults, the program's
 * and the stack's values are merged, as Helm will merge them; the API server refuses such a pod.
 */
export function checkOperatorResources(
  values: Record<string, unknown>,
  pools: readonly ResolvedPool[],
  chart: Record<string, unknown>,
  report: Report,
): void {
  const effective = mergeValues(
    chart,
    operatorValues(
      values,
      pools.find((p) => p.role === "system"),
    ),
  );
  const res = (effective.resources ?? {}) as {
    requests?: Record<string, string | number>;
    limits?: Record<string, string | number>;
  };
  for (const key of ["cpu", "memory"]) {
    const [req, lim] = [res.requests?.[key], res.limits?.[key]];
    if (req === undefined || lim === undefined) continue;
    if ((parseQuantity(req) ?? 0) > (parseQuantity(lim) ?? Infinity)) {
      report(
        ["ray-platform:kuberay", "values"],
        `the operator would request ${key} ${req} above its limit ${lim} (chart defaults, then the program's, then these values); set resources.limits.${key} at least ${req}.`,
      );
    }
  }
}
