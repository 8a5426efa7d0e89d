/**
 * The RayCluster, tools Service and tutorials ConfigMap of resolved clusters (render/rayCluster.ts),
 * without evaluating the program: the clusters are the fixture stack's team files as the loader
 * resolves them (gke mode), the same teams in mode existing on the real stack's pools (untainted
 * CPU pools), and team files written here on the kind stack (no pools). test/rayCluster.test.ts
 * checks the evaluated program and its CRD validity; this file is what mutation testing runs for
 * every mutant of the renderer, so it is fast and checks exact values: what KubeRay and
 * Kubernetes do with each field.
 *
 * Mutation testing kills all 260 mutants of render/rayCluster.ts with this file alone
 * (2026-12-05): none is left as equivalent.
 */
import { spawnSync } from "node:child_process";
import { describe, expect, test } from "vitest";
import { type ResolvedRayCluster } from "../config/rayClusters";
import {
  HEAD_PORTS,
  headServiceName,
  portFlags,
  renderRayCluster,
  toolsService,
  toolsServiceName,
  TUTORIALS_INIT_CONTAINER,
  tutorialsConfigMap,
  withTokensHidden,
} from "../render/rayCluster";
import { defined } from "./defined";
import { FIXTURE_TEAMS_DIR, loadConfig, teamsDir } from "./mocks";

const GiB = 2 ** 30;
const MiB = 2 ** 20;
const REGISTRY = "us-central1-docker.pkg.dev/my-ml-platform-dev/docker-hub";
const IMAGES = {
  cpu: `${REGISTRY}/rayproject/ray:2.52.0-py311`,
  gpu: `${REGISTRY}/rayproject/ray:2.52.0-py311-gpu`,
  notebook: `${REGISTRY}/rayproject/ray:2.52.0-extra-py311`,
  vscode: `${REGISTRY}/gitpod/openvscode-server:1.105.1`,
};

const clustersOf = (config: ReturnType<typeof loadConfig>): ResolvedRayCluster[] =>
  config.teams.flatMap((t) => t.rayClusters);
const find = (clusters: ResolvedRayCluster[], name: string): ResolvedRayCluster =>
  defined(
    clusters.find((c) => c.name === name),
    `a RayCluster ${name}`,
  );
/** A cluster of the fixture stack's teams (gke mode): my-cluster, two-tower or gnn. */
const gke = (name: string) => find(clustersOf(loadConfig({ fixture: true })), name);
/** The same teams in mode existing, on the real stack's pools: only GPU pools are tainted. */
const existing = (name: string) =>
  find(clustersOf(loadConfig({ stack: "real", teams: FIXTURE_TEAMS_DIR })), name);
/** The one cluster of a team file `lab` written here, on the given stack (kind: no pools). */
const fromTeamFile = (clusterYaml: string, opts: { stack?: "kind"; fixture?: boolean } = {}) =>
  defined(
    clustersOf(
      loadConfig({
        ...opts,
        teams: teamsDir(
          {
            "lab.yaml": `name: lab\ndescription: Lab.\nowners:\n  - user:ana@example.com\nquota:\n  cpu: 64\n  memory: 256Gi\nrayClusters:\n${clusterYaml}`,
          },
          { withRepoTeams: false },
        ),
      }),
    )[0],
    "the lab cluster",
  );
/** A head and one fixed CPU worker on the kind stack: no pools, no tools, no bucket, no description. */
const SMALL = `  - name: small
    head: { cpu: 1, memory: 2Gi }
    workerGroups:
      - { name: cpu, cpu: 2, memory: 4Gi, replicas: 1 }
`;
const small = () => fromTeamFile(SMALL, { stack: "kind" });

