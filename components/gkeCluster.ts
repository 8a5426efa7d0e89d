import * as gcp from "@pulumi/gcp";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { type GkeSettings, IMAGE_REPOSITORY_ID } from "../config/load";
import { type ResolvedPool } from "../config/nodePools";
import { clusterProviders, gkeKubeconfig } from "./kubeconfig";
import { Network, POD_RANGE, SERVICE_RANGE } from "./network";
import { NodePool } from "./nodePool";

export interface GkeClusterArgs {
  readonly gke: GkeSettings;
  readonly pools: readonly ResolvedPool[];
}

/** APIs the platform uses; enabled by the program, never disabled on destroy (other things may use them). */
const SERVICES = [
  "cloudresourcemanager.googleapis.com",
  "compute.googleapis.com",
  "container.googleapis.com",
  "containerfilesystem.googleapis.com",
  "artifactregistry.googleapis.com",
  "iam.googleapis.com",
  "storage.googleapis.com",
  "monitoring.googleapis.com",
  "logging.googleapis.com",
];

/** Project roles of the node service account: what nodes need to run, log, and stream images. */
const NODE_ROLES = ["roles/container.defaultNodeServiceAccount", "roles/serviceusage.serviceUsageConsumer"];

/**
 * A hardened GKE Standard cluster for Ray: no default node pool, release channel, image
 * streaming, Workload Identity, Dataplane V2, shielded and private nodes, managed Prometheus,
 * the GCS FUSE CSI driver, a least-privilege node service account, an Artifact Registry
 * proxy of Docker Hub, the node pools, and a Kubernetes provider for everything on top.
 */
export class GkeCluster extends pulumi.ComponentResource {
  readonly cluster: gcp.container.Cluster;
  readonly network: Network;
  readonly nodePools: Record<string, NodePool>;
  readonly imageRepository: gcp.artifactregistry.Repository;
  readonly nodeServiceAccount: gcp.serviceaccount.Account;
  readonly provider: k8s.Provider;
  /** The same cluster, adopting what a removed team left behind (clusterProviders). */
  readonly adoptingProvider: k8s.Provider;
  /** Kubeconfig using gke-gcloud-auth-plugin (holds no credential, still a secret: it names the endpoint). */
  readonly kubeconfig: pulumi.Output<string>;

