/** Team tenancy from the example team files: namespace, quotas, RBAC, network policies, identity. */
import * as fs from "node:fs";
import * as path from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { adoptionNotes } from "../plan/adoption";
import {
  type RegisteredResource,
  k8sObject,
  ofType,
  one,
  PROJECT_DIR,
  runProgram,
  teamsDir,
  withoutSecrets,
  sharedStack,
  clusterRoleVerbs,
} from "./mocks";
import { only } from "./defined";

const T = {
  ns: "kubernetes:core/v1:Namespace",
  quota: "kubernetes:core/v1:ResourceQuota",
  limits: "kubernetes:core/v1:LimitRange",
  binding: "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
  netpol: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
  sa: "kubernetes:core/v1:ServiceAccount",
  bucket: "gcp:storage/bucket:Bucket",
  bucketIam: "gcp:storage/bucketIAMMember:BucketIAMMember",
};

let resources: RegisteredResource[];
beforeAll(async () => {
  ({ resources } = await sharedStack());
});

describe("namespace", () => {
  test("is named after the team, labelled for Pod Security and annotated with its description and owners", () => {
    const ns = k8sObject(resources, T.ns, undefined, "recsys");
    expect(ns.metadata.labels).toMatchObject({
      "ray-platform/team": "recsys",
      "pod-security.kubernetes.io/enforce": "baseline",
      "pod-security.kubernetes.io/warn": "restricted",
    });
    expect(ns.metadata.annotations).toMatchObject({
      "ray-platform/description": "Recommendation models (retrieval and ranking) for the home page.",
      "ray-platform/owners": "ml-recsys-leads@example.com",
    });
  });

  test("is retained when the team file goes, with its quotas and default-deny policy, as is the team's bucket", () => {
    for (const name of [
      "recsys-namespace",
      "recsys-quota",
      "recsys-quota-gpu-t4",
      "recsys-defaults",
      "recsys-default-deny-ingress",
    ]) {
      expect(resources.find((r) => r.name === name)!.options.retainOnDelete, name).toBe(true);
    }
    // Access and the permissive policies go with the team file.
    for (const name of ["recsys-owners", "recsys-ray-users", "recsys-allow-same-namespace"]) {
      expect(resources.find((r) => r.name === name)!.options.retainOnDelete, name).toBe(false);
    }
    const bucket = one(resources, T.bucket, "recsys-bucket");
    expect(bucket.options.retainOnDelete).toBe(true);
    expect(bucket.inputs).toMatchObject({
      name: "my-ml-platform-dev-ray-recsys",
      uniformBucketLevelAccess: true,
      publicAccessPrevention: "enforced",
      forceDestroy: false,
      location: "US-CENTRAL1",
    });
  });
});

describe("quotas", () => {
  test("cap CPU, memory, all GPUs, RayClusters, storage, ephemeral storage and object counts", () => {
    expect(k8sObject(resources, T.quota, "tech-research", "team-quota").spec.hard).toEqual({
      "requests.cpu": "128",
      "requests.memory": "1Ti",
      "requests.nvidia.com/gpu": "6",
      "requests.storage": "1Ti",
      "requests.ephemeral-storage": "500Gi",
      "count/rayclusters.ray.io": "3",
      services: "30",
      "services.loadbalancers": "0",
      "services.nodeports": "0",
      configmaps: "50",
      secrets: "30",
      pods: "300",
      persistentvolumeclaims: "20",
    });
  });

  test("object counts come from the team file, defaults for what it leaves out", () => {
    const hard = k8sObject(resources, T.quota, "ray-playground", "team-quota").spec.hard;
    expect([
      hard.services,
      hard.pods,
      hard.secrets,
      hard.configmaps,
      hard.persistentvolumeclaims,
      hard["requests.ephemeral-storage"],
    ]).toEqual(["40", "120", "30", "50", "20", "1Ti"]);
  });

  test("cap each GPU type through a quota scoped to that type's PriorityClass, 0 for types the team lacks", () => {
    const a100 = k8sObject(resources, T.quota, "tech-research", "gpu-a100");
    expect(a100.spec).toEqual({
      hard: { "requests.nvidia.com/gpu": "4" },
      scopeSelector: {
        matchExpressions: [
          { scopeName: "PriorityClass", operator: "In", values: ["ray-platform-gpu-nvidia-tesla-a100"] },
        ],
      },
    });
    expect(k8sObject(resources, T.quota, "recsys", "gpu-a100").spec.hard).toEqual({
      "requests.nvidia.com/gpu": "0",
    });
  });

  test("come with default requests so pods without any are admitted, a minimum so none asks for zero, and an ephemeral storage limit", () => {
    expect(k8sObject(resources, T.limits, "recsys", "defaults").spec).toEqual({
      limits: [
        {
          type: "Container",
          defaultRequest: { cpu: "250m", memory: "512Mi", "ephemeral-storage": "1Gi" },
          default: { "ephemeral-storage": "50Gi" },
          min: { cpu: "10m", memory: "16Mi" },
        },
      ],
    });
  });
});