/** The object as the API server stores it: JSON, so an undefined field is no field. */
const json = (o: unknown): any => JSON.parse(JSON.stringify(o));
const render = (c: ResolvedRayCluster): any => json(renderRayCluster(c));
const headSpec = (c: ResolvedRayCluster) => render(c).spec.headGroupSpec.template.spec;
const container = (spec: any, name: string) =>
  defined(
    spec.containers.find((x: any) => x.name === name),
    `a container ${name}`,
  );
const group = (rc: any, name: string) =>
  defined(
    rc.spec.workerGroupSpecs.find((g: any) => g.groupName === name),
    `a worker group ${name}`,
  );

const RESTRICTED = {
  allowPrivilegeEscalation: false,
  capabilities: { drop: ["ALL"] },
  runAsNonRoot: true,
  runAsUser: 1000,
  runAsGroup: 100,
  seccompProfile: { type: "RuntimeDefault" },
};
const exact = (cpu: string, memory: string, gpus?: string) => {
  const r = { cpu, memory, ...(gpus ? { "nvidia.com/gpu": gpus } : {}) };
  return { requests: r, limits: r };
};
const labels = (namespace: string, cluster: string) => ({
  "ray-platform/team": namespace,
  "ray-platform/raycluster": cluster,
  "app.kubernetes.io/managed-by": "ray-platform",
});
const HEAD_PORT_LIST = [
  { name: "gcs", containerPort: 6379 },
  { name: "dashboard", containerPort: 8265 },
  { name: "client", containerPort: 10001 },
  { name: "metrics", containerPort: 8080 },
];
const HEAD_TAINT = { key: "ray-platform/role", operator: "Equal", value: "ray-head", effect: "NoSchedule" };
const WORKER_TAINT = {
  key: "ray-platform/role",
  operator: "Equal",
  value: "ray-worker",
  effect: "NoSchedule",
};
const GPU_TAINT = { key: "nvidia.com/gpu", operator: "Equal", value: "present", effect: "NoSchedule" };
const FUSE_ANNOTATIONS = {
  "gke-gcsfuse/volumes": "true",
  "gke-gcsfuse/cpu-request": "250m",
  "gke-gcsfuse/memory-request": "512Mi",
  "gke-gcsfuse/cpu-limit": "0",
  "gke-gcsfuse/memory-limit": "0",
};
const bucketVolume = (bucket: string) => ({
  name: "bucket",
  csi: {
    driver: "gcsfuse.csi.storage.gke.io",
    volumeAttributes: {
      bucketName: bucket,
      mountOptions: "implicit-dirs,uid=1000,gid=100,file-mode=664,dir-mode=775",
    },
  },
});
const shm = (mi: number) => ({ name: "shm", emptyDir: { medium: "Memory", sizeLimit: `${mi}Mi` } });
const SHM_MOUNT = { name: "shm", mountPath: "/dev/shm" };
const BUCKET_MOUNT = { name: "bucket", mountPath: "/mnt/bucket" };
const WORKSPACE_MOUNT = { name: "workspace", mountPath: "/home/ray/workspace" };
const HIDE = [
  "bash",
  "-c",
  `exec > >(exec sed -u -E 's/((tkn|token)=)[A-Za-z0-9_-]+/\\1<hidden>/g') 2>&1; exec "$@"`,
  "hide-tokens",
];
const tokenEnv = (cluster: string, name: string) => ({
  name,
  valueFrom: { secretKeyRef: { name: `${cluster}-token`, key: "auth_token" } },
});

describe("token authentication", () => {
  test("every cluster answers only to its own token, whatever tools it has, in a team namespace or the playground", () => {
    const clusters = [
      gke("my-cluster"), // notebook, editor, tutorials; playground
      gke("two-tower"), // notebook only
      gke("gnn"), // editor and tutorials, no notebook
      small(), // no tool at all
    ];
    expect(clusters.map((c) => [c.namespace, c.notebook, c.vscode, c.tutorials])).toEqual([
      ["ray-playground", true, true, true],
      ["recsys", true, false, false],
      ["tech-research", false, true, true],
      ["lab", false, false, false],
    ]);
    for (const c of clusters)
      expect(render(c).spec.authOptions, c.name).toEqual({ mode: "token", secretName: `${c.name}-token` });
  });
});

