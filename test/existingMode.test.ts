/** mode existing: the same platform on a cluster from a kubeconfig context (kind, minikube, another cloud). */
import { beforeAll, expect, test } from "vitest";
import { stringify } from "yaml";
import { type RegisteredResource, one, ofType, runProgram, teamsDir, sharedStack } from "./mocks";

let resources: RegisteredResource[];
let outputs: Record<string, unknown>;
beforeAll(async () => {
  ({ resources, outputs } = await sharedStack("kind"));
});

test("registers no GCP resource", () => {
  expect(resources.filter((r) => r.type.startsWith("gcp:"))).toEqual([]);
});

test("every Kubernetes resource uses a provider for the configured kubeconfig context, retained ones the adopting one", () => {
  const provider = one(resources, "pulumi:providers:kubernetes", "existing-cluster");
  const adopting = one(resources, "pulumi:providers:kubernetes", "existing-cluster-adopting");
  for (const p of [provider, adopting])
    expect(p.inputs).toMatchObject({
      context: "kind-ray-platform",
      clusterIdentifier: "context/kind-ray-platform",
    });
  expect(adopting.inputs.upsertExistingObjects).toBe("true");
  const viaAdopting = resources.filter((r) => r.provider?.startsWith(`${adopting.urn}::`));
  expect(viaAdopting.map((r) => r.name)).toContain("smoke-namespace");
  for (const r of viaAdopting) expect(r.options.retainOnDelete, r.name).toBe(true);
  // And every retained object through it, so that an up after a destroy takes it back: the CRDs and flavors too.
  const retained = resources.filter((r) => r.type.startsWith("kubernetes:") && r.options.retainOnDelete);
  expect(retained.map((r) => r.type)).toEqual(
    expect.arrayContaining([
      "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition",
      "kubernetes:kueue.x-k8s.io/v1beta2:ResourceFlavor",
    ]),
  );
  for (const r of retained) expect(viaAdopting, r.name).toContain(r);
  for (const r of resources.filter((r) => r.type.startsWith("kubernetes:") && !viaAdopting.includes(r)))
    expect(r.provider?.startsWith(`${provider.urn}::`), r.name).toBe(true);
});

test("everything else works the same: operator, tenancy and a RayCluster from docker.io images", () => {
  expect(
    ofType(resources, "kubernetes:helm.sh/v3:Release")
      .map((r) => r.inputs.name)
      .sort(),
  ).toEqual(["kuberay-operator", "kueue"]);
  expect(
    one(resources, "kubernetes:core/v1:Namespace", "smoke-namespace").inputs.metadata.labels[
      "ray-platform/team"
    ],
  ).toBe("smoke");
  const rc = one(resources, "kubernetes:ray.io/v1:RayCluster", "smoke/smoke-raycluster").inputs;
  expect(rc.spec.headGroupSpec.template.spec.containers[0].image).toBe(
    "docker.io/rayproject/ray:2.52.0-py311",
  );
  // No pools described: pods are not pinned to nodes.
  expect(rc.spec.headGroupSpec.template.spec.nodeSelector).toBeUndefined();
  expect(outputs.cluster).toEqual({ context: "kind-ray-platform" });
});

test("the self-deployed Managed Prometheus's collectors (gmp-system), not GKE's (gke-gmp-system), may scrape Ray's metrics", () => {
  const scrape = one(
    resources,
    "kubernetes:networking.k8s.io/v1:NetworkPolicy",
    "smoke-allow-metrics-scrape",
  ).inputs;
  expect(scrape.spec.ingress).toEqual([
    {
      from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "gmp-system" } } }],
      ports: [{ protocol: "TCP", port: 8080 }],
    },
  ]);
});

test("GPU pools are described by config only: labels and taints the program targets", async () => {
  const pools = [
    {
      name: "gpu",
      machineType: "n1-standard-8",
      maxNodes: 2,
      gpu: { type: "t4" },
      nodeSelector: { "node.example.com/gpu": "t4" },
    },
  ];
  const team = {
    name: "smoke",
    description: "x",
    owners: ["user:a@example.com"],
    quota: { cpu: 64, memory: "256Gi", gpus: { t4: 2 } },
    bucket: true,
    rayClusters: [
      {
        name: "g",
        head: { cpu: 1, memory: "2Gi" },
        workerGroups: [{ name: "w", gpu: { type: "t4" }, replicas: 1 }],
      },
    ],
  };
  const { resources: rs, outputs: out } = await runProgram({
    stack: "kind",
    config: {
      "ray-platform:nodePools": JSON.stringify(pools),
      "ray-platform:teamsDir": teamsDir({ "smoke.yaml": stringify(team) }, { withRepoTeams: false }),
    },
  });
  const spec = one(rs, "kubernetes:ray.io/v1:RayCluster", "smoke/g-raycluster").inputs.spec
    .workerGroupSpecs[0].template.spec;
  expect(spec.nodeSelector).toEqual({
    "node.example.com/gpu": "t4",
    "cloud.google.com/gke-accelerator": "nvidia-tesla-t4",
  });
  expect(spec.tolerations).toEqual([
    { key: "nvidia.com/gpu", operator: "Equal", value: "present", effect: "NoSchedule" },
  ]);
  // n1-standard-8: 8 vCPU and 30 GB, of which one pod may have 7 CPUs and 24Gi.
  expect(spec.containers[0].resources.limits).toEqual({ cpu: "7", memory: "24Gi", "nvidia.com/gpu": "1" });
  // The bucket is skipped with a note, not an error.
  expect(rs.filter((r) => r.type.startsWith("gcp:"))).toEqual([]);
  expect(out.notes).toEqual([
    expect.stringMatching(/\/smoke\.yaml: bucket skipped \(mode existing creates no GCP resources\)\.$/),
    "no ray-playground team file: there is no shared playground namespace.",
  ]);
});