describe("RBAC", () => {
  const subjects = (ns: string, name: string) =>
    k8sObject(resources, T.binding, ns, name).subjects.map((s: any) => `${s.kind}:${s.name}`);

  test("owners run any workload of their namespace, but cannot change its isolation, quota or members", () => {
    const b = k8sObject(resources, T.binding, "recsys", "owners");
    expect(b.roleRef).toEqual({
      apiGroup: "rbac.authorization.k8s.io",
      kind: "ClusterRole",
      name: "ray-platform:team-owner",
    });
    expect(subjects("recsys", "owners")).toEqual(["Group:ml-recsys-leads@example.com"]);
    const verbs = clusterRoleVerbs(resources, "tenancy-team-owner");
    expect(verbs("apps", "deployments")).toEqual(expect.arrayContaining(["create", "delete"]));
    expect(verbs("", "secrets")).toEqual(expect.arrayContaining(["create", "get"]));
    expect(verbs("networking.k8s.io", "networkpolicies")).toEqual(["get", "list", "watch"]);
    expect(verbs("rbac.authorization.k8s.io", "rolebindings")).toEqual(["get", "list", "watch"]);
    expect(verbs("", "resourcequotas")).toEqual([]);
    // The ray service account carries the team's cloud identity: the team file owns it.
    expect(verbs("", "serviceaccounts")).toEqual([]);
    expect(ofType(resources, "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding")).toEqual([]);
  });

  test("owners and contributors may work with RayClusters and RayJobs, exec, port-forward and read logs", () => {
    expect(subjects("recsys", "ray-users")).toEqual([
      "Group:ml-recsys-leads@example.com",
      "Group:ml-recsys@example.com",
      "User:alice@example.com",
    ]);
    const verbs = clusterRoleVerbs(resources, "tenancy-ray-user");
    expect(verbs("ray.io", "rayclusters")).toEqual(
      expect.arrayContaining(["create", "patch", "delete", "list"]),
    );
    expect(verbs("ray.io", "rayjobs")).toEqual(expect.arrayContaining(["create", "delete"]));
    expect(verbs("", "pods/exec")).toContain("create");
    expect(verbs("", "pods/portforward")).toContain("create");
    expect(verbs("", "pods/log")).toEqual(["get"]);
    // Restarting a wedged head: delete the pod, KubeRay recreates it. Never create or change pods.
    expect(verbs("", "pods")).toEqual(["get", "list", "watch", "delete"]);
    // Create only: rayctl makes a cluster's token Secret; members read none.
    expect(verbs("", "secrets")).toEqual(["create"]);
  });

  test("every team's members may use the shared playground, through a binding the team owns", () => {
    // The same role as in the team's namespace (pod delete included: exec into any playground head already allows more).
    expect(k8sObject(resources, T.binding, "ray-playground", "team-tech-research").roleRef.name).toBe(
      "ray-platform:ray-user",
    );
    expect(subjects("ray-playground", "team-tech-research")).toEqual([
      "User:maria@example.com",
      "User:olga@example.com",
      "User:sara@example.com",
    ]);
    expect(one(resources, T.binding, "tech-research-playground").parent).toContain(
      "ray-platform:tenancy:Team::tech-research",
    );
  });
});