describe("the head", () => {
  test("a head with a notebook, an editor and the tutorials (the playground's starter cluster)", () => {
    const c = gke("my-cluster");
    const t = render(c).spec.headGroupSpec.template;
    expect(t.metadata).toEqual({ labels: labels("ray-playground", "my-cluster") });
    expect(t.spec).toEqual({
      serviceAccountName: "ray",
      nodeSelector: { "ray-platform/pool": "ray-head" },
      tolerations: [HEAD_TAINT],
      initContainers: [
        {
          name: "copy-tutorials",
          image: IMAGES.cpu,
          command: [
            "sh",
            "-c",
            "mkdir -p /home/ray/workspace/tutorials && cp -n /tutorials/*.ipynb /home/ray/workspace/tutorials/",
          ],
          resources: exact("100m", "128Mi"),
          volumeMounts: [WORKSPACE_MOUNT, { name: "tutorials", mountPath: "/tutorials", readOnly: true }],
          securityContext: RESTRICTED,
        },
      ],
      containers: [
        {
          name: "ray-head",
          image: IMAGES.cpu,
          ports: HEAD_PORT_LIST,
          // n2-standard-16 less the notebook's and editor's sidecars.
          resources: exact("13", "52Gi"),
          volumeMounts: [SHM_MOUNT, WORKSPACE_MOUNT],
          securityContext: RESTRICTED,
        },
        {
          name: "notebook",
          image: IMAGES.notebook,
          command: [
            ...HIDE,
            "jupyter",
            "lab",
            "--ip=0.0.0.0",
            "--port=8081",
            "--no-browser",
            "--ServerApp.root_dir=/home/ray/workspace",
          ],
          env: [
            { name: "RAY_ADDRESS", value: "ray://127.0.0.1:10001" },
            tokenEnv("my-cluster", "JUPYTER_TOKEN"),
            { name: "RAY_AUTH_MODE", value: "token" },
            tokenEnv("my-cluster", "RAY_AUTH_TOKEN"),
          ],
          ports: [{ name: "notebook", containerPort: 8081 }],
          resources: exact("1", "2Gi"),
          volumeMounts: [WORKSPACE_MOUNT],
          securityContext: RESTRICTED,
        },
        {
          name: "vscode",
          image: IMAGES.vscode,
          command: [
            ...HIDE,
            "sh",
            "-c",
            `umask 077 && printf %s "$CONNECTION_TOKEN" > /tmp/connection-token && exec "$OPENVSCODE_SERVER_ROOT/bin/openvscode-server" "$@"`,
            "openvscode-server",
            "--port",
            "3000",
            "--default-folder",
            "/home/ray/workspace",
            "--connection-token-file",
            "/tmp/connection-token",
          ],
          env: [tokenEnv("my-cluster", "CONNECTION_TOKEN")],
          ports: [{ name: "vscode", containerPort: 3000 }],
          resources: exact("1", "2Gi"),
          volumeMounts: [WORKSPACE_MOUNT],
          securityContext: RESTRICTED,
        },
      ],
      // Ray's object store: 30% of the head's 52Gi in /dev/shm.
      volumes: [
        shm(15974),
        { name: "workspace", emptyDir: { sizeLimit: "20Gi" } },
        { name: "tutorials", configMap: { name: "my-cluster-tutorials" } },
      ],
    });
  });

  test("with a bucket, an autoscaler and a notebook only: the bucket in Ray's and the notebook's mounts, GKE's FUSE sidecar asked for, gated for Kueue", () => {
    const t = render(gke("two-tower")).spec.headGroupSpec.template;
    expect(t.metadata).toEqual({ labels: labels("recsys", "two-tower"), annotations: FUSE_ANNOTATIONS });
    expect(t.spec.schedulingGates).toEqual([{ name: "kueue.x-k8s.io/elastic-job" }]);
    expect(t.spec.initContainers).toBeUndefined();
    expect(t.spec.containers.map((x: any) => x.name)).toEqual(["ray-head", "notebook"]);
    expect(container(t.spec, "ray-head").volumeMounts).toEqual([SHM_MOUNT, BUCKET_MOUNT, WORKSPACE_MOUNT]);
    expect(container(t.spec, "ray-head").resources).toEqual(exact("13", "53Gi"));
    expect(container(t.spec, "notebook").volumeMounts).toEqual([WORKSPACE_MOUNT, BUCKET_MOUNT]);
    expect(t.spec.volumes).toEqual([
      shm(16281),
      { name: "workspace", emptyDir: { sizeLimit: "20Gi" } },
      bucketVolume("my-ml-platform-dev-ray-recsys"),
    ]);
  });

  test("with the editor and tutorials but no notebook: the editor shares the workspace and the bucket", () => {
    const spec = render(gke("gnn")).spec.headGroupSpec.template.spec;
    expect(spec.containers.map((x: any) => x.name)).toEqual(["ray-head", "vscode"]);
    expect(container(spec, "vscode").volumeMounts).toEqual([WORKSPACE_MOUNT, BUCKET_MOUNT]);
    expect(container(spec, "vscode").env).toEqual([tokenEnv("gnn", "CONNECTION_TOKEN")]);
    expect(container(spec, "ray-head").resources).toEqual(exact("8", "32Gi"));
    expect(spec.initContainers.map((x: any) => x.name)).toEqual([TUTORIALS_INIT_CONTAINER]);
    expect(TUTORIALS_INIT_CONTAINER).toBe("copy-tutorials");
    expect(spec.volumes).toEqual([
      shm(9830),
      { name: "workspace", emptyDir: { sizeLimit: "20Gi" } },
      { name: "tutorials", configMap: { name: "gnn-tutorials" } },
      bucketVolume("my-ml-platform-dev-ray-tech-research"),
    ]);
  });

  test("each tool alone gets the workspace; with none there is no workspace, no init container, no sidecar", () => {
    for (const [tool, containers, init] of [
      ["notebook", ["ray-head", "notebook"], undefined],
      ["vscode", ["ray-head", "vscode"], undefined],
      ["tutorials", ["ray-head"], ["copy-tutorials"]],
    ] as const) {
      const spec = headSpec(fromTeamFile(`  - name: solo\n    ${tool}: true\n`, { fixture: true }));
      expect(
        spec.containers.map((x: any) => x.name),
        tool,
      ).toEqual(containers);
      expect(
        spec.initContainers?.map((x: any) => x.name),
        tool,
      ).toEqual(init);
      expect(container(spec, "ray-head").volumeMounts, tool).toEqual([SHM_MOUNT, WORKSPACE_MOUNT]);
      expect(
        spec.volumes.map((v: any) => v.name),
        tool,
      ).toEqual(tool === "tutorials" ? ["shm", "workspace", "tutorials"] : ["shm", "workspace"]);
    }
    const spec = headSpec(small());
    expect(spec.containers.map((x: any) => x.name)).toEqual(["ray-head"]);
    expect(spec.initContainers).toBeUndefined();
    expect(container(spec, "ray-head").volumeMounts).toEqual([SHM_MOUNT]);
    expect(spec.volumes).toEqual([shm(614)]);
  });

  test("without pools (kind) the head goes anywhere: no selector, no tolerations, no gate, no annotations", () => {
    const t = render(small()).spec.headGroupSpec.template;
    expect(t).toEqual({
      metadata: { labels: labels("lab", "small") },
      spec: {
        serviceAccountName: "ray",
        containers: [
          {
            name: "ray-head",
            image: "docker.io/rayproject/ray:2.52.0-py311",
            ports: HEAD_PORT_LIST,
            resources: exact("1", "2Gi"),
            volumeMounts: [SHM_MOUNT],
            securityContext: RESTRICTED,
          },
        ],
        volumes: [shm(614)],
      },
    });
  });

  test("on an untainted pool (mode existing) the head is placed by its pool's label and tolerates nothing", () => {
    const spec = headSpec(existing("two-tower"));
    expect(spec.nodeSelector).toEqual({ "ray-platform/pool": "ray-head" });
    expect(spec).not.toHaveProperty("tolerations");
  });

  test("Ray's object store gets 30% of the container's memory in /dev/shm, 64Mi at the least", () => {
    const c = small();
    const withMemory = (bytes: number) =>
      headSpec({ ...c, head: { ...c.head, memoryBytes: bytes } }).volumes[0].emptyDir.sizeLimit;
    expect(withMemory(2 * GiB)).toBe("614Mi");
    expect(withMemory(1000 * MiB)).toBe("300Mi");
    expect(withMemory(213 * MiB)).toBe("64Mi");
    expect(withMemory(128 * MiB)).toBe("64Mi");
    // The container's memory is what the loader checked, unrounded: 1000M, not 954Mi.
    expect(
      container(headSpec({ ...c, head: { ...c.head, memoryBytes: 1e9 } }), "ray-head").resources,
    ).toEqual(exact("1", "1G"));
  });
});

