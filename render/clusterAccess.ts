/**
 * Who may talk to a RayCluster: the token its Ray, JupyterLab and OpenVSCode Server ask for,
 * and, in shared namespaces, the NetworkPolicy that lets only the cluster's own pods in.
 */
import { randomBytes } from "node:crypto";
import type { input as k8s } from "@pulumi/kubernetes/types";
import type { Input } from "@pulumi/pulumi";
import { type ResolvedRayCluster } from "../config/rayClusters";
import { PLAYGROUND } from "../config/teams";
import { KUBERAY_LABELS, MANAGED_BY, RAYCLUSTER_LABEL, TEAM_LABEL } from "../config/wire";
import { type EnvVar, type RayClusterSpec } from "./kuberay-types.generated";

/** The Secret key KubeRay reads the Ray token from (ray-operator/controllers/ray/utils/constant.go:198, RAY_AUTH_TOKEN_SECRET_KEY). */
export const CLUSTER_TOKEN_KEY = "auth_token";
export const clusterTokenSecretSuffix = "-token";
/** GKE's Cloud Storage FUSE CSI driver, which mounts the team's bucket. */
export const BUCKET_CSI_DRIVER = "gcsfuse.csi.storage.gke.io";
/** KubeRay sets a pod's RayCluster label and a template cannot override it (common/pod.go:1167-1188, labelPod). */
const RAY_CLUSTER_LABEL = KUBERAY_LABELS.cluster;

/** Namespaces shared by several teams' members, where RayClusters are confined to their own pods. */
export function isShared(namespace: string): boolean {
  return namespace === PLAYGROUND;
}

function clusterTokenSecretName(c: Pick<ResolvedRayCluster, "name">): string {
  return `${c.name}${clusterTokenSecretSuffix}`;
}

/**
 * The token's shape: 48 letters and digits, which Ray, Jupyter and VS Code all accept (VS Code's
 * connection token allows only [0-9A-Za-z-], so KubeRay's own base64 token would not do).
 */
export const TOKEN_SHAPE = { length: 48, special: false } as const;

/** A token of TOKEN_SHAPE (letters and digits, which Ray, Jupyter and VS Code all accept), from the OS's CSPRNG. */
export function newClusterToken(): string {
  const letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  let out = "";
  // Rejection sampling: no modulo bias.
  while (out.length < TOKEN_SHAPE.length)
    for (const b of randomBytes(64)) if (b < 248 && out.length < TOKEN_SHAPE.length) out += letters[b % 62];
  return out;
}

/**
 * The cluster's token Secret; the key is KubeRay's, so authOptions.secretName can name it. The
 * token goes in as `stringData`, or base64-encoded as `data` (`field`).
 */
export function clusterTokenSecret(
  c: ResolvedRayCluster,
  token: Input<string>,
  field: "stringData" | "data" = "stringData",
): k8s.core.v1.Secret {
  return {
    metadata: {
      name: clusterTokenSecretName(c),
      namespace: c.namespace,
      labels: { [TEAM_LABEL]: c.namespace, [RAYCLUSTER_LABEL]: c.name, ...MANAGED_BY },
    },
    type: "Opaque",
    [field]: { [CLUSTER_TOKEN_KEY]: token },
  };
}

/**
 * Ray token authentication (KubeRay 1.7 `spec.authOptions`, Ray >= 2.52: utils/validation.go:284-298)
 * with the platform's Secret. Not `enableK8sTokenAuth`: it needs Ray >= 2.55 (validation.go:300-304)
 * while the default is 2.52.0, and KubeRay refuses it for RayJobs and RayServices (validation.go:606, 681).
 */
export function authOptions(c: ResolvedRayCluster): NonNullable<RayClusterSpec["authOptions"]> {
  return { mode: "token", secretName: clusterTokenSecretName(c) };
}

/** An environment variable holding the cluster's token. */
export function tokenEnv(c: ResolvedRayCluster, name: string): EnvVar {
  return { name, valueFrom: { secretKeyRef: { name: clusterTokenSecretName(c), key: CLUSTER_TOKEN_KEY } } };
}

/**
 * In a shared namespace: the cluster's pods accept connections only from the cluster's own
 * pods. NetworkPolicies add up, so the namespace-wide allow leaves every Ray cluster's pods out
 * (sameNamespaceSelector); the operator and the metrics collectors come in through the
 * namespace's platform policies. The program makes it for team-file clusters, rayctl for its
 * own, and members may make exactly this shape (render/tenancyBase.ts ownPodsPolicyRule).
 */
export function ownPodsPolicy(
  c: Pick<ResolvedRayCluster, "name" | "namespace">,
): k8s.networking.v1.NetworkPolicy {
  const own = { matchLabels: { [RAY_CLUSTER_LABEL]: c.name } };
  return {
    metadata: {
      name: `${c.name}${OWN_PODS_SUFFIX}`,
      namespace: c.namespace,
      labels: { [TEAM_LABEL]: c.namespace, [RAYCLUSTER_LABEL]: c.name, ...MANAGED_BY },
    },
    spec: { podSelector: own, policyTypes: ["Ingress"], ingress: [{ from: [{ podSelector: own }] }] },
  };
}

/** The suffix of a cluster's own-pods NetworkPolicy's name. */
export const OWN_PODS_SUFFIX = "-own-pods";

/**
 * The pods the namespace-wide allow applies to: all in a team namespace; in a shared one, the
 * pods of no Ray cluster, however the cluster was made (team file, rayctl, kubectl): each
 * cluster's pods get in only through its own-pods policy.
 */
export function sameNamespaceSelector(namespace: string): k8s.meta.v1.LabelSelector {
  if (!isShared(namespace)) return {};
  return { matchExpressions: [{ key: RAY_CLUSTER_LABEL, operator: "DoesNotExist" }] };
}
