/**
 * NetworkPolicy and RoleBinding registered as @pulumi/kubernetes's classes register them (the
 * same type token, inputs, provider and plugin version) but without the aliases those classes
 * add to API versions this program never used (extensions/v1beta1; rbac v1alpha1 and v1beta1).
 * The SDK turns every alias into a chain of Outputs (@pulumi/pulumi resource.js,
 * collapseAliasToUrn); a team has eight of these objects, so a thousand teams had 12,000 aliases,
 * 1.1 s of the plan (docs/performance.md). An alias only matters for a resource once registered
 * under the old type, which no stack of this program has.
 */
import type { input } from "@pulumi/kubernetes/types";
import { getVersion } from "@pulumi/kubernetes/utilities";
import * as pulumi from "@pulumi/pulumi";

// The plugin version the SDK's classes ask for.
const version = getVersion();

export class NetworkPolicy extends pulumi.CustomResource {
  constructor(
    name: string,
    args: input.networking.v1.NetworkPolicy,
    opts: pulumi.CustomResourceOptions = {},
  ) {
    super(
      "kubernetes:networking.k8s.io/v1:NetworkPolicy",
      name,
      {
        apiVersion: "networking.k8s.io/v1",
        kind: "NetworkPolicy",
        metadata: args.metadata,
        spec: args.spec,
        status: undefined,
      },
      { version, ...opts },
    );
  }
}

export class RoleBinding extends pulumi.CustomResource {
  constructor(name: string, args: input.rbac.v1.RoleBinding, opts: pulumi.CustomResourceOptions = {}) {
    super(
      "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
      name,
      {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "RoleBinding",
        metadata: args.metadata,
        roleRef: args.roleRef,
        subjects: args.subjects,
      },
      { version, ...opts },
    );
  }
}
