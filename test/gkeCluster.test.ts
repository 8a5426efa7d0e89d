/** The GKE layer of the dev stack, as the mock engine records it. */
import * as fs from "node:fs";
import * as path from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { poolGkeName } from "../components/nodePool";
import {
  loadConfig,
  PROJECT_DIR,
  type RegisteredResource,
  one,
  ofType,
  runProgram,
  secretValue,
  sharedStack,
} from "./mocks";
import { defined } from "./defined";

let resources: RegisteredResource[];
beforeAll(async () => {
  ({ resources } = await sharedStack());
});

const cluster = () => one(resources, "gcp:container/cluster:Cluster", "gke").inputs as Record<string, any>;
const pools = () => ofType(resources, "gcp:container/nodePool:NodePool");
const pool = (name: string) => one(resources, "gcp:container/nodePool:NodePool", `gke-${name}`);

describe("cluster", () => {
  test("is regional, without the default node pool, on a release channel", () => {
    const c = cluster();
    expect(c).toMatchObject({
      name: "ray-dev",
      location: "us-central1",
      removeDefaultNodePool: true,
      releaseChannel: { channel: "REGULAR" },
    });
    expect(c.nodeLocations).toEqual(["us-central1-a", "us-central1-c", "us-central1-f"]);
  });

  test("streams images by default and enables the container file system API", () => {
    expect(cluster().nodePoolDefaults.nodeConfigDefaults.gcfsConfig.enabled).toBe(true);
    const services = ofType(resources, "gcp:projects/service:Service").map((s) => s.inputs.service);
    expect(services).toEqual(
      expect.arrayContaining([
        "containerfilesystem.googleapis.com",
        "container.googleapis.com",
        "artifactregistry.googleapis.com",
      ]),
    );
    for (const s of ofType(resources, "gcp:projects/service:Service"))
      expect(s.inputs.disableOnDestroy).toBe(false);
  });

  test("is hardened: Workload Identity, Dataplane V2, shielded and private nodes, deletion protection", () => {
    const c = cluster();
    expect(c.workloadIdentityConfig).toEqual({ workloadPool: "my-ml-platform-dev.svc.id.goog" });
    expect(c.datapathProvider).toBe("ADVANCED_DATAPATH");
    expect(c.enableShieldedNodes).toBe(true);
    expect(c.privateClusterConfig).toEqual({
      enablePrivateNodes: true,
      enablePrivateEndpoint: false,
      masterIpv4CidrBlock: "172.16.0.0/28",
    });
    expect(c.masterAuthorizedNetworksConfig).toEqual({
      cidrBlocks: [{ cidrBlock: "203.0.113.0/24", displayName: "office-vpn" }],
    });
    expect(c.deletionProtection).toBe(true);
    expect(c.authenticatorGroupsConfig).toEqual({ securityGroup: "gke-security-groups@example.com" });
    // Services' externalIPs can expose pods and intercept traffic (CVE-2020-8554).
    expect(c.serviceExternalIpsConfig).toEqual({ enabled: false });
  });

  test("has managed Prometheus with GPU metrics and the GCS FUSE CSI driver", () => {
    const c = cluster();
    expect(c.monitoringConfig).toEqual({
      enableComponents: ["SYSTEM_COMPONENTS", "DCGM"],
      managedPrometheus: { enabled: true },
    });
    expect(c.addonsConfig.gcsFuseCsiDriverConfig).toEqual({ enabled: true });
  });

  test("sits in its own VPC with private Google access and Cloud NAT", () => {
    const subnet = defined(ofType(resources, "gcp:compute/subnetwork:Subnetwork")[0], "a Subnetwork").inputs;
    expect(subnet.privateIpGoogleAccess).toBe(true);
    expect(subnet.secondaryIpRanges.map((r: any) => r.rangeName)).toEqual(["pods", "services"]);
    expect(cluster().ipAllocationPolicy).toEqual({
      clusterSecondaryRangeName: "pods",
      servicesSecondaryRangeName: "services",
    });
    expect(ofType(resources, "gcp:compute/routerNat:RouterNat")).toHaveLength(1);
  });
});

