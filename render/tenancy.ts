/**
 * Kubernetes objects of team tenancy, as plain data: a namespace per team with its quota,
 * defaults, RBAC, network isolation and service account, plus the cluster-wide pieces every
 * team relies on. Components register these; tests validate them against Kubernetes' schemas.
 */
import type { input as k8s } from "@pulumi/kubernetes/types";
import { type Member, PLAYGROUND, type TeamPlan } from "../config/teams";


export const TEAM_LABEL = "ray-platform/team";
export const MANAGED_BY = { "app.kubernetes.io/managed-by": "ray-platform" };
/** ClusterRoles bound in each team namespace (never cluster-wide): members, and owners on top. */
export const RAY_USER_ROLE = "ray-platform:ray-user";
export const TEAM_OWNER_ROLE = "ray-platform:team-owner";
/** Ports on Ray pods the platform itself needs to reach. */
export const RAY_PORTS = { gcs: 6379, dashboard: 8265, client: 10001, metrics: 8080 } as const;

/**
 * PriorityClass that tags pods using one GPU type, so a ResourceQuota scoped to it can cap
 * that type: `nvidia.com/gpu` alone cannot tell a T4 from an A100.
 */
export function gpuPriorityClass(gkeType: string): string {
  return `ray-platform-gpu-${gkeType}`;
}

export interface TenancyContext {
  /** GPU types the stack offers: friendly name -> GKE accelerator type. */
  readonly gpuTypes: Readonly<Record<string, string>>;
  readonly operatorNamespace: string;
  readonly monitoringNamespace: string;
}

export function namespace(team: TeamPlan): k8s.core.v1.Namespace {
  return {
    metadata: {
      name: team.name,
      labels: {
        [TEAM_LABEL]: team.name,
        ...MANAGED_BY,
        // Ray, JupyterLab and OpenVSCode need nothing above baseline; warn on what restricted would refuse.
        "pod-security.kubernetes.io/enforce": "baseline",
        "pod-security.kubernetes.io/warn": "restricted",
        "pod-security.kubernetes.io/audit": "restricted",
      },
      annotations: {
        "ray-platform/description": team.description,
        "ray-platform/owners": team.owners.map((m) => m.name).join(","),
      },
    },
  };
}

const meta = (team: TeamPlan, name: string) => ({ name, namespace: team.name, labels: { [TEAM_LABEL]: team.name, ...MANAGED_BY } });

/** The namespace's overall quota: CPU, memory, all GPUs, RayClusters and storage. */
export function resourceQuota(team: TeamPlan): k8s.core.v1.ResourceQuota {
  const q = team.quota;
  const hard: Record<string, string> = {
    "requests.cpu": q.cpu,
    "requests.memory": q.memory,
    "requests.nvidia.com/gpu": String(Object.values(q.gpus).reduce((a, b) => a + b, 0)),
    "requests.storage": q.storage,
  };
  if (q.rayClusters !== undefined) hard["count/rayclusters.ray.io"] = String(q.rayClusters);
  return { metadata: meta(team, "team-quota"), spec: { hard } };
}

/** One quota per GPU type, scoped to the type's PriorityClass (0 for types the team file leaves out). */
export function gpuQuotas(team: TeamPlan, ctx: TenancyContext): { type: string; quota: k8s.core.v1.ResourceQuota }[] {
  return Object.entries(ctx.gpuTypes).map(([type, gkeType]) => ({
    type,
    quota: {
      metadata: meta(team, `gpu-${type}`),
      spec: {
        hard: { "requests.nvidia.com/gpu": String(team.quota.gpus[type] ?? 0) },
        scopeSelector: { matchExpressions: [{ scopeName: "PriorityClass", operator: "In", values: [gpuPriorityClass(gkeType)] }] },
      },
    },
  }));
}

/** Requests for containers that set none, so the quota admits them. No default limits: a default limit below a request would reject the pod. */
export function limitRange(team: TeamPlan): k8s.core.v1.LimitRange {
  return {
    metadata: meta(team, "defaults"),
    spec: { limits: [{ type: "Container", defaultRequest: { cpu: "250m", memory: "512Mi" } }] },
  };
}

