/**
 * Admission of RayClusters in team namespaces. KubeRay builds pods from a RayCluster's full pod
 * templates with its own rights, so whoever may create a RayCluster (contributors) could
 * otherwise run pods as any service account of the namespace, or mount Secrets only owners
 * may read. This rule keeps templates to what the platform itself renders.
 */
import type { input as k8s } from "@pulumi/kubernetes/types";
import { RAY_SERVICE_ACCOUNT } from "../config/teams";
import { MANAGED_BY } from "../config/wire";
import { BUCKET_CSI_DRIVER, CLUSTER_TOKEN_KEY, clusterTokenSecretSuffix } from "./clusterAccess";
import { type AdmissionRule, admissionRule, inTeamNamespaces } from "./tenancyBase";

export const RAYCLUSTER_RULE = "ray-platform-raycluster-templates";
const RAYJOB_RULE = "ray-platform-rayjob-submitter";
const AUTOSCALER_RULE = "ray-platform-autoscaler-account";

export interface AdmissionContext {
  /** gke mode: every team's bucket is this prefix plus the team (namespace) name. */
  readonly bucketPrefix?: string;
  /** The pinned RayCluster CRD's spec fields and worker group fields (rayClusterFields). */
  readonly rayCluster: RayClusterFields;
}

export interface RayClusterFields {
  readonly spec: readonly string[];
  readonly workerGroup: readonly string[];
}

/** The spec fields and worker group fields of the pinned RayCluster CRD (its v1 schema). */
export function rayClusterFields(crds: readonly Record<string, unknown>[]): RayClusterFields {
  const crd = crds.find(
    (c) => (c as { metadata?: { name?: string } }).metadata?.name === "rayclusters.ray.io",
  ) as
    | {
        spec: {
          versions: {
            name: string;
            schema: {
              openAPIV3Schema: {
                properties: {
                  spec: { properties: Record<string, { items?: { properties: Record<string, unknown> } }> };
                };
              };
            };
          }[];
        };
      }
    | undefined;
  const spec = crd?.spec.versions.find((v) => v.name === "v1")?.schema.openAPIV3Schema.properties.spec
    .properties;
  if (!spec) throw new Error("the pinned KubeRay CRDs have no v1 RayCluster schema");
  return {
    spec: Object.keys(spec).sort(),
    workerGroup: Object.keys(spec.workerGroupSpecs?.items?.properties ?? {}).sort(),
  };
}

/**
 * The RayCluster spec fields the platform admits: what it renders, and nothing KubeRay turns
 * into a Secret reference, an Ingress, a Service or a NetworkPolicy of its own. An allowlist:
 * a field a new KubeRay CRD adds is refused until it is judged and added here.
 */
const ADMITTED_SPEC_FIELDS = [
  "authOptions",
  "autoscalerOptions",
  "enableInTreeAutoscaling",
  "headGroupSpec",
  "managedBy",
  "rayVersion",
  "suspend",
  "upgradeStrategy",
  "workerGroupSpecs",
];
/** What the autoscaler writes into a worker group (Ray 2.52.0 autoscaler/v2/instance_manager/cloud_providers/kuberay/cloud_provider.py). */
const AUTOSCALER_FIELDS = ["replicas", "scaleStrategy"];

/** A container's environment takes no Secret but the cluster's own token. */
const envTakesOwnSecretsOnly = (c: string) =>
  `(!has(${c}.env) || ${c}.env.all(e, !has(e.valueFrom) || !has(e.valueFrom.secretKeyRef) || ` +
  `(has(e.valueFrom.secretKeyRef.name) && e.valueFrom.secretKeyRef.name in variables.ownSecrets && e.valueFrom.secretKeyRef.key == '${CLUSTER_TOKEN_KEY}'))) && ` +
  `(!has(${c}.envFrom) || ${c}.envFrom.all(f, !has(f.secretRef)))`;

