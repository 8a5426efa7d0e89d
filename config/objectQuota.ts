/**
 * Object-count quotas: what a team's own RayClusters need of them, and what all teams together
 * may take of the one thing every namespace shares by count, the cluster's Service range.
 */
import ipaddr from "ipaddr.js";
import { type PathSegment, type Report } from "./errors";
import { type ResolvedRayCluster } from "./rayClusters";
import { type ObjectQuota, type TeamValues } from "./teamFile";

/**
 * Service addresses kept for what is not a team's: kube-system (kubernetes, kube-dns,
 * metrics-server), Managed Prometheus, the KubeRay operator and what the platform adds later.
 */
export const SYSTEM_SERVICES = 256;
/** ConfigMaps every namespace holds before a team creates any (kube-root-ca.crt). */
const BUILTIN_CONFIGMAPS = 1;

/** Objects one RayCluster from a team file takes: head Service (KubeRay), tools Service, token Secret, tutorials ConfigMap, pods. */
function clusterObjects(
  c: ResolvedRayCluster,
  at: "replicas" | "maxReplicas",
): Omit<ObjectQuota, "persistentVolumeClaims"> {
  return {
    services: 1 + (c.notebook || c.vscode ? 1 : 0),
    secrets: 1,
    configMaps: c.tutorials ? 1 : 0,
    pods: 1 + c.workerGroups.reduce((n, g) => n + g[at], 0),
  };
}

/** The object quota must admit the team's own RayClusters: all of them at their initial size, and each alone at its maximum. */
export function checkObjectQuota(
  values: TeamValues,
  clusters: readonly ResolvedRayCluster[],
  report: Report,
): void {
  const q = values.quota.objects;
  const sum = (key: keyof ReturnType<typeof clusterObjects>) =>
    clusters.reduce((n, c) => n + clusterObjects(c, "replicas")[key], 0);
  const need = {
    services: sum("services"),
    secrets: sum("secrets"),
    configMaps: sum("configMaps") + BUILTIN_CONFIGMAPS,
    pods: sum("pods"),
  };
  for (const key of ["services", "secrets", "configMaps", "pods"] as const) {
    if (need[key] > q[key]) {
      report(
        ["quota", "objects", key],
        `is ${q[key]}, but the team's RayClusters need ${need[key]} ${key} (head and tools Services, token Secrets, tutorials and kube-root-ca.crt ConfigMaps, pods); raise it or remove clusters.`,
      );
    }
  }
  clusters.forEach((c) => {
    const pods = clusterObjects(c, "maxReplicas").pods;
    if (pods > q.pods) {
      const i = values.rayClusters.findIndex((rc) => rc.name === c.name);
      report(
        ["rayClusters", i, "name"],
        `"${c.name}" at maxReplicas has ${pods} pods, above quota.objects.pods (${q.pods}); its autoscaler could never get there. Lower maxReplicas or raise quota.objects.pods.`,
      );
    }
  });
}

/** Addresses of a Service range (GKE hands out every address of the secondary range). */
export function serviceRangeSize(cidr: string): number {
  return 2 ** (32 - ipaddr.IPv4.parseCIDR(cidr)[1]);
}

/**
 * All teams' Service quotas together must fit the cluster's Service range, less what the system
 * keeps: otherwise teams within their quotas can exhaust it, and then no namespace (kube-system
 * included) can create a Service.
 */
export function checkServiceRange(
  teams: readonly { name: string; quota: { objects: { services: number } } }[],
  cidr: string,
  at: PathSegment[],
  report: Report,
): void {
  const allowed = teams.reduce((n, t) => n + t.quota.objects.services, 0);
  const room = serviceRangeSize(cidr) - SYSTEM_SERVICES;
  if (allowed > room) {
    const top = [...teams]
      .sort((a, b) => b.quota.objects.services - a.quota.objects.services)
      .slice(0, 3)
      .map((t) => `${t.name} ${t.quota.objects.services}`);
    report(
      at,
      `${cidr} holds ${serviceRangeSize(cidr)} Service addresses, ${SYSTEM_SERVICES} kept for the system, but the ${teams.length} teams' quota.objects.services add up to ${allowed} (largest: ${top.join(", ")}); lower quota.objects.services in team files or use a larger range (a new range replaces the cluster).`,
    );
  }
}