function subjects(members: readonly Member[]): k8s.rbac.v1.Subject[] {
  return members.map((m) => ({ kind: m.kind, name: m.name, apiGroup: "rbac.authorization.k8s.io" }));
}

/** Owners: run any workload in the team namespace (TEAM_OWNER_ROLE), in that namespace only. */
export function ownersBinding(team: TeamPlan): k8s.rbac.v1.RoleBinding {
  return {
    metadata: meta(team, "owners"),
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: TEAM_OWNER_ROLE },
    subjects: subjects(team.owners),
  };
}

/** Owners and contributors: Ray work in the team namespace. */
export function rayUsersBinding(team: TeamPlan): k8s.rbac.v1.RoleBinding {
  return {
    metadata: meta(team, "ray-users"),
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: RAY_USER_ROLE },
    subjects: subjects(uniqueMembers(team)),
  };
}

/** The team's members may also use the shared playground; the binding lives there but belongs to the team. */
export function playgroundBinding(team: TeamPlan): k8s.rbac.v1.RoleBinding {
  return {
    metadata: { name: `team-${team.name}`, namespace: PLAYGROUND, labels: { [TEAM_LABEL]: team.name, ...MANAGED_BY } },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: RAY_USER_ROLE },
    subjects: subjects(uniqueMembers(team)),
  };
}

function uniqueMembers(team: TeamPlan): Member[] {
  const seen = new Set<string>();
  return [...team.owners, ...team.contributors].filter((m) => {
    const key = `${m.kind}:${m.name}`;
    return seen.has(key) ? false : (seen.add(key), true);
  });
}

