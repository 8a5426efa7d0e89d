/**
 * Admission of RayClusters in team namespaces. KubeRay builds pods from a RayCluster's full pod
 * templates with its own rights, so whoever may create a RayCluster (contributors) could
 * otherwise run pods as any service account of the namespace, or mount Secrets only owners
 * may read. This rule keeps templates to what the platform itself renders.
 */
import { RAY_SERVICE_ACCOUNT } from "../config/teams";
import { BUCKET_CSI_DRIVER, CLUSTER_TOKEN_KEY, clusterTokenSecretSuffix } from "./clusterAccess";
import { type AdmissionRule, admissionRule } from "./tenancyBase";

export const RAYCLUSTER_RULE = "ray-platform-raycluster-templates";
const RAYJOB_RULE = "ray-platform-rayjob-submitter";

export interface AdmissionContext {
  /** gke mode: every team's bucket is this prefix plus the team (namespace) name. */
  readonly bucketPrefix?: string;
}

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
  const bucketText = ctx.bucketPrefix ? `, and the team's bucket (CSI ${BUCKET_CSI_DRIVER}, bucketName ${ctx.bucketPrefix}<team>)` : "";
  return [
    {
      expression: `variables.templates.all(t, (!has(t.spec.serviceAccountName) || t.spec.serviceAccountName == '${RAY_SERVICE_ACCOUNT}') && (!has(t.spec.serviceAccount) || t.spec.serviceAccount == '${RAY_SERVICE_ACCOUNT}'))`,
      message: `${what} run as the team's service account "${RAY_SERVICE_ACCOUNT}": set serviceAccountName to ${RAY_SERVICE_ACCOUNT} (or leave it out) in every pod template.`,
      reason: "Forbidden",
    },
    {
      expression: `variables.templates.all(t, !has(t.spec.volumes) || t.spec.volumes.all(v, has(v.emptyDir) || has(v.configMap) || has(v.persistentVolumeClaim)${bucket}))`,
      message: `${what} may mount emptyDir, ConfigMap and PersistentVolumeClaim volumes${bucketText}; not Secrets, projected tokens, host paths or other volumes. Ask an owner to run work that needs a Secret as a Deployment or Job.`,
      reason: "Forbidden",
    },
    {
      expression:
        `variables.templates.all(t, !has(t.spec.imagePullSecrets) && (t.spec.containers + (has(t.spec.initContainers) ? t.spec.initContainers : [])).all(c, ${envTakesOwnSecretsOnly("c")}))` +
        extraSecretChecks,
      message: `${what} may read no Secret but the RayCluster's own token (<cluster>${clusterTokenSecretSuffix}, key ${CLUSTER_TOKEN_KEY}): no secretKeyRef to other Secrets, envFrom secretRef, imagePullSecrets or authOptions.secretName. Ask an owner to run work that needs a Secret as a Deployment or Job.`,
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
    ` && (!has(object.spec.autoscalerOptions) || (${envTakesOwnSecretsOnly("object.spec.autoscalerOptions")}))` +
      " && (!has(object.spec.authOptions) || !has(object.spec.authOptions.secretName) || object.spec.authOptions.secretName in variables.ownSecrets)",
  );
  validations.push({
    // KubeRay creates an Ingress for the head on enableIngress (raycluster_controller.go reconcileIngress): around the ClusterIP-only rule.
    expression: "!has(object.spec.headGroupSpec.enableIngress) || !object.spec.headGroupSpec.enableIngress",
    message: "RayClusters stay inside the cluster: remove headGroupSpec.enableIngress and reach the dashboard with kubectl port-forward.",
    reason: "Forbidden",
  });
  const variables = [
    { name: "templates", expression: "[object.spec.headGroupSpec.template] + (has(object.spec.workerGroupSpecs) ? object.spec.workerGroupSpecs.map(g, g.template) : [])" },
    // The token Secret the platform renders for the cluster, and the one KubeRay generates when none is named.
    { name: "ownSecrets", expression: `[string(object.metadata.name), string(object.metadata.name) + '${clusterTokenSecretSuffix}']` },
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
    { name: "templates", expression: "has(object.spec.submitterPodTemplate) ? [object.spec.submitterPodTemplate] : []" },
    { name: "ownSecrets", expression: "[]" },
  ];
  return admissionRule(RAYJOB_RULE, "rayjobs", { variables, validations: templateValidations(ctx, "RayJob submitter pods", "") }, RAY_API);
}