describe("node service account", () => {
  test("is a dedicated account with the node role, service usage and image reading only", () => {
    const sa = one(resources, "gcp:serviceaccount/account:Account", "gke-nodes").inputs;
    expect(sa.accountId).toBe("ray-dev-nodes");
    const email = "ray-dev-nodes@my-ml-platform-dev.iam.gserviceaccount.com";
    const projectRoles = ofType(resources, "gcp:projects/iAMMember:IAMMember").map((m) => [
      m.inputs.role,
      m.inputs.member,
    ]);
    expect(projectRoles.sort()).toEqual([
      ["roles/container.defaultNodeServiceAccount", `serviceAccount:${email}`],
      ["roles/serviceusage.serviceUsageConsumer", `serviceAccount:${email}`],
    ]);
    // Artifact Registry reading is granted on the proxy repository, not the project.
    const reader = defined(
      ofType(resources, "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember")[0],
      "a RepositoryIamMember",
    ).inputs;
    expect(reader).toMatchObject({
      role: "roles/artifactregistry.reader",
      member: `serviceAccount:${email}`,
      repository: "docker-hub",
    });
  });

  test("runs every pool and the short-lived default pool", () => {
    const email = "ray-dev-nodes@my-ml-platform-dev.iam.gserviceaccount.com";
    expect(cluster().nodeConfig.serviceAccount).toBe(email);
    for (const p of pools()) expect(p.inputs.nodeConfig.serviceAccount, p.name).toBe(email);
  });
});

test("an Artifact Registry remote repository proxies Docker Hub in the cluster's region", () => {
  const repo = one(resources, "gcp:artifactregistry/repository:Repository", "gke-docker-hub").inputs;
  expect(repo).toMatchObject({
    location: "us-central1",
    format: "DOCKER",
    mode: "REMOTE_REPOSITORY",
    repositoryId: "docker-hub",
    remoteRepositoryConfig: { dockerRepository: { publicRepository: "DOCKER_HUB" } },
  });
});

describe("node pools", () => {
  test("one per configured pool, each streaming images on COS with gVNIC and Workload Identity metadata", () => {
    expect(
      pools()
        .map((p) => p.inputs.nodeConfig.labels["ray-platform/pool"])
        .sort(),
    ).toEqual(["a100", "cpu-worker", "ray-head", "system", "t4"]);
    for (const p of pools()) {
      const nc = p.inputs.nodeConfig;
      expect(nc.gcfsConfig, p.name).toEqual({ enabled: true });
      expect(nc.imageType).toBe("COS_CONTAINERD");
      expect(nc.gvnic).toEqual({ enabled: true });
      expect(nc.workloadMetadataConfig).toEqual({ mode: "GKE_METADATA" });
      expect(p.inputs.name).toMatch(new RegExp(`^${nc.labels["ray-platform/pool"]}-[0-9a-f]{6}$`));
    }
  });

  test("GPU pools carry their accelerator with driver install, the GPU taint, min 0 and only zones that offer the GPU", () => {
    const t4 = pool("t4").inputs;
    expect(t4.nodeConfig.guestAccelerators).toEqual([
      { type: "nvidia-tesla-t4", count: 1, gpuDriverInstallationConfig: { gpuDriverVersion: "DEFAULT" } },
    ]);
    expect(t4.nodeConfig.taints).toEqual([
      { key: "nvidia.com/gpu", value: "present", effect: "NO_SCHEDULE" },
    ]);
    expect(t4.autoscaling).toEqual({ totalMinNodeCount: 0, totalMaxNodeCount: 16, locationPolicy: "ANY" });
    const a100 = pool("a100").inputs;
    expect(a100.nodeConfig.machineType).toBe("a2-highgpu-1g");
    expect(a100.nodeConfig.guestAccelerators[0]).toMatchObject({ type: "nvidia-tesla-a100", count: 1 });
    expect(a100.nodeLocations).toEqual(["us-central1-a", "us-central1-c", "us-central1-f"]);
    expect(a100.nodeConfig.labels).toMatchObject({
      "ray-platform/gpu": "a100",
      "ray-platform/role": "ray-worker",
    });
  });

  test("CPU pools carry no GPU; the system pool no taint, so system pods and owners' workloads go there", () => {
    for (const name of ["system", "ray-head", "cpu-worker"])
      expect(pool(name).inputs.nodeConfig.guestAccelerators).toBeUndefined();
    expect(pool("system").inputs.nodeConfig.taints).toEqual([]);
    expect(pool("system").inputs.autoscaling.totalMinNodeCount).toBe(1);
  });

  test("the Ray-head and CPU-worker pools are tainted for Ray pods alone, so nothing else keeps them from scaling to zero", () => {
    expect(pool("ray-head").inputs.nodeConfig.taints).toEqual([
      { key: "ray-platform/role", value: "ray-head", effect: "NO_SCHEDULE" },
    ]);
    expect(pool("cpu-worker").inputs.nodeConfig.taints).toEqual([
      { key: "ray-platform/role", value: "ray-worker", effect: "NO_SCHEDULE" },
    ]);
  });

  test("replace safely: a change GKE cannot make in place gives the pool a new name, so the new pool comes up first", () => {
    const text = fs.readFileSync(path.join(PROJECT_DIR, "Pulumi.dev.yaml"), "utf8");
    const name = (t: string, pool: string) => {
      const cfg = loadConfig({ stackFileText: t });
      if (cfg.mode !== "gke") throw new Error("the dev stack is in gke mode");
      return poolGkeName(
        cfg.pools.find((p) => p.name === pool)!,
        cfg.gke,
        "ray-dev-nodes",
      );
    };
    const base = name(text, "t4");
    expect(base).toBe(pool("t4").inputs.name);
    // Replacing changes: machine type, GPU driver, spot.
    expect(name(text.replace("machineType: n1-standard-16", "machineType: n1-standard-8"), "t4")).not.toBe(
      base,
    );
    expect(
      name(
        text.replace("releaseChannel: REGULAR", "releaseChannel: REGULAR\n    gpuDriverVersion: LATEST"),
        "t4",
      ),
    ).not.toBe(base);
    // In-place changes keep the name: autoscaling limits.
    expect(name(text.replace("maxNodes: 16", "maxNodes: 20"), "t4")).toBe(base);
    for (const p of pools()) {
      expect(p.options.deleteBeforeReplace, p.name).toBe(false);
      expect(p.options.ignoreChanges).toEqual(expect.arrayContaining(["initialNodeCount", "nodeCount"]));
    }
  });

  test("do not wait on each other", () => {
    const poolUrns = new Set(pools().map((p) => p.urn));
    for (const p of pools())
      expect(
        p.options.dependsOn.filter((d) => poolUrns.has(d)),
        p.name,
      ).toEqual([]);
  });
});

