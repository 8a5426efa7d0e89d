/** RayClusters from team files: placement, one worker per node, autoscaling, extras, and validity. */
import * as fs from "node:fs";
import * as path from "node:path";
import fc from "fast-check";
import { parse, stringify } from "yaml";
import { beforeAll, describe, expect, test } from "vitest";
import { kubeRayControllerProblems, ManifestValidator } from "./schemas";
import { renderRayCluster } from "../render/rayCluster";
import {
  type RegisteredResource,
  k8sObject,
  loadConfig,
  ofType,
  PROJECT_DIR,
  teamsDir,
  sharedStack,
} from "./mocks";
import { type PlatformConfig } from "../config/load";
import { defined } from "./defined";

const RC = "kubernetes:ray.io/v1:RayCluster";
/** The first RayCluster of the first team, for configurations of a single team and cluster. */
const firstRayCluster = (config: PlatformConfig) =>
  defined(defined(config.teams[0], "a team").rayClusters[0], "a RayCluster");
let resources: RegisteredResource[];
let validator: ManifestValidator;
beforeAll(async () => {
  ({ resources } = await sharedStack());
  validator = new ManifestValidator(
    ofType(resources, "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition").map((c) => c.inputs),
  );
});
const rayCluster = (ns: string, name: string) => k8sObject(resources, RC, ns, name);
const head = (rc: any) => rc.spec.headGroupSpec.template.spec;
const worker = (rc: any, group: string) => rc.spec.workerGroupSpecs.find((g: any) => g.groupName === group);

describe("head", () => {
  test("runs on the Ray-head pool, never on a GPU node, as the team's service account", () => {
    const spec = head(rayCluster("recsys", "two-tower"));
    expect(spec.nodeSelector).toEqual({ "ray-platform/pool": "ray-head" });
    expect(spec.tolerations).toEqual([
      { key: "ray-platform/role", operator: "Equal", value: "ray-head", effect: "NoSchedule" },
    ]);
    expect(spec.serviceAccountName).toBe("ray");
    expect(spec.containers[0].resources.limits["nvidia.com/gpu"]).toBeUndefined();
  });

  test("exposes GCS, dashboard, client and metrics, and the notebook and editor on their own ports", () => {
    const ports = (c: any) => c.ports.map((p: any) => p.containerPort);
    expect(ports(head(rayCluster("recsys", "two-tower")).containers[0])).toEqual([6379, 8265, 10001, 8080]);
    const playground = head(rayCluster("ray-playground", "my-cluster")).containers;
    expect(playground.map((c: any) => c.name)).toEqual(["ray-head", "notebook", "vscode"]);
    expect(ports(playground[1])).toEqual([8081]);
    expect(ports(playground[2])).toEqual([3000]);
  });

  test("takes a whole node of its pool, less its sidecars, unless the team file sizes it", () => {
    // n2-standard-16: 15 CPUs, 56Gi for pods; notebook 1 CPU/2Gi, autoscaler 0.5/0.5Gi, GCS FUSE 0.25/0.5Gi.
    expect(head(rayCluster("recsys", "two-tower")).containers[0].resources).toEqual({
      requests: { cpu: "13", memory: "53Gi" },
      limits: { cpu: "13", memory: "53Gi" },
    });
    expect(head(rayCluster("tech-research", "gnn")).containers[0].resources.limits).toEqual({
      cpu: "8",
      memory: "32Gi",
    });
  });
});

test("every RayCluster answers only to its token, with or without a notebook, in a team namespace or the playground", () => {
  const rcs = ofType(resources, RC).map((r) => r.inputs as any);
  // The examples must cover both kinds, or a rule keyed on the notebook would pass unseen.
  const kinds = rcs.map((rc) => [
    rc.metadata.namespace,
    head(rc).containers.some((c: any) => c.name === "notebook"),
  ]);
  expect(kinds).toEqual(
    expect.arrayContaining([
      ["ray-playground", true],
      ["recsys", true],
      ["tech-research", false],
    ]),
  );
  for (const rc of rcs) {
    const { name, namespace } = rc.metadata;
    expect(rc.spec.authOptions, name).toEqual({ mode: "token", secretName: `${name}-token` });
    // The Secret it names is the program's own (k8sObject throws when it is missing).
    expect(k8sObject(resources, "kubernetes:core/v1:Secret", namespace, `${name}-token`).type, name).toBe(
      "Opaque",
    );
  }
});