describe("the head's Ray", () => {
  test("listens on every Ray port, on all interfaces, behind a ClusterIP Service", () => {
    const head = render(small()).spec.headGroupSpec;
    expect(head.serviceType).toBe("ClusterIP");
    expect(head.rayStartParams).toEqual({
      "dashboard-host": "0.0.0.0",
      port: "6379",
      "dashboard-port": "8265",
      "ray-client-server-port": "10001",
      "metrics-export-port": "8080",
      "num-cpus": "0",
    });
    expect(head).not.toHaveProperty("resources");
    expect(HEAD_PORTS).toEqual(["gcs", "dashboard", "client", "metrics"]);
    expect(portFlags(["metrics", "gcs"])).toEqual({ "metrics-export-port": "8080", port: "6379" });
  });

  test("does no Ray work when there are workers, unless the team file says so; a head alone keeps its CPUs", () => {
    const withWorkers = small();
    const alone = { ...withWorkers, workerGroups: [] };
    const params = (c: ResolvedRayCluster) => render(c).spec.headGroupSpec.rayStartParams;
    expect(params(withWorkers)["num-cpus"]).toBe("0");
    expect(params(alone)).not.toHaveProperty("num-cpus");
    const told = fromTeamFile(
      `  - name: told\n    head: { cpu: 4, memory: 8Gi, rayStartParams: { num-cpus: "2" } }\n    workerGroups:\n      - { name: w, cpu: 2, memory: 4Gi, replicas: 1 }\n`,
      { stack: "kind" },
    );
    expect(params(told)).toMatchObject({ "num-cpus": "2", "dashboard-host": "0.0.0.0" });
    const inResources = fromTeamFile(
      `  - name: res\n    head: { cpu: 4, memory: 8Gi, rayResources: { CPU: 1 } }\n    workerGroups:\n      - { name: w, cpu: 2, memory: 4Gi, replicas: 1 }\n`,
      { stack: "kind" },
    );
    expect(params(inResources)).not.toHaveProperty("num-cpus");
    expect(render(inResources).spec.headGroupSpec.resources).toEqual(inResources.head.rayResources);
    expect(params({ ...inResources, workerGroups: [] })).not.toHaveProperty("num-cpus");
  });
});

