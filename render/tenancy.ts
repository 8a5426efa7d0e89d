/**
 * Kubernetes objects of team tenancy, as plain data: a namespace per team with its quota,
 * defaults, RBAC, network isolation and service account (the cluster-wide pieces are in
 * tenancyBase.ts). Components register these; tests validate them against Kubernetes' schemas.
 */
import type { input as k8s } from "@pulumi/kubernetes/types";
import { formatAmounts } from "../config/kueue";
import { type Demand } from "../config/types";
import { type Member, PLAYGROUND, type ResolvedTeam } from "../config/teams";
import {
  DESCRIPTION_ANNOTATION,
  GPU_RESOURCE,
  gpuPriorityClass,
  KUBERAY_LABELS,
  MANAGED_BY,
  NAMESPACE_NAME_LABEL,
  OWNERS_ANNOTATION,
  POD_SECURITY_LABELS,
  PULUMI_WAIT_FOR,
  RAY_PORTS,
  RAY_SERVE_PORT,
  TEAM_LABEL,
} from "../config/wire";
import { sameNamespaceSelector } from "./clusterAccess";
import { CONTAINER_LIMITS, objectCounts } from "./quotas";

/** RoleBindings of every team namespace. */
const BINDINGS = { owners: "owners", rayUsers: "ray-users" } as const;
/** ClusterRoles bound in each team namespace (never cluster-wide): members, and owners on top. */
export const RAY_USER_ROLE = "ray-platform:ray-user";
export const TEAM_OWNER_ROLE = "ray-platform:team-owner";
/** Label KubeRay puts on every Ray pod, head and worker (utils/constant.go:22, RayNodeLabelKey). */
export const RAY_NODE_LABELS = { [KUBERAY_LABELS.isRayNode]: "yes" } as const;
/**
 * What the KubeRay 1.7.0 operator itself calls on a head pod: the dashboard, for RayJob
 * (rayjob_controller.go:296-315: GetJobInfo, SubmitJob, StopJob) and RayService
 * (rayservice_controller.go:2018-2062: serve applications), through the head Service
 * (utils/util.go:1022 FetchHeadServiceURL); and the Serve proxy's /-/healthz on the head pod's
 * IP, for RayService (rayservice_controller.go:2092-2103). The RayCluster controller calls no
 * Ray port; GCS and the client port are for the cluster's own pods and the team.
 */
const OPERATOR_TO_HEAD_PORTS = [RAY_PORTS.dashboard, RAY_SERVE_PORT] as const;

export interface TenancyContext {
  /** GPU types the stack offers: friendly name -> GKE accelerator type. */
  readonly gpuTypes: Readonly<Record<string, string>>;
  readonly operatorNamespace: string;
  readonly monitoringNamespace: string;
}

export function namespace(team: ResolvedTeam): k8s.core.v1.Namespace {
  return {
    metadata: {
      name: team.name,
      labels: {
        [TEAM_LABEL]: team.name,
        ...MANAGED_BY,
        // Ray, JupyterLab and OpenVSCode need nothing above baseline; warn on what restricted would refuse.
        [POD_SECURITY_LABELS.enforce]: "baseline",
        [POD_SECURITY_LABELS.warn]: "restricted",
        [POD_SECURITY_LABELS.audit]: "restricted",
      },
      annotations: {
        [DESCRIPTION_ANNOTATION]: team.description,
        [OWNERS_ANNOTATION]: team.owners.map((m) => m.name).join(","),
      },
    },
  };
}

const meta = (team: ResolvedTeam, name: string) => ({
  name,
  namespace: team.name,
  labels: { [TEAM_LABEL]: team.name, ...MANAGED_BY },
});

/**
 * The namespace's overall quota: CPU, memory, all GPUs, RayClusters and storage. CPU, memory
 * and GPUs are the ceiling of what Kueue can admit (quota plus borrowing limit), so admitted
 * pods always pass it and nothing that bypasses Kueue goes above it.
 */
