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
      clusters: [{ name: args.contextName, cluster: { server: `https://${endpoint}`, ...(ca ? { "certificate-authority-data": ca } : {}) } }],
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