describe("worker groups", () => {
  test("GPU workers: one per node of their GPU pool, tolerating the GPU taint, asking for their GPUs, counted by their type's quota", () => {
    const rc = render(gke("two-tower"));
    const t4 = group(rc, "t4");
    expect(t4).toEqual({
      groupName: "t4",
      minReplicas: 0,
      maxReplicas: 4,
      rayStartParams: { "metrics-export-port": "8080" },
      template: {
        metadata: { labels: labels("recsys", "two-tower"), annotations: FUSE_ANNOTATIONS },
        spec: {
          serviceAccountName: "ray",
          nodeSelector: { "ray-platform/pool": "t4", "cloud.google.com/gke-accelerator": "nvidia-tesla-t4" },
          tolerations: [GPU_TAINT],
          priorityClassName: "ray-platform-gpu-nvidia-tesla-t4",
          schedulingGates: [{ name: "kueue.x-k8s.io/elastic-job" }],
          containers: [
            {
              name: "ray-worker",
              image: IMAGES.gpu,
              ports: [{ name: "metrics", containerPort: 8080 }],
              // n1-standard-16 (15 CPUs, 52Gi for pods) less GKE's FUSE sidecar: a whole node.
              resources: exact("14", "51Gi", "1"),
              volumeMounts: [SHM_MOUNT, BUCKET_MOUNT],
              securityContext: RESTRICTED,
            },
          ],
          volumes: [shm(15667), bucketVolume("my-ml-platform-dev-ray-recsys")],
        },
      },
    });
    const a100 = group(render(gke("gnn")), "a100").template.spec;
    expect(a100.nodeSelector).toEqual({
      "ray-platform/pool": "a100",
      "cloud.google.com/gke-accelerator": "nvidia-tesla-a100",
    });
    expect(a100.priorityClassName).toBe("ray-platform-gpu-nvidia-tesla-a100");
    expect(a100.containers[0].resources).toEqual(exact("10", "75Gi", "1"));
    expect(a100.volumes[0]).toEqual(shm(23040));
  });

  test("a worker asks for its group's GPU count", () => {
    const c = gke("my-cluster");
    const g = defined(c.workerGroups[0], "a worker group");
    const two = { ...c, workerGroups: [{ ...g, gpu: { ...defined(g.gpu, "a GPU"), count: 2 } }] };
    expect(render(two).spec.workerGroupSpecs[0].template.spec.containers[0].resources).toEqual(
      exact("15", "52Gi", "2"),
    );
  });

  test("CPU workers: the CPU image, no GPU asked, no GPU PriorityClass, their pool's taint only", () => {
    const spec = group(render(gke("two-tower")), "preprocess").template.spec;
    expect(spec.nodeSelector).toEqual({ "ray-platform/pool": "cpu-worker" });
    expect(spec.tolerations).toEqual([WORKER_TAINT]);
    expect(spec).not.toHaveProperty("priorityClassName");
    expect(spec.containers[0].image).toBe(IMAGES.cpu);
    expect(spec.containers[0].resources).toEqual(exact("8", "32Gi"));
    expect(spec.volumes).toEqual([shm(9830), bucketVolume("my-ml-platform-dev-ray-recsys")]);
  });

  test("in mode existing, CPU workers tolerate nothing and GPU workers the GPU taint", () => {
    const rc = render(existing("two-tower"));
    expect(group(rc, "preprocess").template.spec).not.toHaveProperty("tolerations");
    expect(group(rc, "preprocess").template.spec.nodeSelector).toEqual({ "ray-platform/pool": "cpu-worker" });
    expect(group(rc, "t4").template.spec.tolerations).toEqual([GPU_TAINT]);
  });

  test("a fixed group states its size; without pools, bucket or autoscaler a worker is a plain Ray pod", () => {
    const rc = render(small());
    expect(rc.spec.workerGroupSpecs).toEqual([
      {
        groupName: "cpu",
        replicas: 1,
        minReplicas: 1,
        maxReplicas: 1,
        rayStartParams: { "metrics-export-port": "8080" },
        template: {
          metadata: { labels: labels("lab", "small") },
          spec: {
            serviceAccountName: "ray",
            containers: [
              {
                name: "ray-worker",
                image: "docker.io/rayproject/ray:2.52.0-py311",
                ports: [{ name: "metrics", containerPort: 8080 }],
                resources: exact("2", "4Gi"),
                volumeMounts: [SHM_MOUNT],
                securityContext: RESTRICTED,
              },
            ],
            volumes: [shm(1228)],
          },
        },
      },
    ]);
    expect(group(render(gke("my-cluster")), "worker").replicas).toBe(1);
  });

  test("an autoscaled group leaves its count to the autoscaler; the team file's Ray parameters and resources are passed on", () => {
    const c = fromTeamFile(
      `  - name: mixed
    head: { cpu: 1, memory: 2Gi }
    workerGroups:
      - { name: fixed, cpu: 2, memory: 4Gi, replicas: 2 }
      - name: elastic
        cpu: 2
        memory: 4Gi
        minReplicas: 1
        maxReplicas: 3
        rayStartParams: { object-store-memory: "1000000000" }
        rayResources: { custom: 2 }
`,
      { stack: "kind" },
    );
    const rc = render(c);
    expect(
      rc.spec.workerGroupSpecs.map((g: any) => [g.groupName, g.replicas, g.minReplicas, g.maxReplicas]),
    ).toEqual([
      ["fixed", 2, 2, 2],
      ["elastic", undefined, 1, 3],
    ]);
    expect(group(rc, "elastic").rayStartParams).toEqual({
      "metrics-export-port": "8080",
      "object-store-memory": "1000000000",
    });
    expect(group(rc, "elastic").resources).toEqual({ custom: "2" });
    expect(group(rc, "fixed")).not.toHaveProperty("resources");
  });
});

