import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { MANAGED_BY, POD_SECURITY_LABELS } from "../config/wire";

type Child = pulumi.CustomResourceOptions & { parent: pulumi.Resource; provider: k8s.Provider };

/** An operator's namespace: nothing in it needs more than Pod Security "restricted". */
export function operatorNamespace(name: string, namespace: string, child: Child): k8s.core.v1.Namespace {
  return new k8s.core.v1.Namespace(
    `${name}-namespace`,
    { metadata: { name: namespace, labels: { ...MANAGED_BY, [POD_SECURITY_LABELS.enforce]: "restricted" } } },
    child,
  );
}

/**
 * An operator's pinned CRDs, keyed by plural: applied by the program with server-side apply
 * (taking over fields an earlier Helm install may own) and retained on delete, since deleting
 * a CRD deletes every object of its kind in the cluster. Retained, so through the adopting
 * provider (components/kubeconfig.ts): after a destroy, the next up takes them back.
 */
export function pinnedCrds(
  name: string,
  crds: readonly Record<string, unknown>[],
  labels: Record<string, string>,
  child: Child,
): Record<string, k8s.apiextensions.v1.CustomResourceDefinition> {
  const out: Record<string, k8s.apiextensions.v1.CustomResourceDefinition> = {};
  for (const crd of crds) {
    const meta = crd.metadata as { name: string; annotations?: Record<string, string> };
    // "rayclusters.ray.io" -> "rayclusters" (split always yields at least one part).
    const [plural = meta.name] = meta.name.split(".");
    out[plural] = new k8s.apiextensions.v1.CustomResourceDefinition(
      `${name}-crd-${plural}`,
      {
        ...(crd as object),
        metadata: {
          ...meta,
          labels: { ...MANAGED_BY, ...labels },
          annotations: { ...meta.annotations, "pulumi.com/patchForce": "true" },
        },
      } as unknown as k8s.apiextensions.v1.CustomResourceDefinitionArgs,
      { ...child, retainOnDelete: true },
    );
  }
  return out;
}
