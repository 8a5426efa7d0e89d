/**
 * The resources a team and its Ray clusters register, as @pulumi/kubernetes's and @pulumi/gcp's
 * classes register them (the same type token, inputs, options and plugin version: a test
 * compares the requests) without two costs of those classes that multiply with the teams:
 *
 * - Outputs. A typed class declares every output of its type, each an Output with four promises
 *   (a Bucket 32, where the program gives 7), and the program reads none it does not give.
 *   These declare only what they are given. The engine still records every output in the state.
 *   At 1000 teams: 43,500 Outputs fewer.
 * - Aliases. The classes for NetworkPolicy and RoleBinding alias API versions this program never
 *   used (extensions/v1beta1; rbac v1alpha1 and v1beta1), and the SDK turns every alias into a
 *   chain of Outputs (@pulumi/pulumi resource.js, collapseAliasToUrn): 12,000 at 1000 teams.
 *   An alias only matters for a resource once registered under the old type, which no stack of
 *   this program has.
 *
 * About 1 s of 11 at 1000 teams, the two together (docs/performance.md). They create objects
 * only: no `get`, no `id` option (the program reads no existing object through a class). Not
 * here: Secret (the SDK's class marks its data secret), LimitRange (its class declares only what
 * the program gives), and the objects the platform registers once.
 */
import { type storage } from "@pulumi/gcp";
import { getVersion as gcpVersion } from "@pulumi/gcp/utilities";
import type { input, output } from "@pulumi/kubernetes/types";
import { getVersion as kubernetesVersion } from "@pulumi/kubernetes/utilities";
import * as pulumi from "@pulumi/pulumi";

/** A Kubernetes object whose kind has a typed class in @pulumi/kubernetes; the program gives every one metadata. */
export abstract class KubernetesObject extends pulumi.CustomResource {
  declare readonly metadata: pulumi.Output<output.meta.v1.ObjectMeta>;
}

/** The plugin versions the SDKs' classes ask for. */
const versions = { kubernetes: kubernetesVersion(), gcp: gcpVersion() };

/**
 * The class of one kind: apiVersion and kind set, and of the arguments the fields the SDK's
 * class takes (never `status`, which the input types allow), those given only.
 */
function kubernetesKind<Args extends object>(
  apiVersion: string,
  kind: string,
  fields: (keyof Args & string)[],
) {
  // The SDK's type token names core kinds "core/v1", the others by their apiVersion.
  const type = `kubernetes:${apiVersion.includes("/") ? apiVersion : `core/${apiVersion}`}:${kind}`;
  return class extends KubernetesObject {
    static readonly type = type;
    constructor(name: string, args: Args, opts: pulumi.CustomResourceOptions = {}) {
      const inputs: pulumi.Inputs = { apiVersion, kind };
      for (const field of fields) if (field in args) inputs[field] = args[field];
      super(type, name, inputs, { version: versions.kubernetes, ...opts });
    }
  };
}

export const Namespace = kubernetesKind<input.core.v1.Namespace>("v1", "Namespace", ["metadata", "spec"]);
export const ResourceQuota = kubernetesKind<input.core.v1.ResourceQuota>("v1", "ResourceQuota", [
  "metadata",
  "spec",
]);
export const ServiceAccount = kubernetesKind<input.core.v1.ServiceAccount>("v1", "ServiceAccount", [
  "automountServiceAccountToken",
  "imagePullSecrets",
  "metadata",
  "secrets",
]);
export const ConfigMap = kubernetesKind<input.core.v1.ConfigMap>("v1", "ConfigMap", [
  "binaryData",
  "data",
  "immutable",
  "metadata",
]);
export const Service = kubernetesKind<input.core.v1.Service>("v1", "Service", ["metadata", "spec"]);
export const NetworkPolicy = kubernetesKind<input.networking.v1.NetworkPolicy>(
  "networking.k8s.io/v1",
  "NetworkPolicy",
  ["metadata", "spec"],
);
export const RoleBinding = kubernetesKind<input.rbac.v1.RoleBinding>(
  "rbac.authorization.k8s.io/v1",
  "RoleBinding",
  ["metadata", "roleRef", "subjects"],
);

/** A team's bucket: the program reads its name. */
export class Bucket extends pulumi.CustomResource {
  static readonly type = "gcp:storage/bucket:Bucket";
  declare readonly name: pulumi.Output<string>;
  constructor(name: string, args: storage.BucketArgs, opts: pulumi.CustomResourceOptions = {}) {
    super(
      Bucket.type,
      name,
      { ...args },
      {
        version: versions.gcp,
        ...opts,
        // As the SDK's class: outputs holding the labels are secret.
        additionalSecretOutputs: [...(opts.additionalSecretOutputs ?? []), "effectiveLabels", "pulumiLabels"],
      },
    );
  }
}

export class BucketIAMMember extends pulumi.CustomResource {
  static readonly type = "gcp:storage/bucketIAMMember:BucketIAMMember";
  constructor(name: string, args: storage.BucketIAMMemberArgs, opts: pulumi.CustomResourceOptions = {}) {
    super(BucketIAMMember.type, name, { ...args }, { version: versions.gcp, ...opts });
  }
}

/** Every class here, for whoever registers by type token (the benchmark's SDK floor). */
export const leanClasses = [
  Namespace,
  ResourceQuota,
  ServiceAccount,
  ConfigMap,
  Service,
  NetworkPolicy,
  RoleBinding,
  Bucket,
  BucketIAMMember,
];