describe("autoscaling and Kueue", () => {
  test("an autoscaled cluster: KubeRay's v2 autoscaler, restricted and sized, an elastic job for Kueue, every pod gated", () => {
    const rc = render(gke("gnn"));
    expect(rc.spec.enableInTreeAutoscaling).toBe(true);
    expect(rc.spec.autoscalerOptions).toEqual({
      version: "v2",
      idleTimeoutSeconds: 60,
      upscalingMode: "Default",
      resources: exact("500m", "512Mi"),
      securityContext: RESTRICTED,
    });
    expect(rc.metadata).toEqual({
      name: "gnn",
      namespace: "tech-research",
      labels: { ...labels("tech-research", "gnn"), "kueue.x-k8s.io/queue-name": "default" },
      annotations: {
        "ray-platform/description": "GNN training on A100s; the head stays small.",
        "kueue.x-k8s.io/elastic-job": "true",
        "pulumi.com/patchForce": "true",
      },
    });
    for (const t of [rc.spec.headGroupSpec.template, ...rc.spec.workerGroupSpecs.map((g: any) => g.template)])
      expect(t.spec.schedulingGates).toEqual([{ name: "kueue.x-k8s.io/elastic-job" }]);
  });

  test("a fixed-size cluster: queued in the team's LocalQueue, not elastic, no autoscaler, no gates", () => {
    const rc = render(small());
    expect(rc.apiVersion).toBe("ray.io/v1");
    expect(rc.kind).toBe("RayCluster");
    expect(rc.metadata).toEqual({
      name: "small",
      namespace: "lab",
      labels: { ...labels("lab", "small"), "kueue.x-k8s.io/queue-name": "default" },
      annotations: { "pulumi.com/patchForce": "true" },
    });
    expect(rc.spec.rayVersion).toBe("2.52.0");
    expect(rc.spec).not.toHaveProperty("enableInTreeAutoscaling");
    expect(rc.spec).not.toHaveProperty("autoscalerOptions");
    const my = render(gke("my-cluster"));
    expect(my.metadata.annotations).toEqual({
      "ray-platform/description":
        "Starter cluster with the tutorials, a notebook and VS Code in the browser.",
      "pulumi.com/patchForce": "true",
    });
    for (const t of [my.spec.headGroupSpec.template, ...my.spec.workerGroupSpecs.map((g: any) => g.template)])
      expect(t.spec).not.toHaveProperty("schedulingGates");
  });
});