export function resourceQuota(team: ResolvedTeam): k8s.core.v1.ResourceQuota {
  const hard = quotaHard(team, team.queue.ceiling, { gpus: true });
  return {
    metadata: quotaMeta(team, "team-quota", RAYCLUSTER_COUNT in hard ? RAYCLUSTER_COUNT : undefined),
    spec: { hard },
  };
}

const RAYCLUSTER_COUNT = "count/rayclusters.ray.io";

/**
 * A quota's metadata. Until the quota controller has counted what a quota limits, the API
 * server refuses every object of those kinds ("status unknown for quota", k8s.io/apiserver
 * pkg/admission/plugin/resourcequota/controller.go:474), so the create waits for the count:
 * of RayClusters, which the controller counts only once it has discovered their CRD (every
 * 30 s, kube-controller-manager's resource-quota discovery), else of anything.
 */
function quotaMeta(team: ResolvedTeam, name: string, counted?: string) {
  // RFC 9535 JSONPath (the provider parses it with github.com/theory/jsonpath): a key with "/" and "." in brackets.
  const path = counted ? `.status.used['${counted}']` : ".status.used";
  return { ...meta(team, name), annotations: { [PULUMI_WAIT_FOR]: `jsonpath={${path}}` } };
}

/**
 * The namespace quota's keys with `amounts` as CPU and memory (and, with `gpus`, all GPUs
 * summed): the ResourceQuota takes the queue's ceiling, the plan shows the nominal quota.
 */
export function quotaHard(
  team: ResolvedTeam,
  amounts: Demand,
  opts: { gpus: boolean },
): Record<string, string> {
  const q = team.quota;
  const a = formatAmounts(amounts);
  return {
    "requests.cpu": a.cpu,
    "requests.memory": a.memory,
    ...(opts.gpus
      ? { [`requests.${GPU_RESOURCE}`]: String(Object.values(amounts.gpus).reduce((x, y) => x + y, 0)) }
      : {}),
    "requests.storage": q.storage,
    "requests.ephemeral-storage": q.ephemeralStorage,
    ...objectCounts(q.objects),
    ...(q.rayClusters !== undefined ? { [RAYCLUSTER_COUNT]: String(q.rayClusters) } : {}),
  };
}

/** One quota per GPU type, scoped to the type's PriorityClass: quota plus borrowing limit (0 for types the team file leaves out). */
export function gpuQuotas(
  team: ResolvedTeam,
  ctx: TenancyContext,
): { type: string; quota: k8s.core.v1.ResourceQuota }[] {
  return Object.entries(ctx.gpuTypes).map(([type, gkeType]) => ({
    type,
    quota: {
      metadata: quotaMeta(team, `gpu-${type}`),
      spec: {
        hard: { [`requests.${GPU_RESOURCE}`]: String(team.queue.ceiling.gpus[type] ?? 0) },
        scopeSelector: {
          matchExpressions: [
            { scopeName: "PriorityClass", operator: "In", values: [gpuPriorityClass(gkeType)] },
          ],
        },
      },
    },
  }));
}

/**
 * Requests for containers that set none, so the quota admits them, and a minimum, so that a
 * container asking for 0 cannot run outside the CPU and memory quota. No default CPU or memory
 * limits: a default limit below a request would reject the pod. Ephemeral storage gets a
 * default limit too, so one container cannot fill a node's disk for every team's pods on it.
 */
export function limitRange(team: ResolvedTeam): k8s.core.v1.LimitRange {
  return {
    metadata: meta(team, "defaults"),
    spec: { limits: [{ type: "Container", ...CONTAINER_LIMITS }] },
  };
}

function subjects(members: readonly Member[]): k8s.rbac.v1.Subject[] {
  return members.map((m) => ({ kind: m.kind, name: m.name, apiGroup: "rbac.authorization.k8s.io" }));
}