  constructor(name: string, args: GkeClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ray-platform:gke:Cluster", name, {}, opts);
    const { gke } = args;
    const project = gke.project;
    const parent = { parent: this };

    const services = SERVICES.map(
      (service) =>
        new gcp.projects.Service(
          `${name}-${service.split(".")[0]}`,
          { project, service, disableOnDestroy: false },
          parent,
        ),
    );
    const afterServices = { parent: this, dependsOn: services };

    const network = (this.network = new Network(
      `${name}-network`,
      {
        project,
        region: gke.region,
        baseName: gke.clusterName,
        nodesCidr: gke.network.nodesCidr,
        podsCidr: gke.network.podsCidr,
        servicesCidr: gke.network.servicesCidr,
      },
      afterServices,
    ));

    // Never the Compute Engine default account: it has Editor on the project.
    const nodeAccountId = `${gke.clusterName.slice(0, 24).replace(/-+$/, "")}-nodes`; // 6 to 30 characters
    this.nodeServiceAccount = new gcp.serviceaccount.Account(
      `${name}-nodes`,
      {
        project,
        accountId: nodeAccountId,
        displayName: `GKE nodes of ${gke.clusterName} (ray-platform)`,
      },
      afterServices,
    );
    const nodeMember = pulumi.interpolate`serviceAccount:${this.nodeServiceAccount.email}`;
    const roles = NODE_ROLES.map(
      (role) =>
        new gcp.projects.IAMMember(
          `${name}-nodes-${role.split("/")[1]}`,
          { project, role, member: nodeMember },
          parent,
        ),
    );

    // Docker Hub through Artifact Registry: images stream (image streaming needs Artifact
    // Registry), pulls stay inside Google's network, and Docker Hub's rate limits stop mattering.
    this.imageRepository = new gcp.artifactregistry.Repository(
      `${name}-docker-hub`,
      {
        project,
        location: gke.region,
        repositoryId: IMAGE_REPOSITORY_ID,
        description: "Docker Hub proxy for Ray images (ray-platform)",
        format: "DOCKER",
        mode: "REMOTE_REPOSITORY",
        remoteRepositoryConfig: {
          description: "Docker Hub",
          dockerRepository: { publicRepository: "DOCKER_HUB" },
        },
      },
      afterServices,
    );
    const reader = new gcp.artifactregistry.RepositoryIamMember(
      `${name}-nodes-image-reader`,
      {
        project,
        location: gke.region,
        repository: this.imageRepository.repositoryId,
        role: "roles/artifactregistry.reader",
        member: nodeMember,
      },
      parent,
    );

    this.cluster = new gcp.container.Cluster(
      name,
      {
        name: gke.clusterName,
        project,
        location: gke.clusterLocation,
        nodeLocations: gke.location === "regional" ? [...gke.zones] : gke.zones.slice(1),
        // Pools are managed one by one below; the default pool only exists while the cluster is created.
        removeDefaultNodePool: true,
        initialNodeCount: 1,
        releaseChannel: { channel: gke.releaseChannel },
        deletionProtection: gke.deletionProtection,
        network: network.network.id,
        subnetwork: network.subnetwork.id,
        ipAllocationPolicy: {
          clusterSecondaryRangeName: POD_RANGE,
          servicesSecondaryRangeName: SERVICE_RANGE,
        },
        datapathProvider: "ADVANCED_DATAPATH",
        workloadIdentityConfig: { workloadPool: `${project}.svc.id.goog` },
        enableShieldedNodes: true,
        privateClusterConfig: gke.privateNodes
          ? {
              enablePrivateNodes: true,
              enablePrivateEndpoint: false,
              masterIpv4CidrBlock: gke.masterIpv4CidrBlock,
            }
          : undefined,
        masterAuthorizedNetworksConfig: {
          cidrBlocks: gke.authorizedNetworks.map((n) => ({ cidrBlock: n.cidr, displayName: n.name })),
        },
        serviceExternalIpsConfig: { enabled: false },
        // The DNS endpoint needs no network allow-list: every request is authorized by IAM.
        controlPlaneEndpointsConfig: { dnsEndpointConfig: { allowExternalTraffic: gke.dnsEndpoint } },
        authenticatorGroupsConfig: gke.securityGroup ? { securityGroup: gke.securityGroup } : undefined,
        addonsConfig: {
          gcsFuseCsiDriverConfig: { enabled: true },
          gcePersistentDiskCsiDriverConfig: { enabled: true },
        },
        monitoringConfig: {
          enableComponents: ["SYSTEM_COMPONENTS", "DCGM"],
          managedPrometheus: { enabled: true },
        },
        loggingConfig: { enableComponents: ["SYSTEM_COMPONENTS", "WORKLOADS"] },
        nodePoolDefaults: { nodeConfigDefaults: { gcfsConfig: { enabled: gke.imageStreaming } } },
        // Only for the short-lived default pool, so it too runs as the node account.
        nodeConfig: {
          serviceAccount: this.nodeServiceAccount.email,
          oauthScopes: ["https://www.googleapis.com/auth/cloud-platform"],
          imageType: "COS_CONTAINERD",
          workloadMetadataConfig: { mode: "GKE_METADATA" },
          shieldedInstanceConfig: { enableSecureBoot: true, enableIntegrityMonitoring: true },
        },
        resourceLabels: { "managed-by": "pulumi", "ray-platform": gke.clusterName },
      },
      // The default pool's nodeConfig is gone once the pool is removed; GKE reports it differently.
      {
        parent: this,
        dependsOn: [...services, ...roles, reader],
        ignoreChanges: ["nodeConfig", "initialNodeCount"],
      },
    );

    // Pools are independent of each other: GKE creates them in parallel.
    this.nodePools = Object.fromEntries(
      args.pools.map((pool) => [
        pool.name,
        new NodePool(
          `${name}-${pool.name}`,
          {
            pool,
            gke,
            cluster: this.cluster.id,
            serviceAccountEmail: this.nodeServiceAccount.email,
            serviceAccountId: nodeAccountId,
          },
          parent,
        ),
      ]),
    );

    const contextName = `gke_${project}_${gke.clusterLocation}_${gke.clusterName}`;
    this.kubeconfig = pulumi.secret(
      gke.dnsEndpoint
        ? gkeKubeconfig({
            contextName,
            endpoint: this.cluster.controlPlaneEndpointsConfig.apply((c) => c.dnsEndpointConfig!.endpoint),
          })
        : gkeKubeconfig({
            contextName,
            endpoint: this.cluster.endpoint,
            caCertificate: this.cluster.masterAuth.clusterCaCertificate,
          }),
    );
    ({ provider: this.provider, adopting: this.adoptingProvider } = clusterProviders(
      `${name}-k8s`,
      {
        kubeconfig: this.kubeconfig,
        // Replace the provider (and with it every Kubernetes resource) only if the cluster
        // itself changes, not when its endpoint or certificate rotate.
        clusterIdentifier: `projects/${project}/locations/${gke.clusterLocation}/clusters/${gke.clusterName}`,
        enableServerSideApply: true,
      },
      parent,
    ));

    this.registerOutputs({ name: this.cluster.name, endpoint: this.cluster.endpoint });
  }
}
