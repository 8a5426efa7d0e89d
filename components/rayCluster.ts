import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { type RayClusterPlan } from "../config/rayClusters";
import { renderRayCluster, toolsService, tutorialsConfigMap } from "../render/rayCluster";

export interface RayClusterArgs {
  readonly plan: RayClusterPlan;
  /** Tutorial notebooks (file name -> JSON), used when the plan asks for tutorials. */
  readonly tutorials: Readonly<Record<string, string>>;
  readonly provider: k8s.Provider;
}

/** A RayCluster from a team file, with its tutorials ConfigMap and its notebook/editor Service. */
export class RayCluster extends pulumi.ComponentResource {
  readonly rayCluster: k8s.apiextensions.CustomResource;

  constructor(name: string, args: RayClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ray-platform:ray:RayCluster", name, {}, opts);
    const { plan, provider } = args;
    const child = { parent: this, provider };
    const configMap = plan.tutorials ? new k8s.core.v1.ConfigMap(`${name}-tutorials`, tutorialsConfigMap(plan, args.tutorials), child) : undefined;
    const service = toolsService(plan);
    if (service) new k8s.core.v1.Service(`${name}-tools`, service, child);
    this.rayCluster = new k8s.apiextensions.CustomResource(`${name}-raycluster`, renderRayCluster(plan), { ...child, dependsOn: configMap ? [configMap] : [] });
    this.registerOutputs({ name: plan.name, namespace: plan.namespace });
  }
}