test("CPU workers tolerate their pool's taint, and only theirs", () => {
  expect(worker(rayCluster("recsys", "two-tower"), "preprocess").template.spec.tolerations).toEqual([
    { key: "ray-platform/role", operator: "Equal", value: "ray-worker", effect: "NoSchedule" },
  ]);
});

describe("head CPUs", () => {
  test("a head with workers tells Ray it has no CPUs, so tasks and actors go to workers (KubeRay's autoscaler samples)", () => {
    for (const [ns, name] of [
      ["recsys", "two-tower"],
      ["tech-research", "gnn"],
      ["ray-playground", "my-cluster"],
    ] as const) {
      expect(rayCluster(ns, name).spec.headGroupSpec.rayStartParams["num-cpus"], name).toBe("0");
    }
  });

  const cluster = (
    head: Record<string, unknown>,
    workerGroups: unknown[] = [{ name: "w", minReplicas: 0, maxReplicas: 2 }],
  ) => {
    const team = {
      name: "t",
      description: "d",
      owners: ["user:a@example.com"],
      quota: { cpu: 1000, memory: "10Ti" },
      rayClusters: [{ name: "c", head, workerGroups }],
    };
    return renderRayCluster(
      firstRayCluster(
        loadConfig({ teams: teamsDir({ "t.yaml": stringify(team) }, { withRepoTeams: false }) }),
      ),
    ) as any;
  };

  test("a team file overrides it with head.rayStartParams, or says CPU in head.rayResources", () => {
    expect(
      cluster({ rayStartParams: { "num-cpus": "4" } }).spec.headGroupSpec.rayStartParams["num-cpus"],
    ).toBe("4");
    const custom = cluster({ rayResources: { CPU: 2 } }).spec.headGroupSpec;
    expect(custom.rayStartParams["num-cpus"]).toBeUndefined();
    expect(custom.resources).toEqual({ CPU: "2" });
  });

  test("a head without workers keeps its CPUs, or nothing could run", () => {
    expect(cluster({}, []).spec.headGroupSpec.rayStartParams["num-cpus"]).toBeUndefined();
  });
});

describe("GPU workers", () => {
  test("select their pool and GPU type, tolerate the GPU taint and put GPUs in limits", () => {
    const spec = worker(rayCluster("recsys", "two-tower"), "t4").template.spec;
    expect(spec.nodeSelector).toEqual({
      "ray-platform/pool": "t4",
      "cloud.google.com/gke-accelerator": "nvidia-tesla-t4",
    });
    expect(spec.tolerations).toEqual([
      { key: "nvidia.com/gpu", operator: "Equal", value: "present", effect: "NoSchedule" },
    ]);
    expect(spec.containers[0].resources.limits["nvidia.com/gpu"]).toBe("1");
    expect(spec.priorityClassName).toBe("ray-platform-gpu-nvidia-tesla-t4");
    expect(spec.serviceAccountName).toBe("ray");
  });

  test("use the -gpu image through the Artifact Registry proxy, pinned to the cluster's Ray version", () => {
    const image = worker(rayCluster("recsys", "two-tower"), "t4").template.spec.containers[0].image;
    expect(image).toBe(
      "us-central1-docker.pkg.dev/my-ml-platform-dev/docker-hub/rayproject/ray:2.52.0-py311-gpu",
    );
    expect(worker(rayCluster("recsys", "two-tower"), "preprocess").template.spec.containers[0].image).toBe(
      "us-central1-docker.pkg.dev/my-ml-platform-dev/docker-hub/rayproject/ray:2.52.0-py311",
    );
  });

  test("each asks for what one node gives, so two workers never share a node", () => {
    // n1-standard-16 gives 15 CPUs and 52Gi; the GCS FUSE sidecar takes 0.25 CPU and 0.5Gi of it.
    expect(
      worker(rayCluster("ray-playground", "my-cluster"), "worker").template.spec.containers[0].resources
        .requests,
    ).toEqual({ cpu: "15", memory: "52Gi", "nvidia.com/gpu": "1" });
    expect(
      worker(rayCluster("recsys", "two-tower"), "t4").template.spec.containers[0].resources.requests,
    ).toEqual({ cpu: "14", memory: "51Gi", "nvidia.com/gpu": "1" });
    // a2-highgpu-1g gives 11 CPUs and 76Gi.
    expect(
      worker(rayCluster("tech-research", "gnn"), "a100").template.spec.containers[0].resources.limits,
    ).toEqual({ cpu: "10", memory: "75Gi", "nvidia.com/gpu": "1" });
  });

  test("get /dev/shm sized for Ray's object store (30% of memory) and the team bucket through GCS FUSE", () => {
    const spec = worker(rayCluster("recsys", "two-tower"), "t4").template;
    expect(spec.spec.volumes).toEqual([
      { name: "shm", emptyDir: { medium: "Memory", sizeLimit: `${Math.floor(51 * 1024 * 0.3)}Mi` } },
      {
        name: "bucket",
        csi: {
          driver: "gcsfuse.csi.storage.gke.io",
          volumeAttributes: {
            bucketName: "my-ml-platform-dev-ray-recsys",
            mountOptions: "implicit-dirs,uid=1000,gid=100,file-mode=664,dir-mode=775",
          },
        },
      },
    ]);
    expect(spec.metadata.annotations["gke-gcsfuse/volumes"]).toBe("true");
    expect(spec.spec.containers[0].volumeMounts).toEqual([
      { name: "shm", mountPath: "/dev/shm" },
      { name: "bucket", mountPath: "/mnt/bucket" },
    ]);
  });
});

