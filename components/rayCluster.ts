import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { type ResolvedRayCluster } from "../config/rayClusters";
import { clusterTokenSecret, isShared, newClusterToken, ownPodsPolicy } from "../render/clusterAccess";
import { renderRayCluster, toolsService, tutorialsConfigMap } from "../render/rayCluster";
import { ConfigMap, NetworkPolicy, Service } from "./leanResources";

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
    const configMap = cluster.tutorials
      ? new ConfigMap(`${name}-tutorials`, tutorialsConfigMap(cluster, args.tutorials), child)
      : undefined;
    const service = toolsService(cluster);
    if (service) new Service(`${name}-tools`, service, child);
    // A new token on every run, of which only the first is applied: ignoreChanges keeps the one
    // the Secret was created with (in the stack's state, as a secret) for the cluster's life.
    // As `data`: the provider's Check merges stringData into data, so a new stringData would
    // replace the Secret whatever ignoreChanges says (seen on the real control plane).
    // No random provider: one plugin fewer to fetch, and none on an air-gapped cluster.
    const encoded = pulumi.secret(Buffer.from(newClusterToken()).toString("base64"));
    const token = new k8s.core.v1.Secret(`${name}-token`, clusterTokenSecret(cluster, encoded, "data"), {
      ...child,
      ignoreChanges: ["data"],
    });
    // In a shared namespace the cluster's pods must reach each other from the start.
    const confinement = isShared(cluster.namespace)
      ? [new NetworkPolicy(`${name}-own-pods`, ownPodsPolicy(cluster), child)]
      : [];
    this.rayCluster = new k8s.apiextensions.CustomResource(`${name}-raycluster`, renderRayCluster(cluster), {
      ...child,
      dependsOn: [...(configMap ? [configMap] : []), token, ...confinement],
    });
    this.registerOutputs({ name: cluster.name, namespace: cluster.namespace });
  }
}