/** The validations every pod template of `variables.templates` must pass, for `what` (in messages). */
function templateValidations(ctx: AdmissionContext, what: string, extraSecretChecks: string) {
  const bucket = ctx.bucketPrefix
    ? ` || (has(v.csi) && v.csi.driver == '${BUCKET_CSI_DRIVER}' && has(v.csi.volumeAttributes) && 'bucketName' in v.csi.volumeAttributes && v.csi.volumeAttributes.bucketName == '${ctx.bucketPrefix}' + object.metadata.namespace)`
    : "";
  const bucketText = ctx.bucketPrefix
    ? `, and the team's bucket (CSI ${BUCKET_CSI_DRIVER}, bucketName ${ctx.bucketPrefix}<team>)`
    : "";
  return [
    {
      expression: `variables.templates.all(t, (!has(t.spec.serviceAccountName) || t.spec.serviceAccountName == '${RAY_SERVICE_ACCOUNT}') && (!has(t.spec.serviceAccount) || t.spec.serviceAccount == '${RAY_SERVICE_ACCOUNT}'))`,
      message: `${what} run as the team's service account "${RAY_SERVICE_ACCOUNT}": set serviceAccountName to ${RAY_SERVICE_ACCOUNT} (or leave it out) in every pod template.`,
      reason: "Forbidden",
    },
    {
      expression: `variables.templates.all(t, !has(t.spec.volumes) || t.spec.volumes.all(v, has(v.emptyDir) || has(v.configMap) || has(v.persistentVolumeClaim)${bucket}))`,
      message: `${what} may mount emptyDir, ConfigMap and PersistentVolumeClaim volumes${bucketText}; not Secrets, projected tokens, host paths or other volumes. Work that needs a Secret runs outside team namespaces, where contributors cannot exec into it: ask the platform team.`,
      reason: "Forbidden",
    },
    {
      expression:
        `variables.templates.all(t, !has(t.spec.imagePullSecrets) && (t.spec.containers + (has(t.spec.initContainers) ? t.spec.initContainers : [])).all(c, ${envTakesOwnSecretsOnly("c")}))` +
        extraSecretChecks,
      message: `${what} may read no Secret but the RayCluster's own token (<cluster>${clusterTokenSecretSuffix}, key ${CLUSTER_TOKEN_KEY}): no secretKeyRef to other Secrets, envFrom secretRef or imagePullSecrets. Work that needs a Secret runs outside team namespaces, where contributors cannot exec into it: ask the platform team.`,
      reason: "Forbidden",
    },
  ];
}

/** KubeRay's API, which both rules are about. */
const RAY_API = { group: "ray.io", version: "v1" };

export function rayClusterAdmission(ctx: AdmissionContext): AdmissionRule {
  const validations = templateValidations(
    ctx,
    "RayCluster pods",
    ` && (!has(object.spec.autoscalerOptions) || (${envTakesOwnSecretsOnly("object.spec.autoscalerOptions")}))`,
  );
  validations.push({
    // KubeRay creates an Ingress for the head on enableIngress (raycluster_controller.go reconcileIngress): around the ClusterIP-only rule.
    expression: "!has(object.spec.headGroupSpec.enableIngress) || !object.spec.headGroupSpec.enableIngress",
    message:
      "RayClusters stay inside the cluster: remove headGroupSpec.enableIngress and reach the dashboard with kubectl port-forward.",
    reason: "Forbidden",
  });
  // Without a Secret named, KubeRay uses (or makes) the Secret named like the cluster
  // (raycluster_controller.go reconcileAuthSecret): a cluster named `<victim>-token` would run
  // with the victim's token. The one Secret a cluster may name is `<its name>-token`.
  validations.push({
    expression: `!has(object.spec.authOptions) || !has(object.spec.authOptions.mode) || object.spec.authOptions.mode != 'token' || (has(object.spec.authOptions.secretName) && object.spec.authOptions.secretName in variables.ownSecrets)`,
    message: `A RayCluster's token is its own Secret: set authOptions.secretName to <cluster>${clusterTokenSecretSuffix}, or <job>${clusterTokenSecretSuffix} for the cluster of a RayJob (rayctl and team files do).`,
    reason: "Forbidden",
  });
  const refused = ctx.rayCluster.spec.filter((f) => !ADMITTED_SPEC_FIELDS.includes(f));
  validations.push({
    // gcsFaultToleranceOptions.redisPassword (or redisUsername) with valueFrom becomes the head's env (common/pod.go configureGCSFaultTolerance), tlsOptions mount Secrets, and so on.
    expression: refused.map((f) => `!has(object.spec.${f})`).join(" && ") || "true",
    message: `RayClusters may set only ${ADMITTED_SPEC_FIELDS.join(", ")} in their spec; remove ${refused.join(", ")}. Ask the platform team for anything else.`,
    reason: "Forbidden",
  });
  const variables = [
    {
      name: "templates",
      expression:
        "[object.spec.headGroupSpec.template] + (has(object.spec.workerGroupSpecs) ? object.spec.workerGroupSpecs.map(g, g.template) : [])",
    },
    // The token Secret the platform renders for the cluster, and for a cluster KubeRay makes for
    // a RayJob (named <job>-<random>, so unknown when the job is made) its job's: <job>-token.
    // An ownerReference can be written by hand, but it names only another job's token in the same
    // namespace, whose members may exec into that job's pods and read it there anyway.
    {
      name: "ownSecrets",
      expression:
        `[string(object.metadata.name) + '${clusterTokenSecretSuffix}'] + (has(object.metadata.ownerReferences) ? ` +
        `object.metadata.ownerReferences.filter(r, r.apiVersion == 'ray.io/v1' && r.kind == 'RayJob' && has(r.controller) && r.controller).map(r, r.name + '${clusterTokenSecretSuffix}') : [])`,
    },
  ];
  return admissionRule(RAYCLUSTER_RULE, "rayclusters", { variables, validations }, RAY_API);
}

/**
 * RayJobs: KubeRay builds the submitter Job's pod from spec.submitterPodTemplate; the RayJob's
 * own RayCluster goes through the RayCluster rule when KubeRay creates it. The submitter gets
 * the cluster's token from KubeRay itself, so it may name no Secret at all.
 */