describe("autoscaling", () => {
  test("uses KubeRay's in-tree autoscaler v2 when a group can scale, leaving each group's count to it", () => {
    const rc = rayCluster("recsys", "two-tower");
    expect(rc.spec.enableInTreeAutoscaling).toBe(true);
    expect(rc.spec.autoscalerOptions).toMatchObject({
      version: "v2",
      idleTimeoutSeconds: 60,
      upscalingMode: "Default",
      resources: { requests: { cpu: "500m", memory: "512Mi" } },
    });
    const t4 = worker(rc, "t4");
    expect([t4.minReplicas, t4.maxReplicas, t4.replicas]).toEqual([0, 4, undefined]);
    // KubeRay sets restartPolicy Never itself for v2; a value here would have to be Never.
    expect(head(rc).restartPolicy).toBeUndefined();
  });

  test("an update from a team file sends no count or scale strategy of an autoscaled group, and ignores nothing", () => {
    // Proven on the real control plane (real/scenarios/d-updates.test.ts): what the program
    // does not send, the autoscaler and Kueue keep.
    const registered = ofType(resources, RC).find((r) => r.inputs.metadata.name === "two-tower")!;
    const groups = registered.inputs.spec.workerGroupSpecs;
    expect(groups.map((g: any) => g.groupName)).toEqual(["t4", "preprocess"]);
    for (const g of groups) {
      expect(g.minReplicas).toBeLessThan(g.maxReplicas);
      expect(Object.keys(g)).not.toContain("replicas");
      expect(Object.keys(g)).not.toContain("scaleStrategy");
    }
    expect(registered.options.ignoreChanges).toEqual([]);
    expect(parse(fs.readFileSync(path.join(PROJECT_DIR, "Pulumi.yaml"), "utf8")).options).toBeUndefined();
  });

  test("the RayCluster CRD the program applies keys worker groups by name, so an apply owns only the fields it sends", () => {
    const crd = ofType(resources, "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition").find(
      (r) => r.inputs.metadata.name === "rayclusters.ray.io",
    )!;
    const groups =
      crd.inputs.spec.versions[0].schema.openAPIV3Schema.properties.spec.properties.workerGroupSpecs;
    expect(groups).toMatchObject({
      type: "array",
      "x-kubernetes-list-type": "map",
      "x-kubernetes-list-map-keys": ["groupName"],
    });
    expect(groups.items.required).toContain("groupName");
    // The cluster specs inside RayJobs, RayServices and RayCronJobs too: every workerGroupSpecs of every KubeRay CRD.
    const all = ofType(resources, "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition").filter(
      (r) => r.inputs.spec.group === "ray.io",
    );
    const found: string[] = [];
    const walk = (node: any, at: string) => {
      if (!node || typeof node !== "object") return;
      if (node.properties?.workerGroupSpecs) {
        found.push(at);
        expect(node.properties.workerGroupSpecs["x-kubernetes-list-type"], at).toBe("map");
      }
      for (const [k, v] of Object.entries(node)) walk(v, `${at}.${k}`);
    };
    for (const r of all) walk(r.inputs.spec, r.inputs.metadata.name);
    expect([...new Set(found.map((f) => f.split(".")[0]))].sort()).toEqual([
      "rayclusters",
      "raycronjobs",
      "rayjobs",
      "rayservices",
    ]);
  });

  test("a fixed-size group's replicas stay the team file's to change", () => {
    const fixed = ofType(resources, RC).find((r) => r.inputs.metadata.name === "my-cluster")!;
    expect(fixed.options.ignoreChanges).toEqual([]);
    expect(fixed.inputs.spec.workerGroupSpecs[0].replicas).toBe(1);
  });

  test("is off for fixed-size clusters, which keep their replicas", () => {
    const rc = rayCluster("ray-playground", "my-cluster");
    expect(rc.spec.enableInTreeAutoscaling).toBeUndefined();
    expect(worker(rc, "worker")).toMatchObject({ replicas: 1, minReplicas: 1, maxReplicas: 1 });
  });
});

