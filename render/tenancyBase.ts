/**
 * Cluster-wide Kubernetes objects every team relies on, as plain data: the roles bound in team
 * namespaces, a PriorityClass per GPU type, and the admission rules of team namespaces.
 */
import type { input as k8s } from "@pulumi/kubernetes/types";
import {
  ACCELERATOR_LABEL,
  GPU_RESOURCE,
  GPU_TAINT,
  gpuPriorityClass,
  KUBERAY_LABELS,
  MANAGED_BY,
  TEAM_LABEL,
} from "../config/wire";
import { OWN_PODS_SUFFIX } from "./clusterAccess";
import { RAY_USER_ROLE, TEAM_OWNER_ROLE, type TenancyContext } from "./tenancy";

const ALL = ["get", "list", "watch", "create", "update", "patch", "delete"];
const READ = ["get", "list", "watch"];

/** What owners and contributors may do in a namespace they are bound in: Ray work. */
export function rayUserRole(): k8s.rbac.v1.ClusterRole {
  return {
    metadata: { name: RAY_USER_ROLE, labels: MANAGED_BY },
    rules: [
      {
        apiGroups: ["ray.io"],
        resources: ["rayclusters", "rayjobs", "rayservices", "raycronjobs"],
        verbs: ALL,
      },
      {
        apiGroups: ["ray.io"],
        resources: ["rayclusters/status", "rayjobs/status", "rayservices/status", "raycronjobs/status"],
        verbs: READ,
      },
      {
        apiGroups: [""],
        resources: [
          "pods",
          "services",
          "endpoints",
          "events",
          "resourcequotas",
          "limitranges",
          "serviceaccounts",
        ],
        verbs: READ,
      },
      // Restart a wedged head or worker: KubeRay recreates the pod. No more than exec already allows.
      { apiGroups: [""], resources: ["pods"], verbs: ["delete"] },
      // rayctl creates a cluster's notebook/editor Service (ClusterIP only: admission) and its
      // token Secret (create only: members still read no Secret, and a RayCluster may read only
      // its own token); the RayCluster owns both, so Kubernetes deletes them with it.
      { apiGroups: [""], resources: ["services", "secrets"], verbs: ["create"] },
      // rayctl confines a playground cluster to its own pods; admission allows only that shape.
      { apiGroups: ["networking.k8s.io"], resources: ["networkpolicies"], verbs: ["create"] },
      { apiGroups: [""], resources: ["pods/log"], verbs: ["get"] },
      { apiGroups: [""], resources: ["pods/exec", "pods/portforward"], verbs: ["get", "create"] },
      { apiGroups: [""], resources: ["configmaps", "persistentvolumeclaims"], verbs: ALL },
      { apiGroups: ["events.k8s.io"], resources: ["events"], verbs: READ },
      // Why a cluster waits and where it is in the queue (Kueue's Workload, LocalQueue and visibility API).
      { apiGroups: ["kueue.x-k8s.io"], resources: ["workloads", "localqueues"], verbs: READ },
      {
        apiGroups: ["visibility.kueue.x-k8s.io"],
        resources: ["localqueues/pendingworkloads"],
        verbs: ["get"],
      },
    ],
  };
}

/**
 * What owners may do besides Ray work: run pods, Deployments, StatefulSets, ReplicaSets, Jobs
 * and CronJobs of their own, with Services, Secrets, ConfigMaps and PersistentVolumeClaims,
 * and read the namespace's NetworkPolicies, Roles and RoleBindings. Unlike Kubernetes'
 * built-in `admin`, not change NetworkPolicies, quotas, RBAC or service accounts: the team's
 * isolation, limits, members and identity come from its team file.
 */
export function teamOwnerRole(): k8s.rbac.v1.ClusterRole {
  return {
    metadata: { name: TEAM_OWNER_ROLE, labels: MANAGED_BY },
    rules: [
      {
        apiGroups: [""],
        resources: ["pods", "services", "secrets", "configmaps", "persistentvolumeclaims"],
        verbs: ALL,
      },
      { apiGroups: [""], resources: ["pods/attach", "pods/eviction"], verbs: ["get", "create"] },
      { apiGroups: ["apps"], resources: ["deployments", "statefulsets", "replicasets"], verbs: ALL },
      {
        apiGroups: ["apps"],
        resources: ["deployments/scale", "statefulsets/scale"],
        verbs: ["get", "update", "patch"],
      },
      { apiGroups: ["batch"], resources: ["jobs", "cronjobs"], verbs: ALL },
      { apiGroups: ["networking.k8s.io"], resources: ["networkpolicies"], verbs: READ },
      { apiGroups: ["rbac.authorization.k8s.io"], resources: ["roles", "rolebindings"], verbs: READ },
    ],
  };
}