describe("Kubernetes provider", () => {
  test("authenticates with gke-gcloud-auth-plugin and is pinned to the cluster's identity", () => {
    const provider = one(resources, "pulumi:providers:kubernetes", "gke-k8s").inputs;
    expect(provider.clusterIdentifier).toBe(
      "projects/my-ml-platform-dev/locations/us-central1/clusters/ray-dev",
    );
    // A secret: it names the endpoint and CA, though it holds no credential.
    const kubeconfig = JSON.parse(secretValue(provider.kubeconfig) as string);
    expect(kubeconfig.users[0].user.exec).toMatchObject({
      command: "gke-gcloud-auth-plugin",
      apiVersion: "client.authentication.k8s.io/v1beta1",
    });
    // The DNS endpoint: reachable from CI runners without fixed IPs, authorized by IAM, publicly trusted certificate.
    expect(kubeconfig.clusters[0].cluster).toEqual({
      server: "https://gke-0123456789abcdef-123456789012.us-central1.gke.goog",
    });
    expect(cluster().controlPlaneEndpointsConfig).toEqual({
      dnsEndpointConfig: { allowExternalTraffic: true },
    });
  });

  test("without the DNS endpoint, uses the IP endpoint and the cluster's CA", async () => {
    const gke = {
      clusterName: "ray-dev",
      zones: ["us-central1-a", "us-central1-c", "us-central1-f"],
      securityGroup: "gke-security-groups@example.com",
      dnsEndpoint: false,
    };
    const { resources: rs } = await runProgram({ config: { "ray-platform:gke": JSON.stringify(gke) } });
    const kubeconfig = JSON.parse(
      secretValue(one(rs, "pulumi:providers:kubernetes", "gke-k8s").inputs.kubeconfig) as string,
    );
    expect(kubeconfig.clusters[0].cluster).toEqual({
      server: "https://203.0.113.10",
      "certificate-authority-data": Buffer.from("mock CA certificate").toString("base64"),
    });
  });

  test("is used by every Kubernetes resource, retained ones through its adopting twin on the same cluster", () => {
    const provider = one(resources, "pulumi:providers:kubernetes", "gke-k8s");
    const adopting = one(resources, "pulumi:providers:kubernetes", "gke-k8s-adopting");
    expect(adopting.inputs).toMatchObject({
      clusterIdentifier: provider.inputs.clusterIdentifier,
      kubeconfig: provider.inputs.kubeconfig,
      upsertExistingObjects: "true",
    });
    const k8s = resources.filter((r) => r.type.startsWith("kubernetes:"));
    expect(k8s.length).toBeGreaterThan(40);
    // Retained objects: a team's namespace limits and queues, the operators' CRDs, Kueue's flavors.
    const retained = k8s.filter((r) => r.options.retainOnDelete);
    expect(retained.length).toBeGreaterThan(10);
    expect(retained.map((r) => r.type)).toEqual(
      expect.arrayContaining([
        "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition",
        "kubernetes:kueue.x-k8s.io/v1beta2:ResourceFlavor",
        "kubernetes:core/v1:Namespace",
      ]),
    );
    for (const r of k8s)
      expect(
        r.provider?.startsWith(`${(r.options.retainOnDelete ? adopting : provider).urn}::`),
        `${r.type} ${r.name}`,
      ).toBe(true);
  });
});