describe("extras", () => {
  test("tutorials come from a ConfigMap and are copied into the workspace at start", () => {
    const cm = k8sObject(resources, "kubernetes:core/v1:ConfigMap", "ray-playground", "my-cluster-tutorials");
    const shipped = fs
      .readdirSync(path.join(PROJECT_DIR, "tutorials"))
      .filter((f) => f.endsWith(".ipynb"))
      .sort();
    expect(Object.keys(cm.data).sort()).toEqual(shipped);
    for (const f of shipped) expect(JSON.parse(cm.data[f]).nbformat).toBe(4);
    const init = head(rayCluster("ray-playground", "my-cluster")).initContainers[0];
    expect(init.command.join(" ")).toContain("cp -n /tutorials/*.ipynb /home/ray/workspace/tutorials/");
  });

  test("the notebook and editor are reachable through a ClusterIP Service in the namespace, never outside", () => {
    const svc = k8sObject(resources, "kubernetes:core/v1:Service", "ray-playground", "my-cluster-tools");
    expect(svc.spec).toEqual({
      type: "ClusterIP",
      selector: { "ray.io/cluster": "my-cluster", "ray.io/node-type": "head" },
      ports: [
        { name: "notebook", port: 8081, targetPort: "notebook", protocol: "TCP" },
        { name: "vscode", port: 3000, targetPort: "vscode", protocol: "TCP" },
      ],
    });
    for (const rc of ofType(resources, RC))
      expect(rc.inputs.spec.headGroupSpec.serviceType).toBe("ClusterIP");
  });

  test("the notebook runs JupyterLab from the -extra image and reaches Ray through the client port", () => {
    const nb = head(rayCluster("recsys", "two-tower")).containers.find((c: any) => c.name === "notebook");
    expect(nb.image).toBe(
      "us-central1-docker.pkg.dev/my-ml-platform-dev/docker-hub/rayproject/ray:2.52.0-extra-py311",
    );
    expect(nb.command.slice(4, 6)).toEqual(["jupyter", "lab"]);
    expect(nb.env[0]).toEqual({ name: "RAY_ADDRESS", value: "ray://127.0.0.1:10001" });
  });
});

