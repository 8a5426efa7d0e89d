/**
 * KubeRay's own admission-time rules for RayJobs, as its operator applies them before it
 * reconciles one (ray-operator v1.7.0 controllers/ray/utils/validation.go:533-626,
 * ValidateRayJobMetadata and ValidateRayJobSpec): the tests hold rayctl's RayJobs to them.
 * DeletionStrategy rules (validateDeletionConfiguration) are left out: rayctl sets none.
 */
import { load as loadYaml } from "js-yaml";

/** utils/constant.go: MaxRayJobNameLength = MaxRayClusterNameLength (53) - 6. */
const MAX_RAYJOB_NAME = 47;
const DNS1035 = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

export function rayJobProblems(rj: Record<string, any>): string[] {
  const p: string[] = [];
  const name: string = rj.metadata?.name ?? "";
  if (name.length > MAX_RAYJOB_NAME)
    p.push(`RayJob name should be no more than ${MAX_RAYJOB_NAME} characters`);
  if (!DNS1035.test(name) || name.length > 63) p.push("RayJob name should be a valid DNS1035 label");
  const s = rj.spec ?? {};
  if (s.suspend && !s.shutdownAfterJobFinishes)
    p.push("a RayJob with shutdownAfterJobFinishes set to false is not allowed to be suspended");
  if ((s.ttlSecondsAfterFinished ?? 0) < 0) p.push("TTLSecondsAfterFinished must be a non-negative integer");
  const selector = s.clusterSelector && Object.keys(s.clusterSelector).length > 0;
  if (s.suspend && selector) p.push("the ClusterSelector mode doesn't support the suspend operation");
  if (!s.rayClusterSpec && !selector) p.push("one of RayClusterSpec or ClusterSelector must be set");
  if (selector) {
    if (!s.clusterSelector["ray.io/cluster"]) p.push("cluster name in ClusterSelector should not be empty");
    if (s.submissionMode === "SidecarMode") p.push("ClusterSelector is not supported in SidecarMode");
    if ((s.backoffLimit ?? 0) > 0) p.push("BackoffLimit is incompatible with ClusterSelector mode");
  }
  if (s.submissionMode === "InteractiveMode" && (s.backoffLimit ?? 0) > 0)
    p.push("BackoffLimit is incompatible with InteractiveMode");
  if (s.submissionMode === "SidecarMode" && (s.submitterPodTemplate || s.submitterConfig))
    p.push("SidecarMode doesn't support SubmitterPodTemplate or SubmitterConfig");
  if (s.rayClusterSpec?.authOptions?.mode === "k8s")
    p.push("K8s token auth mode is currently not supported for RayJob");
  if (s.runtimeEnvYAML !== undefined) {
    try {
      const env = loadYaml(s.runtimeEnvYAML);
      if (env !== null && env !== undefined && (typeof env !== "object" || Array.isArray(env)))
        p.push("runtimeEnvYAML must be a YAML mapping");
    } catch {
      p.push("runtimeEnvYAML is not valid YAML");
    }
  }
  if (s.activeDeadlineSeconds !== undefined && s.activeDeadlineSeconds <= 0)
    p.push("activeDeadlineSeconds must be a positive integer");
  if (s.preRunningDeadlineSeconds !== undefined && s.preRunningDeadlineSeconds <= 0)
    p.push("preRunningDeadlineSeconds must be a positive integer");
  if (s.backoffLimit !== undefined && s.backoffLimit < 0) p.push("backoffLimit must be a positive integer");
  return p;
}

/**
 * Kueue's webhook for a RayJob it manages (one with a queue-name label): its own cluster, removed
 * when the job ends, without the autoscaler (kueue v0.19.2 pkg/controller/jobs/rayjob/rayjob_webhook.go:107-145,
 * raycluster/common.go ValidateCreate). A RayJob on an existing cluster is not Kueue's.
 */
export function kueueRayJobProblems(rj: Record<string, any>): string[] {
  if (!rj.metadata?.labels?.["kueue.x-k8s.io/queue-name"]) return [];
  const s = rj.spec ?? {};
  const p: string[] = [];
  if (s.clusterSelector && Object.keys(s.clusterSelector).length > 0)
    p.push("a kueue managed job should not use an existing cluster");
  if (!s.rayClusterSpec)
    p.push("rayClusterSpec is required for Kueue-managed jobs that don't use clusterSelector");
  if (!s.shutdownAfterJobFinishes) p.push("a kueue managed job should delete the cluster after finishing");
  if (s.rayClusterSpec?.enableInTreeAutoscaling)
    p.push("a kueue managed job should only use autoscaling when workload slicing is enabled");
  return p;
}