/** A PriorityClass per GPU type: value 0 and never preempting, it only labels pods for the quota. */
export function gpuPriorityClasses(
  ctx: Pick<TenancyContext, "gpuTypes">,
): { type: string; priorityClass: k8s.scheduling.v1.PriorityClass }[] {
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

/** CEL: a CREATE, or an UPDATE that changes the spec (a Secret has none, and its type cannot change). */
const CREATE_OR_SPEC_CHANGE =
  "request.operation != 'UPDATE' || !has(object.spec) || object.spec != oldObject.spec";

export const inTeamNamespaces = {
  namespaceSelector: { matchExpressions: [{ key: TEAM_LABEL, operator: "Exists" }] },
};

/** A ValidatingAdmissionPolicy and its binding (Deny), both named `name`. */
export interface AdmissionRule {
  readonly name: string;
  readonly policy: k8s.admissionregistration.v1.ValidatingAdmissionPolicy;
  readonly binding: k8s.admissionregistration.v1.ValidatingAdmissionPolicyBinding;
}

/** A rule on creates and updates of `resource` objects (core v1 unless told) in team namespaces. */
export function admissionRule(
  name: string,
  resource: string,
  rule: Pick<k8s.admissionregistration.v1.ValidatingAdmissionPolicySpec, "variables" | "validations">,
  api: { group: string; version: string } = { group: "", version: "v1" },
): AdmissionRule {
  const matchConstraints = {
    resourceRules: [
      {
        apiGroups: [api.group],
        apiVersions: [api.version],
        operations: ["CREATE", "UPDATE"],
        resources: [resource],
      },
    ],
    ...inTeamNamespaces,
  };
  // Every rule is about the object's spec (or type): an update that leaves it alone (labels,
  // annotations, finalizers, as the Job controller and KubeRay make on running pods) passes.
  const matchConditions = [{ name: "create-or-spec-change", expression: CREATE_OR_SPEC_CHANGE }];
  return {
    name,
    policy: {
      metadata: { name, labels: MANAGED_BY },
      spec: { failurePolicy: "Fail", matchConstraints, matchConditions, ...rule },
    },
    binding: {
      metadata: { name, labels: MANAGED_BY },
      spec: { policyName: name, validationActions: ["Deny"] },
    },
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
  // Updates too: tolerations can be added to a running pod, and a gated pod's nodeSelector set later.
  const gpuPods = admissionRule("ray-platform-gpu-pods", "pods", {
    variables: [
      {
        name: "containers",
        expression:
          "object.spec.containers + (has(object.spec.initContainers) ? object.spec.initContainers : [])",
      },
      {
        name: "usesGpu",
        expression: `variables.containers.exists(c, has(c.resources) && ((has(c.resources.limits) && '${GPU_RESOURCE}' in c.resources.limits) || (has(c.resources.requests) && '${GPU_RESOURCE}' in c.resources.requests)))`,
      },
      {
        name: "accelerator",
        expression: `has(object.spec.nodeSelector) && '${ACCELERATOR_LABEL}' in object.spec.nodeSelector ? object.spec.nodeSelector['${ACCELERATOR_LABEL}'] : ''`,
      },
      // A toleration without a key and with operator Exists tolerates every taint, the GPU taint included.
      {
        name: "toleratesGpu",
        expression: `has(object.spec.tolerations) && object.spec.tolerations.exists(t, (has(t.key) && t.key == '${GPU_TAINT.key}') || (!has(t.key) && has(t.operator) && t.operator == 'Exists'))`,
      },
    ],
    validations: [
      {
        expression: `!variables.usesGpu || (variables.accelerator != '' && has(object.spec.priorityClassName) && object.spec.priorityClassName == '${gpuPriorityClass("")}' + variables.accelerator)`,
        message: `Pods that use GPUs must set nodeSelector ${ACCELERATOR_LABEL} and priorityClassName ${gpuPriorityClass("<accelerator>")}, so the team's per-GPU-type quota applies. RayClusters from team files do this; copy their worker template.`,
        reason: "Forbidden",
      },
      {
        // spec.nodeName skips the scheduler, and with it the GPU taint. Only a create can set it:
        // the scheduler binds through pods/binding, and every bound pod has it in later updates.
        expression:
          "variables.usesGpu || (variables.accelerator == '' && !variables.toleratesGpu && (request.operation != 'CREATE' || !has(object.spec.nodeName)))",
        message: `Pods that use no GPU may neither select GPU nodes, tolerate the ${GPU_TAINT.key} taint nor name a node: they would hold GPU nodes without using them. Remove the accelerator nodeSelector, the toleration or nodeName.`,
        reason: "Forbidden",
      },
    ],
  });
  const services = admissionRule("ray-platform-internal-services", "services", {
    validations: [
      {
        // externalIPs expose even a ClusterIP Service (and can intercept traffic: CVE-2020-8554).
        expression:
          "(!has(object.spec.type) || object.spec.type == 'ClusterIP') && !has(object.spec.externalIPs)",
        message:
          "Services in team namespaces stay inside the cluster (type ClusterIP, no externalIPs); reach them with kubectl port-forward.",
        reason: "Forbidden",
      },
    ],
  });
  // A token Secret for the `ray` service account would never expire: a removed owner would
  // keep the Ray pods' rights and bucket access. Pods get short-lived projected tokens instead.
  const tokens = admissionRule("ray-platform-no-token-secrets", "secrets", {
    validations: [
      {
        expression: "!has(object.type) || object.type != 'kubernetes.io/service-account-token'",
        message:
          "Long-lived service account token Secrets are not allowed in team namespaces. Run the work in a RayCluster or RayJob: its pods get short-lived tokens of the team's service account by themselves.",
        reason: "Forbidden",
      },
    ],
  });
  return [gpuPods, services, tokens, ownPodsPolicyRule()];
}

/**
 * Members may create NetworkPolicies (rayctl confines a playground cluster to its own pods),
 * but only that shape: `<cluster>-own-pods`, selecting the cluster's pods and admitting only
 * them (render/clusterAccess.ts ownPodsPolicy), which can only narrow who reaches them. The
 * rule holds for whoever may not update NetworkPolicies (members); the program may.
 */
function ownPodsPolicyRule(): AdmissionRule {
  const name = "ray-platform-own-pods-policies";
  const own = "{'" + KUBERAY_LABELS.cluster + "': variables.cluster}";
  const selects = (s: string) =>
    `has(${s}.matchLabels) && ${s}.matchLabels == ${own} && !has(${s}.matchExpressions)`;
  const shape = [
    "variables.cluster != ''",
    selects("object.spec.podSelector"),
    "has(object.spec.policyTypes) && object.spec.policyTypes == ['Ingress'] && !has(object.spec.egress)",
    "has(object.spec.ingress) && object.spec.ingress.size() == 1",
    "object.spec.ingress.all(r, !has(r.ports) && has(r.from) && r.from.size() == 1 && " +
      `r.from.all(p, has(p.podSelector) && !has(p.namespaceSelector) && !has(p.ipBlock) && ${selects("p.podSelector")}))`,
  ].join(" && ");
  const policy: k8s.admissionregistration.v1.ValidatingAdmissionPolicy = {
    metadata: { name, labels: MANAGED_BY },
    spec: {
      failurePolicy: "Fail",
      matchConstraints: {
        resourceRules: [
          {
            apiGroups: ["networking.k8s.io"],
            apiVersions: ["v1"],
            operations: ["CREATE", "UPDATE"],
            resources: ["networkpolicies"],
          },
        ],
        ...inTeamNamespaces,
      },
      matchConditions: [
        {
          name: "member",
          expression:
            "!authorizer.group('networking.k8s.io').resource('networkpolicies').namespace(request.namespace).check('update').allowed()",
        },
      ],
      variables: [
        {
          name: "cluster",
          expression: `object.metadata.name.endsWith('${OWN_PODS_SUFFIX}') ? object.metadata.name.substring(0, object.metadata.name.size() - ${OWN_PODS_SUFFIX.length}) : ''`,
        },
      ],
      validations: [
        {
          expression: shape,
          message: `Members may create only a RayCluster's own-pods NetworkPolicy: named <cluster>${OWN_PODS_SUFFIX}, selecting the pods labelled ${KUBERAY_LABELS.cluster}=<cluster> and admitting only them (rayctl makes it). Other policies come from the team file.`,
          reason: "Forbidden",
        },
      ],
    },
  };
  return {
    name,
    policy,
    binding: {
      metadata: { name, labels: MANAGED_BY },
      spec: { policyName: name, validationActions: ["Deny"] },
    },
  };
}