describe("the tools Service", () => {
  test("reaches the head's notebook and editor by their named ports; none without a tool", () => {
    expect(json(toolsService(gke("my-cluster")))).toEqual({
      metadata: {
        name: "my-cluster-tools",
        namespace: "ray-playground",
        labels: labels("ray-playground", "my-cluster"),
      },
      spec: {
        type: "ClusterIP",
        selector: { "ray.io/cluster": "my-cluster", "ray.io/node-type": "head" },
        ports: [
          { name: "notebook", port: 8081, targetPort: "notebook", protocol: "TCP" },
          { name: "vscode", port: 3000, targetPort: "vscode", protocol: "TCP" },
        ],
      },
    });
    expect(json(toolsService(gke("two-tower"))).spec.ports).toEqual([
      { name: "notebook", port: 8081, targetPort: "notebook", protocol: "TCP" },
    ]);
    expect(json(toolsService(gke("gnn"))).spec.ports).toEqual([
      { name: "vscode", port: 3000, targetPort: "vscode", protocol: "TCP" },
    ]);
    // Tutorials alone are notebooks in the workspace, with nothing to serve them.
    expect(toolsService({ ...gke("gnn"), vscode: false })).toBeUndefined();
    expect(toolsService(small())).toBeUndefined();
    expect(headServiceName("gnn")).toBe("gnn-head-svc");
    expect(toolsServiceName("gnn")).toBe("gnn-tools");
  });
});