/** Owners: run any workload in the team namespace (TEAM_OWNER_ROLE), in that namespace only. */
export function ownersBinding(team: ResolvedTeam): k8s.rbac.v1.RoleBinding {
  return {
    metadata: meta(team, BINDINGS.owners),
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: TEAM_OWNER_ROLE },
    subjects: subjects(team.owners),
  };
}

/** Owners and contributors: Ray work in the team namespace. */
export function rayUsersBinding(team: ResolvedTeam): k8s.rbac.v1.RoleBinding {
  return {
    metadata: meta(team, BINDINGS.rayUsers),
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: RAY_USER_ROLE },
    subjects: teamSubjects(team),
  };
}

/** The team's members may also use the shared playground; the binding lives there but belongs to the team. */
export function playgroundBinding(team: ResolvedTeam): k8s.rbac.v1.RoleBinding {
  return {
    metadata: {
      name: `team-${team.name}`,
      namespace: PLAYGROUND,
      labels: { [TEAM_LABEL]: team.name, ...MANAGED_BY },
    },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: RAY_USER_ROLE },
    subjects: teamSubjects(team),
  };
}

/** Owners and contributors, each once, as RBAC subjects. */
export function teamSubjects(team: ResolvedTeam): k8s.rbac.v1.Subject[] {
  return subjects(uniqueMembers(team));
}

function uniqueMembers(team: ResolvedTeam): Member[] {
  const seen = new Set<string>();
  return [...team.owners, ...team.contributors].filter((m) => {
    const key = `${m.kind}:${m.name}`;
    return seen.has(key) ? false : (seen.add(key), true);
  });
}

const nsSelector = (name: string) => ({
  namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: name } },
});

/** Network isolation: nothing from other namespaces, everything within, and the platform to Ray. */
export function networkPolicies(
  team: ResolvedTeam,
  ctx: TenancyContext,
): Record<string, k8s.networking.v1.NetworkPolicy> {
  return {
    "default-deny-ingress": {
      metadata: meta(team, "default-deny-ingress"),
      spec: { podSelector: {}, policyTypes: ["Ingress"] },
    },
    "allow-same-namespace": {
      metadata: meta(team, "allow-same-namespace"),
      spec: {
        podSelector: sameNamespaceSelector(team.name),
        policyTypes: ["Ingress"],
        ingress: [{ from: [{ podSelector: {} }] }],
      },
    },
    // What the operator calls on heads (OPERATOR_TO_HEAD_PORTS), and nothing else.
    "allow-operator-to-ray-heads": {
      metadata: meta(team, "allow-operator-to-ray-heads"),
      spec: {
        podSelector: { matchLabels: { [KUBERAY_LABELS.nodeType]: "head" } },
        policyTypes: ["Ingress"],
        ingress: [
          {
            from: [nsSelector(ctx.operatorNamespace)],
            ports: OPERATOR_TO_HEAD_PORTS.map((port) => ({ protocol: "TCP", port })),
          },
        ],
      },
    },
    // The collectors scrape every Ray pod's metrics port, and nothing else.
    "allow-metrics-scrape": {
      metadata: meta(team, "allow-metrics-scrape"),
      spec: {
        podSelector: { matchLabels: { ...RAY_NODE_LABELS } },
        policyTypes: ["Ingress"],
        ingress: [
          {
            from: [nsSelector(ctx.monitoringNamespace)],
            ports: [{ protocol: "TCP", port: RAY_PORTS.metrics }],
          },
        ],
      },
    },
  };
}

/** The identity of the team's Ray pods; bound to GCP through Workload Identity (principal form, no annotation). */
export function serviceAccount(team: ResolvedTeam): k8s.core.v1.ServiceAccount {
  return { metadata: meta(team, team.serviceAccountName) };
}

/** Workload Identity principal of a Kubernetes service account. */
export function workloadIdentityPrincipal(
  projectNumber: string,
  project: string,
  ns: string,
  ksa: string,
): string {
  return `principal://iam.googleapis.com/projects/${projectNumber}/locations/global/workloadIdentityPools/${project}.svc.id.goog/subject/ns/${ns}/sa/${ksa}`;
}