describe("network policies", () => {
  test("deny ingress from other namespaces and allow it within the namespace", () => {
    expect(k8sObject(resources, T.netpol, "recsys", "default-deny-ingress").spec).toEqual({
      podSelector: {},
      policyTypes: ["Ingress"],
    });
    expect(k8sObject(resources, T.netpol, "recsys", "allow-same-namespace").spec.ingress).toEqual([
      { from: [{ podSelector: {} }] },
    ]);
  });

  test("let the operator reach Ray heads on what KubeRay 1.7 calls only: the dashboard and the Serve proxy's health check", () => {
    const spec = k8sObject(resources, T.netpol, "recsys", "allow-operator-to-ray-heads").spec;
    expect(spec.podSelector).toEqual({ matchLabels: { "ray.io/node-type": "head" } });
    expect(spec.ingress).toEqual([
      {
        from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kuberay-system" } } }],
        ports: [
          { protocol: "TCP", port: 8265 },
          { protocol: "TCP", port: 8000 },
        ],
      },
    ]);
  });

  test("let the metrics collectors reach every Ray pod's metrics port, and no other port", () => {
    const fromMonitoring = ofType(resources, T.netpol)
      .map((r) => r.inputs)
      .filter(
        (p) =>
          p.metadata.namespace === "recsys" &&
          JSON.stringify(p.spec.ingress ?? []).includes('"gke-gmp-system"'),
      );
    expect(fromMonitoring.map((p) => p.metadata.name)).toEqual(["allow-metrics-scrape"]);
    const policy = only(fromMonitoring, "NetworkPolicy from gke-gmp-system");
    expect(policy.spec.podSelector).toEqual({ matchLabels: { "ray.io/is-ray-node": "yes" } });
    expect(policy.spec.ingress).toEqual([
      {
        from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "gke-gmp-system" } } }],
        ports: [{ protocol: "TCP", port: 8080 }],
      },
    ]);
  });
});

describe("identity", () => {
  test("Ray pods run as the team's service account, which alone gets the bucket through Workload Identity", () => {
    expect(k8sObject(resources, T.sa, "recsys", "ray").metadata.name).toBe("ray");
    const iam = ofType(resources, T.bucketIam).filter((r) => r.name.startsWith("recsys-"));
    expect(iam.map((r) => r.inputs)).toEqual([
      {
        bucket: "my-ml-platform-dev-ray-recsys",
        role: "roles/storage.objectUser",
        member:
          "principal://iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/my-ml-platform-dev.svc.id.goog/subject/ns/recsys/sa/ray",
      },
    ]);
  });

  test("RayClusters wait for the bucket permission, which their pods need to mount the bucket", () => {
    const access = one(resources, T.bucketIam, "recsys-bucket-ray-pods");
    expect(one(resources, "ray-platform:ray:RayCluster", "recsys/two-tower").options.dependsOn).toContain(
      access.urn,
    );
  });

  test("a team without bucket: true gets none", () => {
    expect(
      ofType(resources, T.bucket)
        .map((b) => b.name)
        .sort(),
    ).toEqual(["recsys-bucket", "tech-research-bucket"]);
  });
});

test("every team resource is a child of its team; retained ones use the adopting provider, the rest the cluster's", () => {
  const team = one(resources, "ray-platform:tenancy:Team", "recsys");
  const provider = one(resources, "pulumi:providers:kubernetes", "gke-k8s");
  const adopting = one(resources, "pulumi:providers:kubernetes", "gke-k8s-adopting");
  const children = resources.filter((r) => r.parent === team.urn && r.type.startsWith("kubernetes:"));
  expect(children.length).toBeGreaterThan(10);
  for (const r of children)
    expect(r.provider, r.name).toBe(
      `${(r.options.retainOnDelete ? adopting : provider).urn}::${r.provider!.split("::").at(-1)}`,
    );
  // Namespace, quota, one quota per GPU type (t4, a100), defaults, default-deny policy.
  expect(children.filter((r) => r.options.retainOnDelete).length).toBe(6);
});

