import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { type PlatformConfig } from "../config/load";
import { factsConfigMap, factsReaderRole, platformFacts, tutorialsConfigMap } from "../render/platformFacts";

export interface PlatformFactsArgs {
  readonly cfg: PlatformConfig;
  /** The operator namespace, where the facts live. */
  readonly namespace: k8s.core.v1.Namespace;
  readonly provider: k8s.Provider;
}

/**
 * The facts the client resolves clusters from (render/platformFacts.ts), the tutorials it copies
 * into clusters, and the Role that reads them; each Team binds its members to that Role.
 */
export class PlatformFacts extends pulumi.ComponentResource {
  readonly readerRole: k8s.rbac.v1.Role;

  constructor(name: string, args: PlatformFactsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ray-platform:client:PlatformFacts", name, {}, opts);
    const { cfg } = args;
    const child = { parent: this, provider: args.provider, dependsOn: [args.namespace] };
    const ns = cfg.kuberay.namespace;
    new k8s.core.v1.ConfigMap(`${name}-facts`, factsConfigMap(platformFacts(cfg)), child);
    new k8s.core.v1.ConfigMap(`${name}-tutorials`, tutorialsConfigMap(ns, cfg.tutorials), child);
    this.readerRole = new k8s.rbac.v1.Role(`${name}-reader`, factsReaderRole(ns), child);
    this.registerOutputs({});
  }
}