describe("validity", () => {
  test("every RayCluster of the example teams passes the pinned CRD's schema and KubeRay's controller rules", () => {
    const rcs = ofType(resources, RC);
    expect(rcs).toHaveLength(3);
    for (const rc of rcs) {
      expect(validator.problems(rc.inputs), rc.name).toEqual([]);
      expect(kubeRayControllerProblems(rc.inputs), rc.name).toEqual([]);
    }
  });

  test("the schema check catches what the API server would refuse", () => {
    const rc = structuredClone(rayCluster("recsys", "two-tower"));
    rc.spec.workerGroupSpecs[0].maxReplicas = "four";
    expect(validator.problems(rc)).toEqual(
      expect.arrayContaining(["/spec/workerGroupSpecs/0/maxReplicas must be integer"]),
    );
  });

  test("the controller check catches what KubeRay would refuse after accepting the object", () => {
    const rc = structuredClone(rayCluster("recsys", "two-tower"));
    rc.metadata.name = "x".repeat(54);
    rc.spec.workerGroupSpecs[1].groupName = "t4";
    rc.spec.workerGroupSpecs[0].minReplicas = 5;
    expect(kubeRayControllerProblems(rc)).toEqual([
      "RayCluster name should be no more than 53 characters",
      "worker group t4 has minReplicas 5 greater than maxReplicas 4",
      "worker group names must be unique",
    ]);
  });

  test("random valid team files render RayClusters that pass both checks and have token auth", () => {
    const stackText = fs.readFileSync(path.join(PROJECT_DIR, "Pulumi.dev.yaml"), "utf8");
    const group = fc.record({
      gpu: fc.option(fc.constantFrom("t4", "a100"), { nil: undefined }),
      // At most 3 groups of 2 workers: 6 GPUs of a type, within the dev stack's pools (8 a100, 16 t4).
      minReplicas: fc.integer({ min: 0, max: 1 }),
      extra: fc.integer({ min: 0, max: 1 }),
      cpu: fc.option(fc.integer({ min: 1, max: 8 }), { nil: undefined }),
      custom: fc.boolean(),
    });
    const cluster = fc.record({
      groups: fc.array(group, { minLength: 0, maxLength: 3 }),
      notebook: fc.boolean(),
      vscode: fc.boolean(),
      tutorials: fc.boolean(),
      headCpu: fc.option(fc.integer({ min: 1, max: 8 }), { nil: undefined }),
      bucket: fc.boolean(),
    });
    fc.assert(
      fc.property(cluster, (c) => {
        const team = {
          name: "prop",
          description: "generated",
          owners: ["user:p@example.com"],
          quota: { cpu: 10000, memory: "100Ti", gpus: { t4: 16, a100: 8 } },
          bucket: c.bucket,
          rayClusters: [
            {
              name: "gen",
              notebook: c.notebook,
              vscode: c.vscode,
              tutorials: c.tutorials,
              head: c.headCpu ? { cpu: c.headCpu, memory: `${c.headCpu * 4}Gi` } : {},
              workerGroups: c.groups.map((g, i) => ({
                name: `g${i}`,
                ...(g.gpu ? { gpu: { type: g.gpu } } : {}),
                ...(g.cpu ? { cpu: g.cpu, memory: `${g.cpu * 4}Gi` } : {}),
                ...(g.custom ? { rayResources: { my_accelerator: 1 } } : {}),
                minReplicas: g.minReplicas,
                maxReplicas: g.minReplicas + g.extra,
              })),
            },
          ],
        };
        const dir = teamsDir({ "prop.yaml": stringify(team) }, { withRepoTeams: false });
        const platform = loadConfig({ teams: dir, stackFileText: stackText });
        const rc = renderRayCluster(firstRayCluster(platform));
        c.groups.forEach((g, i) =>
          expect((rc.spec.workerGroupSpecs as any)[i].resources).toEqual(
            g.custom ? { my_accelerator: "1" } : undefined,
          ),
        );
        expect(rc.spec.authOptions).toEqual({ mode: "token", secretName: "gen-token" });
        expect(validator.problems(rc)).toEqual([]);
        expect(kubeRayControllerProblems(rc)).toEqual([]);
        fs.rmSync(dir, { recursive: true });
      }),
      { numRuns: 60 },
    );
  });
});

test("memory is rendered exactly as the quota counted it: three 1000M pods (1G each, not a rounded 954Mi) fit a 3000M quota", () => {
  const group = { name: "w", cpu: 1, memory: "1000M", minReplicas: 2, maxReplicas: 2 };
  const team = {
    name: "t",
    description: "d",
    owners: ["user:a@example.com"],
    quota: { cpu: 100, memory: "3000M" },
    rayClusters: [{ name: "c", head: { cpu: 1, memory: "1000M" }, workerGroups: [group] }],
  };
  const rc = renderRayCluster(
    firstRayCluster(loadConfig({ teams: teamsDir({ "t.yaml": stringify(team) }, { withRepoTeams: false }) })),
  ) as any;
  const rayContainers = [rc.spec.headGroupSpec, rc.spec.workerGroupSpecs[0]].map(
    (g: any) => g.template.spec.containers[0].resources,
  );
  expect(rayContainers.map((r: any) => [r.requests.memory, r.limits.memory])).toEqual([
    ["1G", "1G"],
    ["1G", "1G"],
  ]);
});
