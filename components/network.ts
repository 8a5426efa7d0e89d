import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";

export interface NetworkArgs {
  readonly project: string;
  readonly region: string;
  /** Name prefix of the network's resources in GCP. */
  readonly baseName: string;
  readonly nodesCidr: string;
  readonly podsCidr: string;
  readonly servicesCidr: string;
}

/** Secondary ranges the cluster's pods and services use (VPC-native cluster). */
export const POD_RANGE = "pods";
export const SERVICE_RANGE = "services";

/**
 * A VPC for the cluster: one subnetwork with secondary ranges for pods and services, Private
 * Google Access (private nodes reach Artifact Registry and GCS without a public IP) and Cloud
 * NAT for the rest of their egress (pip, Hugging Face, Docker Hub through the proxy).
 */
export class Network extends pulumi.ComponentResource {
  readonly network: gcp.compute.Network;
  readonly subnetwork: gcp.compute.Subnetwork;

  constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ray-platform:gke:Network", name, {}, opts);
    const parent = { parent: this };
    this.network = new gcp.compute.Network(
      `${name}-vpc`,
      { name: args.baseName, project: args.project, autoCreateSubnetworks: false },
      parent,
    );
    this.subnetwork = new gcp.compute.Subnetwork(
      `${name}-subnet`,
      {
        name: `${args.baseName}-nodes`,
        project: args.project,
        region: args.region,
        network: this.network.id,
        ipCidrRange: args.nodesCidr,
        privateIpGoogleAccess: true,
        secondaryIpRanges: [
          { rangeName: POD_RANGE, ipCidrRange: args.podsCidr },
          { rangeName: SERVICE_RANGE, ipCidrRange: args.servicesCidr },
        ],
      },
      parent,
    );
    const router = new gcp.compute.Router(
      `${name}-router`,
      {
        name: `${args.baseName}-router`,
        project: args.project,
        region: args.region,
        network: this.network.id,
      },
      parent,
    );
    new gcp.compute.RouterNat(
      `${name}-nat`,
      {
        name: `${args.baseName}-nat`,
        project: args.project,
        region: args.region,
        router: router.name,
        natIpAllocateOption: "AUTO_ONLY",
        sourceSubnetworkIpRangesToNat: "ALL_SUBNETWORKS_ALL_IP_RANGES",
        logConfig: { enable: true, filter: "ERRORS_ONLY" },
      },
      parent,
    );
    this.registerOutputs({ network: this.network.id, subnetwork: this.subnetwork.id });
  }
}
