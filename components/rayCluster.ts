import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { type ResolvedRayCluster } from "../config/rayClusters";
import { clusterTokenSecret, isShared, ownPodsPolicy, TOKEN_SHAPE } from "../render/clusterAccess";
import { autoscaledReplicaPaths, renderRayCluster, toolsService, tutorialsConfigMap } from "../render/rayCluster";

export interface RayClusterArgs {
  readonly cluster: ResolvedRayCluster;
  /** Tutorial notebooks (file name -> JSON), used when the cluster asks for tutorials. */
  readonly tutorials: Readonly<Record<string, string>>;
  readonly provider: k8s.Provider;
}

/**
 * A RayCluster from a team file, with its tutorials ConfigMap, its notebook/editor Service, its
 * token Secret and, in a shared namespace, the NetworkPolicy that admits only its own pods.
 */
export class RayCluster extends pulumi.ComponentResource {
  readonly rayCluster: k8s.apiextensions.CustomResource;

  constructor(name: string, args: RayClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ray-platform:ray:RayCluster", name, {}, opts);
    const { cluster, provider } = args;
    const child = { parent: this, provider };
    const configMap = cluster.tutorials ? new k8s.core.v1.ConfigMap(`${name}-tutorials`, tutorialsConfigMap(cluster, args.tutorials), child) : undefined;
    const service = toolsService(cluster);
    if (service) new k8s.core.v1.Service(`${name}-tools`, service, child);
    // Generated once by the random provider and kept in the stack's state (as a secret) for the cluster's life.
    const password = new random.RandomPassword(`${name}-token`, TOKEN_SHAPE, { parent: this });
    const token = new k8s.core.v1.Secret(`${name}-token`, clusterTokenSecret(cluster, password.result), child);
    // In a shared namespace the cluster's pods must reach each other from the start.
    const confinement = isShared(cluster.namespace) ? [new k8s.networking.v1.NetworkPolicy(`${name}-own-pods`, ownPodsPolicy(cluster), child)] : [];
    this.rayCluster = new k8s.apiextensions.CustomResource(`${name}-raycluster`, renderRayCluster(cluster), {
      ...child,
      dependsOn: [...(configMap ? [configMap] : []), token, ...confinement],
      // The autoscaler's live worker counts survive an update from the team file (README: Decisions).
      ignoreChanges: autoscaledReplicaPaths(cluster),
    });
    this.registerOutputs({ name: cluster.name, namespace: cluster.namespace });
  }
}
