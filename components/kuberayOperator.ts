import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { type KubeRaySettings } from "../config/load";
import { type ResolvedPool } from "../config/nodePools";
import { operatorPodMonitoring, rayPodsMonitoring } from "../render/monitoring";
import { operatorValues } from "../config/operatorValues";
import { PINNED_VERSION_LABELS } from "../config/wire";
import { operatorNamespace, pinnedCrds } from "./pinnedCrds";

const KUBERAY_CHART_REPO = "https://ray-project.github.io/kuberay-helm/";

export interface KubeRayOperatorArgs {
  readonly kuberay: KubeRaySettings;
  /** Pool the operator runs on (role system); undefined: anywhere. */
  readonly systemPool?: ResolvedPool;
  readonly provider: k8s.Provider;
  /** The same cluster with upsert on create, for what is retained on delete (the CRDs). */
  readonly adoptingProvider: k8s.Provider;
  /** GKE Managed Prometheus is on: scrape the operator's metrics, and every Ray pod's. */
  readonly managedPrometheus: boolean;
  /** What must exist before the operator can start (the system node pool). */
  readonly dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/**
 * The KubeRay operator: its CRDs, applied by the program (server-side apply, retained on
 * delete: deleting a CRD deletes every RayCluster), and the Helm chart without its CRDs.
 */
export class KubeRayOperator extends pulumi.ComponentResource {
  readonly namespace: k8s.core.v1.Namespace;
  readonly crds: Record<string, k8s.apiextensions.v1.CustomResourceDefinition>;
  readonly release: k8s.helm.v3.Release;

  constructor(name: string, args: KubeRayOperatorArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ray-platform:kuberay:Operator", name, {}, opts);
    const { kuberay, provider } = args;
    const child = { parent: this, provider };

    this.namespace = operatorNamespace(name, kuberay.namespace, child);
    this.crds = pinnedCrds(
      name,
      kuberay.crds,
      { [PINNED_VERSION_LABELS.kuberay]: kuberay.version },
      { parent: this, provider: args.adoptingProvider },
    );

    this.release = new k8s.helm.v3.Release(
      `${name}-release`,
      {
        name: "kuberay-operator",
        // A local chart directory (ray-platform:kuberay.chart) or the chart's repository.
        chart: kuberay.chart ?? "kuberay-operator",
        version: kuberay.version,
        repositoryOpts: kuberay.chart ? undefined : { repo: KUBERAY_CHART_REPO },
        namespace: this.namespace.metadata.name,
        // The CRDs above are the only source of CRDs: Helm never upgrades them.
        skipCrds: true,
        values: operatorValues(kuberay.values, args.systemPool),
        atomic: true,
        cleanupOnFail: true,
        timeout: 600,
        maxHistory: 10,
      },
      { ...child, dependsOn: [...Object.values(this.crds), ...(args.dependsOn ?? [])] },
    );

    if (args.managedPrometheus) {
      new k8s.apiextensions.CustomResource(`${name}-metrics`, operatorPodMonitoring(kuberay.namespace), {
        ...child,
        dependsOn: [this.namespace],
      });
      new k8s.apiextensions.CustomResource(`${name}-ray-pods-metrics`, rayPodsMonitoring(), child);
    }

    this.registerOutputs({ version: kuberay.version, namespace: this.namespace.metadata.name });
  }
}