const nsSelector = (name: string) => ({ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": name } } });

/** Network isolation: nothing from other namespaces, everything within, and the platform to Ray. */
export function networkPolicies(team: TeamPlan, ctx: TenancyContext): Record<string, k8s.networking.v1.NetworkPolicy> {
  return {
    "default-deny-ingress": {
      metadata: meta(team, "default-deny-ingress"),
      spec: { podSelector: {}, policyTypes: ["Ingress"] },
    },
    "allow-same-namespace": {
      metadata: meta(team, "allow-same-namespace"),
      spec: { podSelector: {}, policyTypes: ["Ingress"], ingress: [{ from: [{ podSelector: {} }] }] },
    },
    // The operator talks to the dashboard (RayJob, RayService) and GCS; monitoring scrapes metrics.
    "allow-platform-to-ray-heads": {
      metadata: meta(team, "allow-platform-to-ray-heads"),
      spec: {
        podSelector: { matchLabels: { "ray.io/node-type": "head" } },
        policyTypes: ["Ingress"],
        ingress: [
          {
            from: [nsSelector(ctx.operatorNamespace), nsSelector(ctx.monitoringNamespace)],
            ports: Object.values(RAY_PORTS).map((port) => ({ protocol: "TCP", port })),
          },
        ],
      },
    },
    "allow-metrics-scrape": {
      metadata: meta(team, "allow-metrics-scrape"),
      spec: {
        podSelector: { matchLabels: { "ray.io/is-ray-node": "yes" } },
        policyTypes: ["Ingress"],
        ingress: [{ from: [nsSelector(ctx.monitoringNamespace)], ports: [{ protocol: "TCP", port: RAY_PORTS.metrics }] }],
      },
    },
  };
}

/** The identity of the team's Ray pods; bound to GCP through Workload Identity (principal form, no annotation). */
export function serviceAccount(team: TeamPlan): k8s.core.v1.ServiceAccount {
  return { metadata: meta(team, team.serviceAccountName) };
}

/** Workload Identity principal of a Kubernetes service account. */
export function workloadIdentityPrincipal(projectNumber: string, project: string, ns: string, ksa: string): string {
  return `principal://iam.googleapis.com/projects/${projectNumber}/locations/global/workloadIdentityPools/${project}.svc.id.goog/subject/ns/${ns}/sa/${ksa}`;
}

// --- Cluster-wide pieces, shared by every team ---------------------------------------------

const ALL = ["get", "list", "watch", "create", "update", "patch", "delete"];
const READ = ["get", "list", "watch"];

/** What owners and contributors may do in a namespace they are bound in: Ray work. */
export function rayUserRole(): k8s.rbac.v1.ClusterRole {
  return {
    metadata: { name: RAY_USER_ROLE, labels: MANAGED_BY },
    rules: [
      { apiGroups: ["ray.io"], resources: ["rayclusters", "rayjobs", "rayservices", "raycronjobs"], verbs: ALL },
      { apiGroups: ["ray.io"], resources: ["rayclusters/status", "rayjobs/status", "rayservices/status", "raycronjobs/status"], verbs: READ },
      { apiGroups: [""], resources: ["pods", "services", "endpoints", "events", "resourcequotas", "limitranges", "serviceaccounts"], verbs: READ },
      { apiGroups: [""], resources: ["pods/log"], verbs: ["get"] },
      { apiGroups: [""], resources: ["pods/exec", "pods/portforward"], verbs: ["get", "create"] },
      { apiGroups: [""], resources: ["configmaps", "persistentvolumeclaims"], verbs: ALL },
      { apiGroups: ["events.k8s.io"], resources: ["events"], verbs: READ },
    ],
  };
}

/**
 * What owners may do besides Ray work: run pods, Deployments, StatefulSets and Jobs of their
 * own, with Secrets and Services. Unlike Kubernetes' built-in `admin`, not change
 * NetworkPolicies, quotas, RoleBindings or service accounts: the team's isolation, limits,
 * members and identity come from its team file.
 */
export function teamOwnerRole(): k8s.rbac.v1.ClusterRole {
  return {
    metadata: { name: TEAM_OWNER_ROLE, labels: MANAGED_BY },
    rules: [
      { apiGroups: [""], resources: ["pods", "services", "secrets", "configmaps", "persistentvolumeclaims"], verbs: ALL },
      { apiGroups: [""], resources: ["pods/attach", "pods/eviction"], verbs: ["get", "create"] },
      { apiGroups: ["apps"], resources: ["deployments", "statefulsets", "replicasets"], verbs: ALL },
      { apiGroups: ["apps"], resources: ["deployments/scale", "statefulsets/scale"], verbs: ["get", "update", "patch"] },
      { apiGroups: ["batch"], resources: ["jobs", "cronjobs"], verbs: ALL },
      { apiGroups: ["networking.k8s.io"], resources: ["networkpolicies"], verbs: READ },
      { apiGroups: ["rbac.authorization.k8s.io"], resources: ["roles", "rolebindings"], verbs: READ },
    ],
  };
}

/** A PriorityClass per GPU type: value 0 and never preempting, it only labels pods for the quota. */
export function gpuPriorityClasses(ctx: Pick<TenancyContext, "gpuTypes">): { type: string; priorityClass: k8s.scheduling.v1.PriorityClass }[] {
  return Object.entries(ctx.gpuTypes).map(([type, gkeType]) => ({
    type,
    priorityClass: {
      metadata: { name: gpuPriorityClass(gkeType), labels: MANAGED_BY },
      value: 0,
      preemptionPolicy: "Never",
      globalDefault: false,
      description: `Pods using ${type} GPUs (${gkeType}); the team's gpu-${type} ResourceQuota counts them.`,
    },
  }));
}

const ACCELERATOR_LABEL = "cloud.google.com/gke-accelerator";
const inTeamNamespaces = { namespaceSelector: { matchExpressions: [{ key: TEAM_LABEL, operator: "Exists" }] } };

/** A ValidatingAdmissionPolicy and its binding (Deny), both named `name`. */
export interface AdmissionRule {
  readonly name: string;
  readonly policy: k8s.admissionregistration.v1.ValidatingAdmissionPolicy;
  readonly binding: k8s.admissionregistration.v1.ValidatingAdmissionPolicyBinding;
}

function admissionRule(name: string, spec: k8s.admissionregistration.v1.ValidatingAdmissionPolicySpec): AdmissionRule {
  return {
    name,
    policy: { metadata: { name, labels: MANAGED_BY }, spec: { failurePolicy: "Fail", ...spec } },
    binding: { metadata: { name, labels: MANAGED_BY }, spec: { policyName: name, validationActions: ["Deny"] } },
  };
}

/**
 * Admission rules in team namespaces, which hold even for owners and for pods created by
 * controllers: a pod that uses GPUs names its accelerator and carries that accelerator's
 * PriorityClass (so per-type quotas cannot be dodged, init and sidecar containers included);
 * a pod that does not use GPUs neither selects, tolerates nor names GPU nodes; Services stay
 * inside the cluster; and no Secret holds a long-lived service account token.
 */
export function admissionRules(): AdmissionRule[] {
  const gpuPods = admissionRule("ray-platform-gpu-pods", {
    // UPDATE too: tolerations can be added to a running pod, and a gated pod's nodeSelector set later.
    matchConstraints: { resourceRules: [{ apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE", "UPDATE"], resources: ["pods"] }], ...inTeamNamespaces },
    variables: [
      { name: "containers", expression: "object.spec.containers + (has(object.spec.initContainers) ? object.spec.initContainers : [])" },
      {
        name: "usesGpu",
        expression:
          "variables.containers.exists(c, has(c.resources) && ((has(c.resources.limits) && 'nvidia.com/gpu' in c.resources.limits) || (has(c.resources.requests) && 'nvidia.com/gpu' in c.resources.requests)))",
      },
      { name: "accelerator", expression: `has(object.spec.nodeSelector) && '${ACCELERATOR_LABEL}' in object.spec.nodeSelector ? object.spec.nodeSelector['${ACCELERATOR_LABEL}'] : ''` },
      // A toleration without a key and with operator Exists tolerates every taint, the GPU taint included.
      {
        name: "toleratesGpu",
        expression: "has(object.spec.tolerations) && object.spec.tolerations.exists(t, (has(t.key) && t.key == 'nvidia.com/gpu') || (!has(t.key) && has(t.operator) && t.operator == 'Exists'))",
      },
    ],
    validations: [
      {
        expression: `!variables.usesGpu || (variables.accelerator != '' && has(object.spec.priorityClassName) && object.spec.priorityClassName == '${gpuPriorityClass("")}' + variables.accelerator)`,
        message: `Pods that use GPUs must set nodeSelector ${ACCELERATOR_LABEL} and priorityClassName ${gpuPriorityClass("<accelerator>")}, so the team's per-GPU-type quota applies. RayClusters from team files do this; copy their worker template.`,
        reason: "Forbidden",
      },
      {
        // spec.nodeName skips the scheduler, and with it the GPU taint.
        expression: "variables.usesGpu || (variables.accelerator == '' && !variables.toleratesGpu && !has(object.spec.nodeName))",
        message: "Pods that use no GPU may neither select GPU nodes, tolerate the nvidia.com/gpu taint nor name a node: they would hold GPU nodes without using them. Remove the accelerator nodeSelector, the toleration or nodeName.",
        reason: "Forbidden",
      },
    ],
  });
  const services = admissionRule("ray-platform-internal-services", {
    matchConstraints: { resourceRules: [{ apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE", "UPDATE"], resources: ["services"] }], ...inTeamNamespaces },
    validations: [
      {
        // externalIPs expose even a ClusterIP Service (and can intercept traffic: CVE-2020-8554).
        expression: "(!has(object.spec.type) || object.spec.type == 'ClusterIP') && !has(object.spec.externalIPs)",
        message: "Services in team namespaces stay inside the cluster (type ClusterIP, no externalIPs); reach them with kubectl port-forward.",
        reason: "Forbidden",
      },
    ],
  });
  // A token Secret for the `ray` service account would never expire: a removed owner would
  // keep the Ray pods' rights and bucket access. Pods get short-lived projected tokens instead.
  const tokens = admissionRule("ray-platform-no-token-secrets", {
    matchConstraints: { resourceRules: [{ apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE", "UPDATE"], resources: ["secrets"] }], ...inTeamNamespaces },
    validations: [
      {
        expression: "!has(object.type) || object.type != 'kubernetes.io/service-account-token'",
        message: "Long-lived service account token Secrets are not allowed in team namespaces; use kubectl create token for a short-lived one.",
        reason: "Forbidden",
      },
    ],
  });
  return [gpuPods, services, tokens];
}