export function rayJobAdmission(ctx: AdmissionContext): AdmissionRule {
  const variables = [
    {
      name: "templates",
      expression: "has(object.spec.submitterPodTemplate) ? [object.spec.submitterPodTemplate] : []",
    },
    { name: "ownSecrets", expression: "[]" },
  ];
  return admissionRule(
    RAYJOB_RULE,
    "rayjobs",
    { variables, validations: templateValidations(ctx, "RayJob submitter pods", "") },
    RAY_API,
  );
}

/** `a.f` and `b.f` are the same, set or not. */
const sameField = (a: string, b: string, f: string) =>
  `(has(${a}.${f}) ? (has(${b}.${f}) && ${a}.${f} == ${b}.${f}) : !has(${b}.${f}))`;

/**
 * The account of every Ray pod of a team (`ray`) is the one KubeRay binds its autoscaler Role
 * to (pods: patch, pods/resize: patch, rayclusters: patch; common/rbac.go): without a limit,
 * any Ray task or notebook could change an owner's pod (its image) or any cluster. Requests of
 * that account may change a RayCluster only as the autoscaler does, the worker groups' counts
 * and workers to delete, and only the cluster whose head pod holds the token (its bound pod
 * name, `authentication.kubernetes.io/pod-name`); they may change no pod's spec or resources.
 */
export function autoscalerAccountAdmission(ctx: AdmissionContext): AdmissionRule {
  const name = AUTOSCALER_RULE;
  const isRayAccount = `request.userInfo.username == 'system:serviceaccount:' + request.namespace + ':${RAY_SERVICE_ACCOUNT}'`;
  const others = ctx.rayCluster.spec.filter((f) => f !== "workerGroupSpecs");
  const groupFields = ctx.rayCluster.workerGroup.filter((f) => !AUTOSCALER_FIELDS.includes(f));
  const isRayCluster = "request.resource.group == 'ray.io'";
  const onlyCounts =
    `${sameField("object.metadata", "oldObject.metadata", "labels")} && ${sameField("object.metadata", "oldObject.metadata", "annotations")} && ` +
    others.map((f) => sameField("object.spec", "oldObject.spec", f)).join(" && ") +
    ` && (has(object.spec.workerGroupSpecs) ? has(oldObject.spec.workerGroupSpecs) && object.spec.workerGroupSpecs.size() == oldObject.spec.workerGroupSpecs.size() && ` +
    `object.spec.workerGroupSpecs.all(g, oldObject.spec.workerGroupSpecs.exists(o, ${groupFields.map((f) => sameField("g", "o", f)).join(" && ")})) : !has(oldObject.spec.workerGroupSpecs))`;
  const policy: k8s.admissionregistration.v1.ValidatingAdmissionPolicy = {
    metadata: { name, labels: MANAGED_BY },
    spec: {
      failurePolicy: "Fail",
      matchConstraints: {
        resourceRules: [
          {
            apiGroups: [RAY_API.group],
            apiVersions: [RAY_API.version],
            operations: ["UPDATE"],
            resources: ["rayclusters"],
          },
          {
            apiGroups: [""],
            apiVersions: ["v1"],
            operations: ["UPDATE"],
            resources: ["pods", "pods/resize"],
          },
        ],
        ...inTeamNamespaces,
      },
      matchConditions: [{ name: "ray-account", expression: isRayAccount }],
      variables: [
        {
          name: "podName",
          expression:
            "'authentication.kubernetes.io/pod-name' in request.userInfo.extra ? request.userInfo.extra['authentication.kubernetes.io/pod-name'][0] : ''",
        },
        // KubeRay names a head pod <cluster, cut to 50 characters>-head- (utils/util.go PodName), to
        // which the API server adds 5 characters (generateName): a worker of a group named `head`
        // (<cluster>-head-worker-…) or the head of a cluster <cluster>-head-x only start so.
        {
          name: "headPrefix",
          expression:
            "(object.metadata.name.size() > 50 ? object.metadata.name.substring(0, 50) : object.metadata.name) + '-head-'",
        },
      ],
      validations: [
        {
          expression: `!(${isRayCluster}) || (variables.podName.startsWith(variables.headPrefix) && variables.podName.size() == variables.headPrefix.size() + 5)`,
          message: `Ray pods' account (${RAY_SERVICE_ACCOUNT}) changes a RayCluster only from that cluster's own head (its autoscaler).`,
          reason: "Forbidden",
        },
        {
          expression: `!(${isRayCluster}) || (${onlyCounts})`,
          message: `Ray pods' account (${RAY_SERVICE_ACCOUNT}) changes a RayCluster only as its autoscaler does: worker groups' replicas and scaleStrategy. Change anything else in the team file or with rayctl.`,
          reason: "Forbidden",
        },
        {
          expression: `${isRayCluster} || (request.subResource != 'resize' && object.spec == oldObject.spec)`,
          message: `Ray pods' account (${RAY_SERVICE_ACCOUNT}) changes no pod's spec or resources.`,
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