describe("the tutorials ConfigMap", () => {
  test("holds the notebooks, named as the head's tutorials volume says, in the cluster's namespace", () => {
    const c = gke("gnn");
    const notebooks = { "01-tasks.ipynb": "{}", "02-actors.ipynb": '{"cells":[]}' };
    const cm = tutorialsConfigMap(c, notebooks);
    expect(json(cm)).toEqual({
      metadata: { name: "gnn-tutorials", namespace: "tech-research", labels: labels("tech-research", "gnn") },
      data: notebooks,
    });
    expect(cm.data).not.toBe(notebooks);
    const volume = headSpec(c).volumes.find((v: any) => v.name === "tutorials");
    expect(volume.configMap.name).toBe(json(cm).metadata.name);
  });
});

describe("tokens in the tools' output", () => {
  const run = (command: string[]) => {
    const r = spawnSync(defined(command[0], "a command"), command.slice(1), { encoding: "utf8" });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  };

  test("every token= and tkn= value printed, on stdout or stderr, reaches the logs as <hidden>; the server's status is kept", () => {
    const out = run(
      withTokensHidden([
        "sh",
        "-c",
        'echo "http://127.0.0.1:8081/lab?token=a1B2-c_3 ready"; echo "open /?tkn=Zz9&x=1" >&2; exit 3',
      ]),
    );
    expect(out).toEqual({
      status: 3,
      stdout: "http://127.0.0.1:8081/lab?token=<hidden> ready\nopen /?tkn=<hidden>&x=1\n",
      stderr: "",
    });
  });

  test("the arguments follow the command, and the command runs as the process (exec), not in a shell of its own", () => {
    expect(withTokensHidden(["echo", "a"], ["b", "token=c"])).toEqual([...HIDE, "echo", "a", "b", "token=c"]);
    expect(withTokensHidden(["echo"])).toEqual([...HIDE, "echo"]);
    expect(run(withTokensHidden(["echo", "a"], ["b", "token=c"])).stdout).toBe("a b token=<hidden>\n");
  });
});