/** docs/operations.md's "Decommission a team" and "Restore a team", under the mock engine. */
describe("removing a team file and restoring it", () => {
  const BUCKET = "my-ml-platform-dev-ray-recsys";
  // The team's resources, its queues' (children of its TeamQueue) included.
  const ofTeam = (rs: RegisteredResource[], team: string) => {
    const urn = one(rs, "ray-platform:tenancy:Team", team).urn;
    const queue = one(rs, "ray-platform:kueue:TeamQueue", `${team}-queue`).urn;
    return rs.filter((r) => r.parent === urn || r.parent === queue);
  };
  let removed: RegisteredResource[];
  let restored: RegisteredResource[];
  beforeAll(async () => {
    ({ resources: removed } = await runProgram({
      config: { "ray-platform:teamsDir": teamsDir({ "recsys.yaml": null }) },
    }));
    // What the removal left in the cloud: the retained bucket (and, in the cluster, the retained objects).
    ({ resources: restored } = await runProgram({
      config: { "ray-platform:teamsDir": teamsDir() },
      cloud: { buckets: [BUCKET] },
    }));
  });

  test("removal keeps the namespace, its quotas, defaults, default-deny policy and bucket, and deletes the rest", () => {
    expect(removed.some((r) => r.name === "recsys" || r.name.startsWith("recsys-"))).toBe(false);
    const kept = ofTeam(resources, "recsys")
      .filter((r) => r.options.retainOnDelete)
      .map((r) => r.name)
      .sort();
    expect(kept).toEqual(
      [
        "recsys-bucket",
        "recsys-queue-clusterqueue",
        "recsys-queue-localqueue",
        "recsys-default-deny-ingress",
        "recsys-defaults",
        "recsys-namespace",
        "recsys-quota",
        "recsys-quota-gpu-a100",
        "recsys-quota-gpu-t4",
      ].sort(),
    );
  });

  test("restoring registers the same objects again, the retained ones through the adopting provider", () => {
    const adopting = one(restored, "pulumi:providers:kubernetes", "gke-k8s-adopting");
    // Upsert on create (a server-side apply, not a create that fails with AlreadyExists), and the team file wins conflicts.
    expect(adopting.inputs).toMatchObject({
      upsertExistingObjects: "true",
      enablePatchForce: "true",
      enableServerSideApply: "true",
    });
    expect(adopting.inputs.clusterIdentifier).toBe(
      one(restored, "pulumi:providers:kubernetes", "gke-k8s").inputs.clusterIdentifier,
    );
    const again = ofTeam(restored, "recsys");
    expect(again.map((r) => `${r.type}::${r.name}`).sort()).toEqual(
      ofTeam(resources, "recsys")
        .map((r) => `${r.type}::${r.name}`)
        .sort(),
    );
    const retainedK8s = again.filter((r) => r.options.retainOnDelete && r.type.startsWith("kubernetes:"));
    expect(retainedK8s.map((r) => r.name).sort()).toEqual([
      "recsys-default-deny-ingress",
      "recsys-defaults",
      "recsys-namespace",
      "recsys-queue-clusterqueue",
      "recsys-queue-localqueue",
      "recsys-quota",
      "recsys-quota-gpu-a100",
      "recsys-quota-gpu-t4",
    ]);
    for (const r of retainedK8s) expect(r.provider?.startsWith(`${adopting.urn}::`), r.name).toBe(true);
    // What was deleted is created afresh by the ordinary provider, which refuses to take over an existing object.
    for (const r of again.filter((r) => !r.options.retainOnDelete && r.type.startsWith("kubernetes:")))
      expect(r.provider?.startsWith(`${adopting.urn}::`), r.name).toBe(false);
  });

  test("the plan says what the removal leaves behind and that restoring the file adopts it", () => {
    expect(adoptionNotes(resources, removed)).toEqual([
      "team recsys removed: namespace recsys, ClusterQueue, LimitRange, LocalQueue, NetworkPolicy, ResourceQuota ×3, bucket gs://my-ml-platform-dev-ray-recsys stay, no longer managed; restoring its team file adopts them.",
    ]);
    expect(adoptionNotes(removed, restored)).toEqual([
      "team recsys added: if a removed team recsys left namespace recsys, ClusterQueue, LimitRange, LocalQueue, NetworkPolicy, ResourceQuota ×3, bucket gs://my-ml-platform-dev-ray-recsys, the deploy adopts them (server-side apply, the team file wins) and imports the bucket with its data; what does not exist is created.",
    ]);
    expect(adoptionNotes(resources, restored)).toEqual([]);
  });

  test("restoring imports the kept bucket by its name, with its data; a bucket that does not exist is created", () => {
    const bucket = one(restored, T.bucket, "recsys-bucket");
    expect(bucket.options.importId).toBe(BUCKET);
    expect(bucket.inputs.name).toBe(BUCKET);
    expect(bucket.options.retainOnDelete).toBe(true);
    // Import fails on a resource that does not exist (pulumi pkg/resource/deploy/step.go:2063): only existing buckets get it.
    expect(one(restored, T.bucket, "tech-research-bucket").options.importId).toBeUndefined();
    expect(one(resources, T.bucket, "recsys-bucket").options.importId).toBeUndefined();
  });
});

