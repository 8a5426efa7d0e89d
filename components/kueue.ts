import * as gcp from "@pulumi/gcp";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { type KueueSettings } from "../config/kueue";
import { type ResolvedPool } from "../config/nodePools";
import { KUEUE_CHART, kueueValues, resourceFlavors } from "../render/kueue";
import { PINNED_VERSION_LABELS } from "../config/wire";
import { operatorNamespace, pinnedCrds } from "./pinnedCrds";

/**
 * Helm post-renderer that drops the chart's CRDs. Relative to the project directory: the
 * provider runs it with Helm's postrender.NewExec (pulumi-kubernetes
 * provider/pkg/provider/helm_release.go:626-632), and Pulumi starts resource plugins in the
 * program's directory (pulumi/pulumi sdk/go/common/resource/plugin/provider_plugin.go,
 * newPlugin(ctx, ctx.Pwd, ...)). Relative, so the release's inputs are the same on every machine.
 */
const DROP_CRDS_POSTRENDERER = "./scripts/helm-drop-crds.mjs";
/** Ports the control plane calls on Kueue's pod: webhooks (9443) and the visibility API server (8082). */
const KUEUE_CONTROL_PLANE_PORTS = ["9443", "8082"];

export interface KueueArgs {
  readonly kueue: KueueSettings;
  /** GPU types the pools offer: friendly name -> GKE accelerator type (one ResourceFlavor each). */
  readonly gpuTypes: Readonly<Record<string, string>>;
  /** Pool Kueue runs on (role system); undefined: anywhere. */
  readonly systemPool?: ResolvedPool;
  readonly provider: k8s.Provider;
  /** The same cluster with upsert on create, for what is retained on delete (the CRDs, the flavors). */
  readonly adoptingProvider: k8s.Provider;
  /** What must exist before Kueue starts: the system pool and the KubeRay CRDs it integrates with. */
  readonly dependsOn?: pulumi.Input<pulumi.Resource>[];
  /**
   * gke mode: a private cluster's control plane reaches nodes only on 443 and 10250, so
   * Kueue's webhook and visibility ports need a firewall rule from the control plane's range.
   */
  readonly gke?: {
    readonly project: string;
    readonly network: pulumi.Input<string>;
    readonly masterCidr: string;
    readonly nodeServiceAccount: pulumi.Input<string>;
  };
}

/**
 * Kueue: its CRDs, applied by the program (server-side apply, retained on delete: deleting a
 * CRD deletes every queue and workload), the Helm chart without them, and the
 * ResourceFlavors every team's ClusterQueue refers to.
 */
export class Kueue extends pulumi.ComponentResource {
  readonly namespace: k8s.core.v1.Namespace;
  readonly crds: Record<string, k8s.apiextensions.v1.CustomResourceDefinition>;
  readonly release: k8s.helm.v3.Release;
  readonly flavors: Record<string, k8s.apiextensions.CustomResource>;

  constructor(name: string, args: KueueArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ray-platform:kueue:Kueue", name, {}, opts);
    const { kueue, provider } = args;
    const child = { parent: this, provider };

    this.namespace = operatorNamespace(name, kueue.namespace, child);
    this.crds = pinnedCrds(
      name,
      kueue.crds,
      { [PINNED_VERSION_LABELS.kueue]: kueue.version },
      { parent: this, provider: args.adoptingProvider },
    );

    const firewall = args.gke
      ? new gcp.compute.Firewall(
          `${name}-control-plane-to-webhook`,
          {
            project: args.gke.project,
            network: args.gke.network,
            description: "GKE control plane to Kueue's admission webhooks and visibility API (ray-platform)",
            direction: "INGRESS",
            sourceRanges: [args.gke.masterCidr],
            targetServiceAccounts: [args.gke.nodeServiceAccount],
            allows: [{ protocol: "tcp", ports: KUEUE_CONTROL_PLANE_PORTS }],
          },
          { parent: this },
        )
      : undefined;

    this.release = new k8s.helm.v3.Release(
      `${name}-release`,
      {
        // The release name makes the chart's fullname "kueue": the pinned CRDs' webhook Service is kueue-webhook-service.
        name: "kueue",
        chart: kueue.chart ?? KUEUE_CHART,
        version: kueue.version,
        namespace: this.namespace.metadata.name,
        // The chart renders its CRDs as templates, which skipCrds does not skip: the
        // post-renderer removes them, so the CRDs above are the only source of CRDs.
        skipCrds: true,
        postrender: DROP_CRDS_POSTRENDERER,
        values: kueueValues(kueue, args.systemPool),
        atomic: true,
        cleanupOnFail: true,
        timeout: 600,
        maxHistory: 10,
      },
      {
        ...child,
        dependsOn: [...Object.values(this.crds), ...(firewall ? [firewall] : []), ...(args.dependsOn ?? [])],
      },
    );

    // Kueue's webhooks validate queues and flavors: they wait for its rollout. Retained like
    // the teams' ClusterQueues, which name them: Kueue's finalizer keeps a flavor in use from
    // going (kueue.x-k8s.io/resource-in-use), and a destroy waited for it forever (seen on the
    // real control plane, real/scenarios/h-destroy.test.ts).
    this.flavors = Object.fromEntries(
      Object.entries(resourceFlavors(args.gpuTypes)).map(([flavor, obj]) => [
        flavor,
        new k8s.apiextensions.CustomResource(
          `${name}-flavor-${flavor}`,
          obj as k8s.apiextensions.CustomResourceArgs,
          { parent: this, provider: args.adoptingProvider, dependsOn: [this.release], retainOnDelete: true },
        ),
      ]),
    );

    this.registerOutputs({ version: kueue.version, namespace: this.namespace.metadata.name });
  }
}
