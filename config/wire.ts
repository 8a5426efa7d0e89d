/**
 * Names the platform shares with Kubernetes, GKE and its own rules, defined once: the
 * program, the admission CEL and the policy pack (policy/rules.ts) all read them here.
 * No imports, so the policy pack can load this file alone.
 */

/** Label on every team namespace and team-owned object, naming the team. */
export const TEAM_LABEL = "ray-platform/team";
/** The extended resource NVIDIA's device plugin advertises on GKE GPU nodes. */
export const GPU_RESOURCE = "nvidia.com/gpu";
/** Taint on GPU nodes: only pods that tolerate it (GPU pods) land there. */
export const GPU_TAINT = { key: GPU_RESOURCE, value: "present", effect: "NoSchedule" } as const;
/** GKE's API spells taint effects in upper case (container/v1 NodeTaint.effect). */
export const GKE_TAINT_EFFECT = { NoSchedule: "NO_SCHEDULE" } as const;