test("adding a team adds only that team's resources and changes no other team's", async () => {
  const newTeam = fs
    .readFileSync(path.join(PROJECT_DIR, "teams/recsys.yaml"), "utf8")
    .replace("name: recsys", "name: speech")
    .replace("two-tower", "asr");
  const after = await runProgram({
    config: { "ray-platform:teamsDir": teamsDir({ "speech.yaml": newTeam }) },
  });
  const key = (r: RegisteredResource) => `${r.type}::${r.name}`;
  const before = new Map(resources.map((r) => [key(r), r]));
  const added = after.resources.filter((r) => !before.has(key(r)));
  expect(added.length).toBeGreaterThan(15);
  for (const r of added)
    expect(r.name === "speech" || r.name.startsWith("speech-") || r.name.startsWith("speech/"), r.name).toBe(
      true,
    );
  for (const r of after.resources.filter((r) => before.has(key(r))))
    expect(withoutSecrets(r.inputs), key(r)).toEqual(withoutSecrets(before.get(key(r))!.inputs));
  expect(after.resources.length).toBe(resources.length + added.length);
});

describe("resource names", () => {
  const teamFile = (team: string, cluster: string) =>
    `name: ${team}\ndescription: d\nowners:\n  - user:ana@example.com\nquota:\n  cpu: 64\n  memory: 256Gi\nrayClusters:\n  - name: ${cluster}\n`;

  test("team a with cluster b-c and team a-b with cluster c get distinct URNs", async () => {
    const { resources: rs } = await runProgram({
      config: {
        "ray-platform:teamsDir": teamsDir(
          { "a.yaml": teamFile("a", "b-c"), "a-b.yaml": teamFile("a-b", "c") },
          { withRepoTeams: false },
        ),
      },
    });
    const clusters = ofType(rs, "kubernetes:ray.io/v1:RayCluster");
    expect(clusters.map((r) => `${r.inputs.metadata.namespace}/${r.inputs.metadata.name}`).sort()).toEqual([
      "a-b/c",
      "a/b-c",
    ]);
    expect(new Set(rs.map((r) => r.urn)).size).toBe(rs.length);
    // Both were "a-b-c" before: an alias to it from each would stop the engine, so neither has one.
    const components = ofType(rs, "ray-platform:ray:RayCluster");
    expect(components.map((r) => [r.name, r.options.aliases ?? []]).sort()).toEqual([
      ["a-b/c", []],
      ["a/b-c", []],
    ]);
  });

  test("a stack deployed under the old cluster names (team-cluster) is the same stack: aliases, and the diff honours them", async () => {
    const { diffPlans } = await import("../plan/diff");
    const head = resources;
    const renamedClusters = head.filter((r) => r.options.aliases?.length);
    expect(renamedClusters.map((r) => r.name).sort()).toEqual([
      "ray-playground/my-cluster",
      "recsys/two-tower",
      "tech-research/gnn",
    ]);
    // The revision before: every "<team>/<cluster>" was "<team>-<cluster>", children included, and no aliases.
    const old = (name: string) => name.replace("/", "-");
    const oldUrn = (urn: string) =>
      urn.slice(0, urn.lastIndexOf("::") + 2) + old(urn.slice(urn.lastIndexOf("::") + 2));
    const base = head.map((r) => ({
      ...r,
      name: old(r.name),
      urn: oldUrn(r.urn),
      parent: r.parent && oldUrn(r.parent),
      options: { ...r.options, aliases: undefined },
    }));
    expect(head.filter((r) => oldUrn(r.urn) !== r.urn).length).toBeGreaterThan(renamedClusters.length);
    expect(diffPlans(base, head)).toMatchObject({ changes: [], dangers: [] });
  });
});
