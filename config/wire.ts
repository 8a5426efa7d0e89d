/**
 * Names and numbers the platform shares with Kubernetes, GKE, KubeRay, Kueue and its own
 * rules, defined once: the program, the client, the plan, the admission CEL and the policy
 * pack (policy/rules.ts) all read them here, so changing one changes every place
 * (test/wire.test.ts). No imports, so the policy pack can load this file alone.
 */

// --- The platform's own labels and annotations -------------------------------------------

/** Label on every team namespace and team-owned object, naming the team. */
export const TEAM_LABEL = "ray-platform/team";
/** Label on a RayCluster and the objects that belong to it: pod templates, token Secret, tools Service, tutorials ConfigMap, own-pods NetworkPolicy. */
export const RAYCLUSTER_LABEL = "ray-platform/raycluster";
/** Node labels: the pool a node belongs to, its role, its GPU type (catalog name). */
export const POOL_LABEL = "ray-platform/pool";
export const ROLE_LABEL = "ray-platform/role";
export const GPU_TYPE_LABEL = "ray-platform/gpu";
/** Annotations of team namespaces and RayClusters: what the team file says. */
export const DESCRIPTION_ANNOTATION = "ray-platform/description";
export const OWNERS_ANNOTATION = "ray-platform/owners";
/** Label of the CRDs the platform pins, naming the pinned release (e.g. kuberay-version: 1.7.0). */
export const PINNED_VERSION_LABELS = {
  kuberay: "ray-platform/kuberay-version",
  kueue: "ray-platform/kueue-version",
} as const;
/** Annotation of the facts ConfigMaps naming their format and version, which rayctl checks. */
export const FORMAT_ANNOTATION = "ray-platform/format";
/** Who applies an object: the program (team files) or rayctl. */
export const MANAGED_BY_LABEL = "app.kubernetes.io/managed-by";
export const MANAGED_BY = { [MANAGED_BY_LABEL]: "ray-platform" } as const;
/** The managed-by value of what rayctl creates. */
export const CLIENT_MANAGER = "rayctl";
/** GCP labels allow no "/": the team of a bucket, the pool of a node's VM. */
export const BUCKET_TEAM_LABEL = "ray-platform-team";
export const POOL_RESOURCE_LABEL = "ray-platform-pool";

// --- Kubernetes -----------------------------------------------------------------------------

/**
 * pulumi-kubernetes waits after a create or update until this JSONPath (or condition) holds
 * (provider pkg/metadata/overrides.go ReadyCondition, v4.18+).
 */
export const PULUMI_WAIT_FOR = "pulumi.com/waitFor";
/** The label Kubernetes puts on every namespace, naming it (1.22+): how a policy selects one namespace. */
export const NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";
/** Pod Security admission's namespace labels. */
export const POD_SECURITY_LABELS = {
  enforce: "pod-security.kubernetes.io/enforce",
  warn: "pod-security.kubernetes.io/warn",
  audit: "pod-security.kubernetes.io/audit",
} as const;

// --- GKE and NVIDIA --------------------------------------------------------------------------

/** GKE's node label naming a node's accelerator (its gkeType, e.g. nvidia-tesla-t4). */
export const ACCELERATOR_LABEL = "cloud.google.com/gke-accelerator";
/** The extended resource NVIDIA's device plugin advertises on GKE GPU nodes. */
export const GPU_RESOURCE = "nvidia.com/gpu";
/** Taint on GPU nodes: only pods that tolerate it (GPU pods) land there. */
export const GPU_TAINT = { key: GPU_RESOURCE, value: "present", effect: "NoSchedule" } as const;
/** GKE's API spells taint effects in upper case (container/v1 NodeTaint.effect). */
export const GKE_TAINT_EFFECT = { NoSchedule: "NO_SCHEDULE" } as const;

// --- KubeRay and Ray -------------------------------------------------------------------------

/** Labels KubeRay puts on Ray pods (ray-operator/controllers/ray/utils/constant.go:19-22). */
export const KUBERAY_LABELS = {
  cluster: "ray.io/cluster",
  nodeType: "ray.io/node-type",
  group: "ray.io/group",
  isRayNode: "ray.io/is-ray-node",
} as const;
/** KubeRay's label prefix: a Service selecting on it fronts Ray pods. */
export const KUBERAY_LABEL_PREFIX = "ray.io/";

/**
 * Ports Ray listens on in every RayCluster the platform renders. Each is told to `ray start`
 * through rayStartParams (RAY_PORT_FLAGS), so these numbers are the ones Ray uses, and each is a
 * named container port of the head (RAY_PORT_NAMES). Except GCS's, which must stay 6379: the
 * autoscaler KubeRay starts beside the head (`ray kuberay-autoscaler`, common/pod.go:941) takes
 * no address and dials GCS at <head IP>:6379 (Ray's autoscaler/_private/kuberay/run_autoscaler.py).
 */
export const RAY_PORTS = { gcs: 6379, dashboard: 8265, client: 10001, metrics: 8080 } as const;
export type RayPort = keyof typeof RAY_PORTS;
/**
 * The `ray start` flag that sets each port. Workers join at the head's `port`
 * (KubeRay common/pod.go:54-59) and KubeRay's probes read `dashboard-port` (pod.go:761).
 */
export const RAY_PORT_FLAGS: Readonly<Record<RayPort, string>> = {
  gcs: "port",
  dashboard: "dashboard-port",
  client: "ray-client-server-port",
  metrics: "metrics-export-port",
};
/**
 * The head's container port names. KubeRay finds the dashboard and the metrics port by name
 * (utils/constant.go:112-116; common/job.go:99, rayjob_controller.go:218, common/pod.go:289).
 */
export const RAY_PORT_NAMES: Readonly<Record<RayPort, string>> = {
  gcs: "gcs",
  dashboard: "dashboard",
  client: "client",
  metrics: "metrics",
};
/**
 * Ray Serve's HTTP port in a RayService: KubeRay's default (utils/constant.go:110), which its
 * controller probes. Serve takes it from the RayService's serveConfig, not from `ray start`.
 */
export const RAY_SERVE_PORT = 8000;
/** Ports of the tools the platform runs beside the head: JupyterLab and OpenVSCode Server. */
export const TOOL_PORTS = { notebook: 8081, vscode: 3000 } as const;

/** The KubeRay operator's default namespace, where rayctl also finds the platform's facts. */
export const KUBERAY_NAMESPACE = "kuberay-system";

// --- Kueue -----------------------------------------------------------------------------------

/** Kueue's namespace, the one the pinned CRDs name (scripts/pin-kueue.sh). */
export const KUEUE_NAMESPACE = "kueue-system";
/** The LocalQueue a workload goes to (Kueue pkg/controller/constants/constants.go:23). */
export const QUEUE_LABEL = "kueue.x-k8s.io/queue-name";
/** The label of a Workload naming the UID of the job it stands for (pkg/controller/constants/constants.go:43). */
export const JOB_UID_LABEL = "kueue.x-k8s.io/job-uid";

/**
 * PriorityClass that tags pods using one GPU type, so a ResourceQuota scoped to it can cap
 * that type: `nvidia.com/gpu` alone cannot tell a T4 from an A100.
 */
export function gpuPriorityClass(gkeType: string): string {
  return `ray-platform-gpu-${gkeType}`;
}
