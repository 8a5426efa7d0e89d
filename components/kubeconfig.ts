import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

/**
 * A kubeconfig for a GKE cluster that authenticates through `gke-gcloud-auth-plugin` (exec),
 * so it holds no credentials and never expires: the plugin gets a fresh token each time.
 */
export function gkeKubeconfig(args: {
  contextName: string;
  /** Host name or IP of the control plane. */
  endpoint: pulumi.Input<string>;
  /** The cluster's CA, for the IP endpoint; the DNS endpoint has a publicly trusted certificate. */
  caCertificate?: pulumi.Input<string>;
}): pulumi.Output<string> {
  return pulumi.all([args.endpoint, args.caCertificate]).apply(([endpoint, ca]) =>
    JSON.stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: [
        {
          name: args.contextName,
          cluster: { server: `https://${endpoint}`, ...(ca ? { "certificate-authority-data": ca } : {}) },
        },
      ],
      contexts: [{ name: args.contextName, context: { cluster: args.contextName, user: args.contextName } }],
      "current-context": args.contextName,
      users: [
        {
          name: args.contextName,
          user: {
            exec: {
              apiVersion: "client.authentication.k8s.io/v1beta1",
              command: "gke-gcloud-auth-plugin",
              installHint: "Install gke-gcloud-auth-plugin: gcloud components install gke-gcloud-auth-plugin",
              provideClusterInfo: true,
              interactiveMode: "Never",
            },
          },
        },
      ],
    }),
  );
}

/**
 * The Kubernetes providers of one cluster: `provider` for everything, and `adopting`, the same
 * cluster with upsert on create, for the objects a removed team leaves behind (retainOnDelete),
 * so that restoring its team file takes them back instead of failing with AlreadyExists.
 *
 * Since pulumi-kubernetes v4.29 (#4278) a create is a client-side create, which fails when the
 * object exists, unless `upsertExistingObjects` is on: then it is a server-side apply patch
 * (provider/pkg/await/await.go:190-205, else :244-255). Upsert is scoped to retained objects
 * because the hazard #4278 closed, a rename planned as create-then-delete removing the object
 * the create took over, cannot happen to them: their delete never reaches the cluster.
 * `enablePatchForce` lets the team file win fields someone changed while the team was gone.
 * Both providers carry the same `clusterIdentifier`, so moving a resource from one to the
 * other is an update, not a replacement (provider/pkg/provider/provider.go:485-501).
 */
export function clusterProviders(
  name: string,
  args: k8s.ProviderArgs,
  opts: pulumi.CustomResourceOptions,
): { provider: k8s.Provider; adopting: k8s.Provider } {
  return {
    provider: new k8s.Provider(name, args, opts),
    adopting: new k8s.Provider(
      `${name}-adopting`,
      { ...args, upsertExistingObjects: true, enablePatchForce: true },
      opts,
    ),
  };
}
