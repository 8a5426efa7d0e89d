/**
 * rayctl against the fake Kubernetes API (test/fakeKube.ts), seeded with what the program
 * renders for the dev stack's example teams; the user is alice@example.com, a contributor of
 * recsys (and so a member of ray-playground), authorized by the program's own Roles.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { load as loadYaml } from "js-yaml";
import { afterEach, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { run } from "../client/src/cli";
import { paths } from "../client/src/kube";
import { getCluster } from "../client/src/sdk";
import { usd } from "../cost/costs";
import { manifestOf } from "../plan/manifests";
import { rayClusterAdmission, rayClusterFields, rayJobAdmission } from "../render/rayClusterAdmission";
import { policyDenials } from "./admissionEval";
import { type FakeKube, rulesAllow, seededFake, writeKubeconfig } from "./fakeKube";
import { kueueRayJobProblems, rayJobProblems } from "./kuberayRules";
import { type RayctlOptions, type RayctlResult, rayctlInProcess } from "./rayctl";
import { defined } from "./defined";
import {
  loadConfig,
  ofType,
  onDemandHourly,
  PROJECT_DIR,
  runProgram,
  teamsDir,
  type RegisteredResource,
  sharedStack,
} from "./mocks";

type Obj = Record<string, any>;
let resources: RegisteredResource[];
let manifests: Obj[];
/** Each test's own: a fake API server seeded afresh, its kubeconfig, and where rayctl keeps tokens. */
let fake: FakeKube;
let kubeconfig: string;
let server: string;
let tokenDir: string;

async function rayctl(
  line: string,
  opts: Pick<RayctlOptions, "env" | "signal" | "pollMs" | "onStderr"> & { user?: string } = {},
): Promise<RayctlResult> {
  const env = { KUBECONFIG: kubeconfig, HOME: os.tmpdir(), RAYCTL_TOKEN_DIR: tokenDir, ...opts.env };
  return rayctlInProcess(line, {
    env,
    flags: opts.user ? ["--context", opts.user] : [],
    signal: opts.signal,
    pollMs: opts.pollMs,
    onStderr: opts.onStderr,
  });
}

const rayClusters = () => fake.list("ray.io/v1", "RayCluster");
/** my-experiment running: its head on the dev stack's ray-head pool (n2-standard-16) and one worker on the t4 pool (n1-standard-16 and a T4), on demand in us-central1. */
const myExperimentHourly = () => {
  const hourly =
    onDemandHourly("machines", "n2-standard-16") +
    onDemandHourly("machines", "n1-standard-16") +
    onDemandHourly("gpus", "t4");
  return `${usd(hourly, true)}/h`;
};
const quotaUsed = (ns: string, name: string, used: Record<string, string>) => {
  const q = fake.get("v1", "ResourceQuota", ns, name)!;
  fake.setStatus("v1", "ResourceQuota", ns, name, { hard: q.spec.hard, used });
};

beforeAll(async () => {
  resources = (await sharedStack()).resources;
  manifests = resources.map(manifestOf).filter((m): m is Obj => !!m);
});

// A fresh fake per test, as KubeRay's kubectl plugin tests make a fresh fake clientset per case:
// every test runs alone (vitest -t) and in any order.
beforeEach(async () => {
  ({ fake, server } = await seededFake(manifests));
  kubeconfig = writeKubeconfig(server);
  tokenDir = fs.mkdtempSync(path.join(os.tmpdir(), "rayctl-tokens-"));
});

afterEach(async () => {
  await fake.stop();
});

/** The seed's cluster, as the seed's create makes it: a T4 worker, tutorials and VS Code. */
async function myExperiment(): Promise<RayctlResult> {
  const r = await rayctl(
    "create cluster my-experiment -n ray-playground --with-tutorials --vscode-server --gpus-per-worker 1",
  );
  expect(r.code, r.stderr).toBe(0);
  return r;
}

/** recsys/waiting, suspended by Kueue behind another pending Workload of higher priority. */
function seedQueued(): void {
  const rc = structuredClone(fake.get("ray.io/v1", "RayCluster", "recsys", "two-tower")!);
  fake.seed({
    ...rc,
    metadata: { name: "waiting", namespace: "recsys", labels: rc.metadata.labels },
    spec: { ...rc.spec, suspend: true },
    status: {},
  });
  const uid = fake.get("ray.io/v1", "RayCluster", "recsys", "waiting")!.metadata.uid;
  expect(rc.metadata.labels["kueue.x-k8s.io/queue-name"]).toBe("default");
  // As Kueue makes them (pkg/controller/jobframework/reconciler.go:1347-1355, v0.19.2): owned by the cluster, labelled with its uid.
  const workload = (
    name: string,
    priority: number,
    owner: { name: string; uid: string },
    admitted = false,
  ) => ({
    apiVersion: "kueue.x-k8s.io/v1beta2",
    kind: "Workload",
    metadata: {
      name,
      namespace: "recsys",
      labels: { "kueue.x-k8s.io/job-uid": owner.uid },
      ownerReferences: [
        { apiVersion: "ray.io/v1", kind: "RayCluster", ...owner, controller: true, blockOwnerDeletion: true },
      ],
    },
    spec: { queueName: "default", priority, podSets: [] },
    status: admitted
      ? {
          conditions: [
            { type: "QuotaReserved", status: "True" },
            { type: "Admitted", status: "True" },
          ],
        }
      : {},
  });
  fake.seed(workload("raycluster-running-1a2b3", 0, { name: "running", uid: "u-running" }, true));
  fake.seed(workload("raycluster-ahead-4c5d6", 10, { name: "ahead", uid: "u-ahead" }));
  fake.seed(workload("raycluster-waiting-7e8f9", 0, { name: "waiting", uid }));
}

describe("the seed's command lines", () => {
  test("the seed's create of my-cluster in ray-playground is refused: the playground's team file declares it", async () => {
    const before = rayClusters().length;
    const r = await rayctl(
      "create cluster my-cluster -n ray-playground --with-tutorials --vscode-server --gpus-per-worker 1",
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("ray-playground/my-cluster is declared in the team file ray-playground.yaml");
    expect(rayClusters().length).toBe(before);
  });

  test("create: the seed's flags make a cluster with tutorials, VS Code and a T4 per worker", async () => {
    const r = await myExperiment();
    expect(r.stderr, r.stderr).toBe(
      "Created cluster my-experiment in namespace ray-playground\nUploaded tutorial notebooks\n",
    );
    expect(r.code).toBe(0);
    const rc = fake.get("ray.io/v1", "RayCluster", "ray-playground", "my-experiment")!;
    expect(rc.metadata.labels["app.kubernetes.io/managed-by"]).toBe("rayctl");
    const worker = rc.spec.workerGroupSpecs[0];
    expect(worker.groupName).toBe("group1");
    expect(worker.template.spec.containers[0].resources.limits["nvidia.com/gpu"]).toBe("1");
    expect(worker.template.spec.nodeSelector).toEqual({
      "ray-platform/pool": "t4",
      "cloud.google.com/gke-accelerator": "nvidia-tesla-t4",
    });
    expect(worker.template.spec.priorityClassName).toBe("ray-platform-gpu-nvidia-tesla-t4");
    // Tutorials from the program's published copy, owned by the cluster.
    const cm = fake.get("v1", "ConfigMap", "ray-playground", "my-experiment-tutorials")!;
    expect(Object.keys(cm.data).sort()).toEqual(
      fs
        .readdirSync(path.join(PROJECT_DIR, "tutorials"))
        .filter((f) => f.endsWith(".ipynb"))
        .sort(),
    );
    expect(cm.metadata.ownerReferences).toEqual([
      { apiVersion: "ray.io/v1", kind: "RayCluster", name: "my-experiment", uid: rc.metadata.uid },
    ]);
    expect(
      fake.get("v1", "Service", "ray-playground", "my-experiment-tools")!.spec.ports.map((p: Obj) => p.port),
    ).toEqual([8081, 3000]);
    // The token the cluster's authOptions name: letters and digits (VS Code's connection token allows no more), owned by the cluster.
    expect(rc.spec.authOptions).toEqual({ mode: "token", secretName: "my-experiment-token" });
    const secret = fake.get("v1", "Secret", "ray-playground", "my-experiment-token")!;
    expect(Buffer.from(secret.data.auth_token, "base64").toString()).toMatch(/^[A-Za-z0-9]{48}$/);
    expect(secret.metadata.ownerReferences[0].uid).toBe(rc.metadata.uid);
    // The token for scripts and the SDKs, only when asked for.
    const token = Buffer.from(secret.data.auth_token, "base64").toString();
    expect((await rayctl("describe cluster my-experiment -n ray-playground")).stdout).not.toContain(token);
    // Its creator has it (members read no Secret: another member is told who does).
    const shown = await rayctl("describe cluster my-experiment -n ray-playground --show-token");
    expect(shown.stdout, shown.stderr).toContain(`\nToken:            ${token}\n`);
    expect(
      JSON.parse(
        (await rayctl("describe cluster my-experiment -n ray-playground --show-token -o json")).stdout,
      ).token,
    ).toBe(token);
    const elsewhere = await rayctl("describe cluster my-experiment -n ray-playground --show-token", {
      env: { RAYCTL_TOKEN_DIR: fs.mkdtempSync(path.join(os.tmpdir(), "tokens-")) },
    });
    expect(elsewhere.code).toBe(2);
    expect(elsewhere.stderr).toContain("members read no Secret. The cluster's creator has the token");
    // The seed's description follows.
    expect(r.stdout).toContain(
      "Ray client:       ray://my-experiment-head-svc.ray-playground.svc.cluster.local:10001",
    );
  });

  test("get lists NAME CREATED WORKERS, with status, GPUs, hourly cost now, age and who owns each cluster", async () => {
    await myExperiment();
    const r = await rayctl("get cluster -n ray-playground");
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^NAME\s+CREATED\s+WORKERS\s+STATUS\s+QUEUE\s+GPUS\s+COST\s+AGE\s+OWNER$/);
    expect(myExperimentHourly()).toBe("$1.89/h");
    expect(lines.find((l) => l.startsWith("my-experiment "))?.replace(/\s+/g, " ")).toMatch(
      /^my-experiment \d{4}-\d\d-\d\d \d\d:\d\dZ 1\/1 ready Admitted 1 t4 \$1\.89\/h \d+s rayctl$/,
    );
    // Declared by the team file, but no pod of it runs here: nothing to pay.
    expect(lines.find((l) => l.startsWith("my-cluster "))?.replace(/\s+/g, " ")).toMatch(
      / \$0\.00\/h \d+s team file ray-playground\.yaml$/,
    );
  });

  test("describe shows the seed's block: versions, service account, head IP, endpoints, groups", async () => {
    await myExperiment();
    const r = await rayctl("describe cluster my-experiment -n ray-playground");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Client version:   0.1.0");
    expect(r.stdout).toContain("Ray version:      2.52.0 (Python 3.11)");
    expect(r.stdout).toContain("Service account:  ray");
    expect(r.stdout).toContain("Head IP:          10.16.0.12");
    expect(r.stdout).toContain(
      "Dashboard:        http://my-experiment-head-svc.ray-playground.svc.cluster.local:8265",
    );
    expect(r.stdout).toContain(
      "Notebook server:  http://my-experiment-tools.ray-playground.svc.cluster.local:8081",
    );
    expect(r.stdout).toContain(
      "OpenVSCode:       http://my-experiment-tools.ray-playground.svc.cluster.local:3000",
    );
    // The GPU type as flags and `get` write it; singular where one (issue 24).
    expect(r.stdout).toContain("Worker group group1: 1 replica, 15 CPUs, 1 t4 GPU, 52Gi memory, pool t4");
    expect(r.stdout).toMatch(/Head group:\s+1 replica, \d+ CPUs, no GPU, \d+Gi memory, pool ray-head/);
    // -o json: one type per field (counts as numbers, memory as a quantity string).
    const d = JSON.parse((await rayctl("describe cluster my-experiment -n ray-playground -o json")).stdout);
    expect(d.workerGroups[0]).toMatchObject({
      replicas: 1,
      cpus: 15,
      gpus: 1,
      gpuType: "t4",
      memory: "52Gi",
    });
    expect(typeof d.head.cpus).toBe("number");
    expect(r.stdout).toContain(
      `Workers:          1 ready of 1\nCost now:         ${myExperimentHourly()} (running head and ready workers, one node each)\n`,
    );
  });

  test("a cluster Kueue holds is Queued, with its position in the team's LocalQueue from the visibility API", async () => {
    seedQueued();
    const described = await rayctl("describe cluster waiting -n recsys");
    expect(described.stdout).toContain(
      "Status:           pending\nQueue:            queued, position 2 in recsys's queue (LocalQueue default)\n",
    );
    const [, waitingRow] = (await rayctl("get cluster waiting -n recsys")).stdout.split("\n");
    expect(defined(waitingRow, "a row for the cluster").replace(/\s+/g, " ")).toMatch(
      /^waiting \S+ \S+ 0\/\d+ pending Queued /,
    );
    expect((await rayctl("describe cluster two-tower -n recsys")).stdout).toContain(
      "Queue:            admitted (LocalQueue default)\n",
    );
    const waited = await rayctl("wait cluster waiting -n recsys --timeout 1");
    expect(waited.code).toBe(3);
    expect(waited.stderr.split("\n")[0]).toBe("queued, position 2 in recsys's queue");
  });

  test("during an elastic scale-up the running cluster shows Admitted, whichever of its two Workloads the API lists first", async () => {
    const rc = fake.get("ray.io/v1", "RayCluster", "recsys", "two-tower")!;
    const slice = (name: string, conditions: { type: string; status: string }[]) => ({
      apiVersion: "kueue.x-k8s.io/v1beta2",
      kind: "Workload",
      metadata: {
        name,
        namespace: "recsys",
        labels: { "kueue.x-k8s.io/job-uid": rc.metadata.uid },
        ownerReferences: [
          {
            apiVersion: "ray.io/v1",
            kind: "RayCluster",
            name: "two-tower",
            uid: rc.metadata.uid,
            controller: true,
          },
        ],
      },
      spec: { queueName: "default", priority: 0, podSets: [] },
      status: { conditions },
    });
    const admitted = [
      { type: "QuotaReserved", status: "True" },
      { type: "Admitted", status: "True" },
    ];
    // The new slice sorts before the admitted one, and an old replaced slice is Finished.
    fake.seed(slice("raycluster-two-tower-a-pending", []));
    fake.seed(slice("raycluster-two-tower-b-admitted", admitted));
    fake.seed(slice("raycluster-two-tower-0-replaced", [...admitted, { type: "Finished", status: "True" }]));
    const described = await rayctl("describe cluster two-tower -n recsys");
    expect(described.stdout).toContain("Queue:            admitted (LocalQueue default)\n");
    expect((await rayctl("get cluster two-tower -n recsys")).stdout).not.toContain("Queued");
    for (const name of [
      "raycluster-two-tower-a-pending",
      "raycluster-two-tower-b-admitted",
      "raycluster-two-tower-0-replaced",
    ])
      fake.unseed("kueue.x-k8s.io/v1beta2", "Workload", "recsys", name);
  });

  test("several $KUBECONFIG files are merged as kubectl merges them: the first to set an entry wins, missing files are skipped (issue 24)", async () => {
    const [a, b] = [
      fs.mkdtempSync(path.join(os.tmpdir(), "kc-a-")),
      fs.mkdtempSync(path.join(os.tmpdir(), "kc-b-")),
    ];
    // a: alice's context and user, her token in a file beside a (relative to a); no current-context.
    fs.writeFileSync(path.join(a, "token"), "alice-token\n");
    fs.writeFileSync(
      path.join(a, "config"),
      JSON.stringify({
        apiVersion: "v1",
        kind: "Config",
        contexts: [{ name: "me", context: { cluster: "fake", user: "me" } }],
        users: [{ name: "me", user: { tokenFile: "token" } }],
      }),
    );
    // b: the cluster, the current context, and the same names pointing at bob, who is in no team.
    fs.writeFileSync(
      path.join(b, "config"),
      JSON.stringify({
        apiVersion: "v1",
        kind: "Config",
        "current-context": "me",
        clusters: [{ name: "fake", cluster: { server } }],
        contexts: [{ name: "me", context: { cluster: "fake", user: "me" } }],
        users: [{ name: "me", user: { token: "bob-token" } }],
      }),
    );
    const list = (...files: string[]) =>
      rayctl("get cluster -n recsys", { env: { KUBECONFIG: files.join(path.delimiter) } });
    const asAlice = await list(path.join(a, "missing"), path.join(a, "config"), path.join(b, "config"));
    expect(asAlice.code, asAlice.stderr).toBe(0);
    expect(asAlice.stdout).toContain("two-tower");
    const asBob = await list(path.join(b, "config"), path.join(a, "config"));
    expect(asBob.code).toBe(2);
  });

  test("text from the cluster cannot drive the reader's terminal: control characters are shown escaped", async () => {
    const rc = structuredClone(fake.get("ray.io/v1", "RayCluster", "recsys", "two-tower")!);
    const evil = "g\x1b]0;owned\x07\x1b[2J\r\u202e";
    rc.spec.workerGroupSpecs[0].groupName = evil;
    fake.seed({
      ...rc,
      metadata: { name: "evil", namespace: "recsys", labels: rc.metadata.labels },
      status: {},
    });
    const described = await rayctl("describe cluster evil -n recsys");
    expect(described.stdout).toContain("Worker group g\\x1b]0;owned\\x07\\x1b[2J\\x0d\\u{202e}:");
    for (const c of ["\x1b", "\x07", "\r", "\u202e"]) expect(described.stdout).not.toContain(c);
    fake.unseed("ray.io/v1", "RayCluster", "recsys", "evil");
  });

  test("the cost counts only ready workers, and is - where the platform publishes no prices (mode existing)", async () => {
    await myExperiment();
    const pod = fake.get("v1", "Pod", "ray-playground", "my-experiment-group1-worker-0")!;
    fake.setStatus("v1", "Pod", "ray-playground", pod.metadata.name, {
      ...pod.status,
      conditions: [{ type: "Ready", status: "False" }],
    });
    expect((await rayctl("describe cluster my-experiment -n ray-playground")).stdout).toContain(
      `Cost now:         ${usd(onDemandHourly("machines", "n2-standard-16"), true)}/h (running head`,
    );
    fake.setStatus("v1", "Pod", "ray-playground", pod.metadata.name, pod.status);

    const cm = fake.get("v1", "ConfigMap", "kuberay-system", "ray-platform-facts")!;
    const facts = JSON.parse(cm.data["facts.json"]);
    expect(facts.pools.find((p: Obj) => p.name === "t4").nodeHourly).toBe(
      onDemandHourly("machines", "n1-standard-16") + onDemandHourly("gpus", "t4"),
    );
    // What platformFacts publishes in mode existing: no machine types, no prices.
    const existing = {
      ...facts,
      mode: "existing",
      pools: facts.pools.map(({ nodeHourly: _, ...p }: Obj) => p),
    };
    fake.seed({ ...cm, data: { "facts.json": JSON.stringify(existing) } });
    try {
      const get = await rayctl("get cluster -n ray-playground");
      expect(
        get.stdout
          .split("\n")
          .find((l) => l.startsWith("my-experiment "))
          ?.replace(/\s+/g, " "),
      ).toMatch(/ 1 t4 - \d+s rayctl$/);
      expect((await rayctl("describe cluster my-experiment -n ray-playground")).stdout).toContain(
        "Workers:          1 ready of 1\nCost now:         -\n",
      );
    } finally {
      fake.seed(cm);
    }
  });

  test("scale sets a fixed group's size, checked against the GPU quota", async () => {
    await myExperiment();
    const r = await rayctl(
      "scale cluster -n ray-playground my-experiment --worker-group group1 --replicas 3 --wait --timeout 30s",
    );
    expect(r.code, r.stderr).toBe(0);
    // --wait: until the new workers are ready (the fake's KubeRay makes them).
    expect(r.stderr).toMatch(
      /^Scaled worker group group1 of ray-playground\/my-experiment to 3 workers\n[\s\S]*is ready/,
    );
    expect(
      fake.get("ray.io/v1", "RayCluster", "ray-playground", "my-experiment")!.status.readyWorkerReplicas,
    ).toBe(3);
    const g = fake.get("ray.io/v1", "RayCluster", "ray-playground", "my-experiment")!.spec
      .workerGroupSpecs[0];
    expect([g.replicas, g.minReplicas, g.maxReplicas]).toEqual([3, 3, 3]);
    expect(
      (
        await rayctl(
          "scale cluster -n ray-playground my-experiment --worker-group group1 --replicas 3 --timeout 30s",
        )
      ).stderr,
    ).toContain("--timeout: applies with --wait");

    quotaUsed("ray-playground", "gpu-t4", { "requests.nvidia.com/gpu": "3" });
    const refused = await rayctl(
      "scale cluster -n ray-playground my-experiment --worker-group group1 --replicas 5",
    );
    expect(refused.code).toBe(2);
    expect(refused.stderr).toBe(
      "rayctl: ray-playground's quota cannot hold 2 more workers of group group1:\nrayctl:   t4 GPUs: needs 2, 1 of 4 free (quota.gpus.t4)\nrayctl: Ask for fewer --replicas, or have the team's owners raise quota.gpus.t4 in ray-playground.yaml.\n",
    );
    expect(
      fake.get("ray.io/v1", "RayCluster", "ray-playground", "my-experiment")!.spec.workerGroupSpecs[0]
        .replicas,
    ).toBe(3);
    quotaUsed("ray-playground", "gpu-t4", {});
  });

  test("bounds on a cluster made without autoscaling are refused: they would scale nothing, and Kueue allows autoscaling only from creation (issue 24)", async () => {
    await myExperiment();
    const before = structuredClone(
      fake.get("ray.io/v1", "RayCluster", "ray-playground", "my-experiment")!.spec,
    );
    expect(before.enableInTreeAutoscaling ?? false).toBe(false);
    const r = await rayctl(
      "scale cluster -n ray-playground my-experiment --worker-group group1 --min-workers 1 --max-workers 3",
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("was created without autoscaling");
    expect(r.stderr).toContain("--replicas N");
    expect(fake.get("ray.io/v1", "RayCluster", "ray-playground", "my-experiment")!.spec).toEqual(before);
    // Equal bounds are a size: the same as --replicas.
    const same = await rayctl(
      `scale cluster -n ray-playground my-experiment --worker-group group1 --min-workers ${before.workerGroupSpecs[0].replicas} --max-workers ${before.workerGroupSpecs[0].replicas}`,
    );
    expect(same.stderr).toBe(
      `Scaled worker group group1 of ray-playground/my-experiment to ${before.workerGroupSpecs[0].replicas} workers\n`,
    );
  });

  test("wait right after a scale waits for KubeRay to reconcile the new size, not the status from before it", async () => {
    await myExperiment();
    const cluster = await getCluster("my-experiment", "ray-playground", { kubeconfig });
    const before = cluster.numWorkers;
    await cluster.scaleWorkerGroup("group1", before - 1);
    // The fake, like KubeRay, reconciles a changed spec a moment later (test/fakeKube.ts resyncKubeRay).
    await cluster.awaitReady({ timeoutSeconds: 30, pollMs: 5 });
    expect(cluster.numWorkers).toBe(before - 1);
    const rc = fake.get("ray.io/v1", "RayCluster", "ray-playground", "my-experiment")!;
    expect(rc.status.observedGeneration).toBe(rc.metadata.generation);
    await cluster.scaleWorkerGroup("group1", before);
    await cluster.awaitReady({ timeoutSeconds: 30, pollMs: 5 });
    expect(cluster.numWorkers).toBe(before);
  });

  test("scale and delete refuse a cluster from a team file, naming the file", async () => {
    const scale = await rayctl(
      "scale cluster -n ray-playground my-cluster --worker-group worker --replicas 2",
    );
    expect(scale.code).toBe(2);
    expect(scale.stderr).toContain("ray-playground/my-cluster comes from the team file ray-playground.yaml");
    expect(scale.stderr).toContain("edit ray-playground.yaml (rayClusters) in a pull request");
    const del = await rayctl("delete cluster -n ray-playground my-cluster");
    expect(del.code).toBe(2);
    expect(fake.get("ray.io/v1", "RayCluster", "ray-playground", "my-cluster")).toBeDefined();
  });

  test("a Secret left by a deleted cluster of that name: refused, saying why, and no half-made cluster stays", async () => {
    // Kubernetes' garbage collector removes a deleted cluster's owned objects in the background.
    fake.seed({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "leftover-token", namespace: "ray-playground" },
      type: "Opaque",
      data: {},
    });
    const r = await rayctl("create cluster leftover -n ray-playground");
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      "rayctl: Secret ray-playground/leftover-token already exists (left by a cluster of that name that is being deleted, or made by hand); wait a few seconds and try again, or pick another name.\n",
    );
    expect(fake.get("ray.io/v1", "RayCluster", "ray-playground", "leftover")).toBeUndefined();
  });

  test("a scale that races another change of the worker groups is refused, to be run again", async () => {
    await myExperiment();
    const cluster = await getCluster("my-experiment", "ray-playground", { kubeconfig });
    // Another client renames the group between the read and the patch, through the API.
    const rename = (name: string) =>
      cluster.platform.api.request("PATCH", paths.rayCluster("ray-playground", "my-experiment"), {
        body: [{ op: "replace", path: "/spec/workerGroupSpecs/0/groupName", value: name }],
        contentType: "application/json-patch+json",
      });
    await rename("renamed");
    await expect(cluster.scaleWorkerGroup("group1", 2)).rejects.toThrow(
      "ray-playground/my-experiment's worker groups changed while scaling; run the command again.",
    );
    expect(
      fake.get("ray.io/v1", "RayCluster", "ray-playground", "my-experiment")!.spec.workerGroupSpecs[0]
        .replicas,
    ).not.toBe(2);
    await rename("group1");
  });

  test("a taken name is refused", async () => {
    await myExperiment();
    const r = await rayctl("create cluster my-experiment -n ray-playground");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /ray-playground\/my-experiment already exists \(created .* with rayctl\); pick another name or delete it first/,
    );
  });

  test("delete removes the cluster, and Kubernetes its token, tutorials ConfigMap and tools Service; rayctl its kept token", async () => {
    await myExperiment();
    const kept = path.join(tokenDir, "ray-playground");
    expect(fs.readdirSync(kept).filter((f) => f.startsWith("my-experiment."))).toHaveLength(1);
    expect(fs.statSync(kept).mode & 0o777).toBe(0o700);
    const r = await rayctl("delete cluster my-experiment -n ray-playground");
    expect(fs.readdirSync(kept).filter((f) => f.startsWith("my-experiment."))).toEqual([]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe("Deleted cluster my-experiment in namespace ray-playground\n");
    expect(fake.get("ray.io/v1", "RayCluster", "ray-playground", "my-experiment")).toBeUndefined();
    expect(fake.get("v1", "ConfigMap", "ray-playground", "my-experiment-tutorials")).toBeUndefined();
    expect(fake.get("v1", "Service", "ray-playground", "my-experiment-tools")).toBeUndefined();
    expect(fake.get("v1", "Secret", "ray-playground", "my-experiment-token")).toBeUndefined();
  });
});

describe("quota", () => {
  test("create is refused with what is left, what it needs and what to change", async () => {
    // The ResourceQuota is the ceiling (Kueue's nominal quota plus what the team may borrow); leave 2 free.
    const hard = Number(
      fake.get("v1", "ResourceQuota", "recsys", "gpu-t4")!.spec.hard["requests.nvidia.com/gpu"],
    );
    quotaUsed("recsys", "gpu-t4", { "requests.nvidia.com/gpu": String(hard - 2) });
    const r = await rayctl(
      "create cluster big -n recsys --gpus-per-worker 1 --min-workers 0 --max-workers 4",
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `rayctl: recsys's quota cannot hold this cluster at its maximum:\nrayctl:   t4 GPUs: needs 4, 2 of ${hard} free (quota.gpus.t4)\nrayctl: Ask for less with --max-workers or --gpus-per-worker, or have the team's owners raise quota.gpus.t4 in recsys.yaml.\n`,
    );
    expect(fake.get("ray.io/v1", "RayCluster", "recsys", "big")).toBeUndefined();
    const fits = await rayctl(
      "create cluster big -n recsys --gpus-per-worker 1 --min-workers 0 --max-workers 2 -o json",
    );
    expect(fits.code).toBe(0);
    expect(JSON.parse(fits.stdout).spec.workerGroupSpecs[0]).toMatchObject({
      minReplicas: 0,
      maxReplicas: 2,
    });
    expect(JSON.parse(fits.stdout).spec.enableInTreeAutoscaling).toBe(true);
    quotaUsed("recsys", "gpu-t4", {});
  });

  test("several shortfalls make one message: a line each, the flags the user passed, per-type GPU fields, readable memory (issue 24)", async () => {
    const r = await rayctl("create cluster huge -n recsys --gpus-per-worker 1 --workers 40");
    expect(r.code).toBe(2);
    const lines = r.stderr.trimEnd().split("\n");
    expect(lines[0]).toBe("rayctl: recsys's quota cannot hold this cluster at its maximum:");
    // The namespace-wide GPU total is the per-type quotas' sum: said once, by type.
    expect(lines.filter((l) => l.includes("GPUs:"))).toEqual([
      expect.stringMatching(/^rayctl: {3}t4 GPUs: needs 40, \d+ of \d+ free \(quota\.gpus\.t4\)$/),
    ]);
    expect(lines.find((l) => l.includes("memory:"))).toMatch(
      /needs \d+(\.\d+)?Gi, \d+(\.\d+)?Gi of \d+(\.\d+)?Gi free \(quota\.memory\)$/,
    );
    expect(lines.at(-1)).toBe(
      "rayctl: Ask for less with --workers or --gpus-per-worker, or have the team's owners raise quota.gpus.t4, quota.cpu and quota.memory in recsys.yaml.",
    );
    expect(lines.filter((l) => l.includes("Ask for"))).toHaveLength(1);
    expect(fake.get("ray.io/v1", "RayCluster", "recsys", "huge")).toBeUndefined();
  });
});

describe("waiting", () => {
  test("--wait reports progress on stderr and returns once KubeRay reports the cluster ready", async () => {
    const r = await rayctl("create cluster waited -n recsys --gpus-per-worker 1 --wait");
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("recsys/waited is ready: head 10.16.0.12, 1 workers\n");
  });

  test("on timeout it says what it still waited for and why, and exits 3", async () => {
    fake.kuberay = "stuck";
    try {
      const r = await rayctl("create cluster stuck -n recsys --gpus-per-worker 1 --wait --timeout 1s");
      expect(r.code).toBe(3);
      expect(r.stderr).toContain(
        "rayctl: recsys/stuck was not ready after 1s: the head is not ready; 0 of 1 workers are ready.",
      );
      expect(r.stderr).toContain(
        "worker stuck-group1-worker-x7k2p: no node fits it yet (FailedScheduling: 0/4 nodes are available: 4 Insufficient nvidia.com/gpu.",
      );
      expect(r.stderr).toContain(
        "the cluster autoscaler cannot add a node for it (NotTriggerScaleUp: pod didn't trigger scale-up: 1 max node group size reached)",
      );
      expect(r.stderr).toContain(
        'cluster: a worker pod could not be created (FailedToCreateWorkerPod: Failed to create worker Pod for the cluster recsys/stuck, pods "stuck-group1-worker-q9z8d" is forbidden: exceeded quota: gpu-t4',
      );
      expect(r.stderr).toContain("rayctl wait cluster stuck -n recsys");
    } finally {
      fake.kuberay = "auto";
    }
  });
});

describe("output and dry runs", () => {
  test("-o yaml on get and describe, -o json on get -A", async () => {
    const y = loadYaml((await rayctl("get cluster two-tower -n recsys -o yaml")).stdout) as Obj;
    expect(y.kind).toBe("RayCluster");
    const d = loadYaml((await rayctl("describe cluster two-tower -n recsys -o yaml")).stdout) as Obj;
    expect(d.owner).toEqual({ kind: "team-file", file: "recsys.yaml" });
    expect(d.workerGroups.map((g: Obj) => g.name)).toEqual(["t4", "preprocess"]);
  });

  test("--dry-run prints the RayCluster, tutorials ConfigMap and Service, and creates nothing", async () => {
    const calls = fake.calls.length;
    const r = await rayctl("create cluster preview -n ray-playground --with-tutorials --dry-run -o yaml");
    expect(r.code).toBe(0);
    const list = loadYaml(r.stdout) as Obj;
    expect(list.items.map((o: Obj) => `${o.kind}/${o.metadata.name}`)).toEqual([
      "RayCluster/preview",
      "Secret/preview-token",
      "ConfigMap/preview-tutorials",
      "Service/preview-tools",
      "NetworkPolicy/preview-own-pods",
    ]);
    // A client-side dry run prints no real token.
    expect(list.items[1].stringData).toEqual({ auth_token: "generated-when-the-cluster-is-created" });
    expect(fake.calls.slice(calls).filter((c) => c.verb !== "get")).toEqual([]);
  });

  test("--dry-run=server has the API server check it and stores nothing", async () => {
    const r = await rayctl("create cluster preview -n ray-playground --dry-run=server -o json");
    expect(r.code).toBe(0);
    const items = JSON.parse(r.stdout).items;
    expect(items.map((o: Obj) => `${o.kind}/${o.metadata.name}`)).toEqual([
      "RayCluster/preview",
      "Secret/preview-token",
      "NetworkPolicy/preview-own-pods",
    ]);
    expect(items[0].metadata.uid).toBeDefined();
    expect(fake.get("ray.io/v1", "RayCluster", "ray-playground", "preview")).toBeUndefined();
    expect(fake.get("v1", "Secret", "ray-playground", "preview-token")).toBeUndefined();
  });
});

describe("--file", () => {
  test("a team file's rayClusters entry makes the same cluster as in a team file", async () => {
    const r = await rayctl(
      `create cluster -n recsys -f ${path.join(__dirname, "fixtures/cluster-entry.yaml")}`,
    );
    expect(r.code, r.stderr).toBe(0);
    const rc = fake.get("ray.io/v1", "RayCluster", "recsys", "two-groups")!;
    expect(rc.spec.workerGroupSpecs.map((g: Obj) => g.groupName)).toEqual(["t4", "cpu"]);
  });

  test("a ray.io/v1 RayCluster (KubeRay's sample) is planned by the platform's rules", async () => {
    const r = await rayctl(
      `create cluster -n recsys -f ${path.join(__dirname, "fixtures/raycluster.sample.yaml")}`,
    );
    expect(r.code, r.stderr).toBe(0);
    const rc = fake.get("ray.io/v1", "RayCluster", "recsys", "raycluster-kuberay")!;
    const [small, t4] = rc.spec.workerGroupSpecs;
    // No enableInTreeAutoscaling: KubeRay keeps the group at replicas, so the platform does too (issue 24).
    expect(small).toMatchObject({ groupName: "workergroup", replicas: 1, minReplicas: 1, maxReplicas: 1 });
    expect(rc.spec.enableInTreeAutoscaling ?? false).toBe(false);
    expect(small.template.spec.containers[0].securityContext.runAsNonRoot).toBe(true);
    expect(t4.template.spec.nodeSelector["ray-platform/pool"]).toBe("t4");
    // The platform's image, through its registry, not the file's.
    expect(t4.template.spec.containers[0].image).toBe(
      "us-central1-docker.pkg.dev/my-ml-platform-dev/docker-hub/rayproject/ray:2.52.0-py311-gpu",
    );
  });

  test("a sample keeps its meaning: the user's memory spelling, and bounds autoscale only with enableInTreeAutoscaling (issue 24)", async () => {
    const sample = fs.readFileSync(path.join(__dirname, "fixtures/raycluster.sample.yaml"), "utf8");
    expect(sample).toContain('memory: "1Gi"');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rayctl-file-"));
    const write = (name: string, text: string) => (
      fs.writeFileSync(path.join(dir, name), text),
      path.join(dir, name)
    );
    const fixed = write(
      "fixed.yaml",
      sample
        .replaceAll('memory: "1Gi"', "memory: 2G")
        .replace(
          "replicas: 1\n    minReplicas: 1\n    maxReplicas: 5",
          "replicas: 9\n    minReplicas: 1\n    maxReplicas: 5",
        ),
    );
    const planned = (file: string) =>
      rayctl(`create cluster -n recsys -f ${file} --dry-run -o json`).then(
        (r) => JSON.parse(r.stdout).items[0],
      );
    const rc = await planned(fixed);
    const g = rc.spec.workerGroupSpecs[0];
    // replicas 9 above maxReplicas 5: KubeRay runs 5, and so does the platform's fixed group.
    expect([g.replicas, g.minReplicas, g.maxReplicas]).toEqual([5, 5, 5]);
    expect(g.template.spec.containers[0].resources.requests.memory).toBe("2G");
    const auto = await planned(
      write(
        "auto.yaml",
        sample
          .replace("spec:\n", "spec:\n  enableInTreeAutoscaling: true\n")
          .replace(
            "replicas: 1\n    minReplicas: 1\n    maxReplicas: 5",
            "minReplicas: 1\n    maxReplicas: 5",
          ),
      ),
    );
    expect(auto.spec.enableInTreeAutoscaling).toBe(true);
    expect(auto.spec.workerGroupSpecs[0]).toMatchObject({ minReplicas: 1, maxReplicas: 5 });
  });

  test("a document of another kind is refused by its apiVersion and kind alone, not read as a RayCluster", async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "rayctl-file-")), "rj.yaml");
    fs.writeFileSync(
      file,
      "apiVersion: ray.io/v1alpha1\nkind: RayJob\nmetadata: { name: x }\nspec:\n  entrypoint: python train.py\n",
    );
    const r = await rayctl(`create cluster -n recsys -f ${file}`);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split("\n")).toEqual([
      `rayctl: ${file}:1:13 apiVersion: must be ray.io/v1 (the version of the platform's KubeRay CRDs), not "ray.io/v1alpha1".`,
      `rayctl: ${file}:2:7 kind: must be RayCluster, not "RayJob"; RayJobs and RayServices are not created by rayctl.`,
    ]);
  });
});

describe("bad input is refused with a clear message and creates nothing", () => {
  const fixture = (name: string, text: string) => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "rayctl-file-")), name);
    fs.writeFileSync(file, text);
    return file;
  };
  const cases: [string, () => string, number, string][] = [
    [
      "an unknown flag",
      () => "create cluster x -n recsys --gpus 1",
      1,
      "rayctl: unknown option '--gpus'; see `rayctl create cluster --help`.",
    ],
    [
      "a mistyped flag, with a suggestion (issue 24)",
      () => "create cluster x -n recsys --worker 1",
      1,
      "rayctl: unknown option '--worker' (did you mean --workers?); see `rayctl create cluster --help`.",
    ],
    [
      "an unknown command",
      () => "launch cluster x -n recsys",
      1,
      "rayctl: unknown command 'launch'; use create, get, describe, scale, delete, wait, connect, logs, job; see `rayctl --help`.",
    ],
    [
      "a mistyped command, with a suggestion",
      () => "crate cluster x -n recsys",
      1,
      "rayctl: unknown command 'crate' (did you mean create?); see `rayctl --help`.",
    ],
    [
      "an unknown noun, with the verb's nouns",
      () => "get jobs x -n recsys",
      1,
      "rayctl: unknown command 'jobs'; use cluster, workergroups, nodes; see `rayctl get --help`.",
    ],
    [
      "a noun like one it has",
      () => "get pods x -n recsys",
      1,
      "rayctl: unknown command 'pods' (did you mean one of node, nodes?); see `rayctl get --help`.",
    ],
    [
      "a flag of another command",
      () => "create cluster x -n recsys --replicas 2",
      1,
      "rayctl: unknown option '--replicas'; see `rayctl create cluster --help`.",
    ],
    [
      "a job command without its job's name",
      () => "job describe -n recsys",
      1,
      "rayctl: missing required argument 'name'; see `rayctl job describe --help`.",
    ],
    [
      "a negative count gets rayctl's message, not the parser's (issue 24)",
      () => "create cluster x -n recsys --workers -1",
      1,
      '--workers: expected a whole number, got "-1"',
    ],
    [
      "a name Kubernetes refuses",
      () => "create cluster My_Cluster -n recsys",
      1,
      '<name>: "My_Cluster" is not a valid name',
    ],
    [
      "a GPU count that is not a number",
      () => "create cluster x -n recsys --gpus-per-worker one",
      1,
      '--gpus-per-worker: expected a whole number, got "one"',
    ],
    [
      "a GPU type not offered",
      () => "create cluster x -n recsys --gpus-per-worker 1 --worker-gpu-type h100",
      1,
      '--worker-gpu-type: "h100" is not offered by this stack (offered: a100, t4); pick a100, or ask the platform team for an h100 pool.',
    ],
    [
      "more GPUs than a node has",
      () => "create cluster x -n recsys --gpus-per-worker 2",
      1,
      '--gpus-per-worker: 2 t4 GPUs do not fit one node of pool "t4", which has 1',
    ],
    [
      "a memory quantity in GB",
      () => "create cluster x -n recsys --memory-in-head 10GB",
      1,
      '--memory-in-head: "10GB" is not a valid memory quantity; write 10Gi',
    ],
    [
      "more CPUs than a node has",
      () => "create cluster x -n recsys --cpus-per-worker 64",
      1,
      '--cpus-per-worker: the worker pod needs 64.25 CPUs (with its sidecars) but one node of pool "cpu-worker" gives at most 15 CPUs; ask for less or use a pool with bigger nodes.',
    ],
    [
      "min above max",
      () => "create cluster x -n recsys --min-workers 3 --max-workers 1",
      1,
      "--min-workers: 'minReplicas' (3) must be less than or equal to 'maxReplicas' (1)",
    ],
    [
      "a Ray version without images",
      () => "create cluster x -n recsys --ray-version 2.99.0",
      1,
      "--ray-version: Ray 2.99.0 has no image the platform knows",
    ],
    [
      "a bad output format",
      () => "get cluster -n recsys -o tall",
      1,
      '--output: "tall" is not a format of `rayctl get cluster`; use wide, name, json, yaml',
    ],
    [
      "-o name where it means nothing",
      () => "describe cluster x -n recsys -o name",
      1,
      '--output: "name" is not a format of `rayctl describe cluster`; use json, yaml',
    ],
    [
      "a bad --dry-run",
      () => "create cluster x -n recsys --dry-run=maybe",
      1,
      '--dry-run: "maybe" is not client or server',
    ],
    [
      "a file that does not parse",
      () => `create cluster -n recsys -f ${fixture("broken.yaml", "name: x\nworkerGroups: [\n")}`,
      1,
      "broken.yaml:3:1: ",
    ],
    [
      "an unknown key in a file, with its line",
      () => `create cluster -n recsys -f ${fixture("typo.yaml", "name: x\nworkerGroup:\n  - name: a\n")}`,
      1,
      'typo.yaml:2:1 workerGroup: unknown key "workerGroup"; did you mean "workerGroups"?',
    ],
    [
      "a RayCluster that sets what the platform sets",
      () =>
        `create cluster -n recsys -f ${fixture("rc.yaml", "apiVersion: ray.io/v1\nkind: RayCluster\nmetadata: { name: x }\nspec:\n  headGroupSpec:\n    template:\n      spec:\n        hostNetwork: true\n        containers: [{ name: ray-head, image: rayproject/ray:2.52.0 }]\n")}`,
      1,
      "rc.yaml:8:9 spec.headGroupSpec.template.spec.hostNetwork: is set by the platform",
    ],
    [
      "a RayCluster the CRD schema refuses",
      () =>
        `create cluster -n recsys -f ${fixture("rc-schema.yaml", fs.readFileSync(path.join(__dirname, "fixtures/raycluster.sample.yaml"), "utf8").replace("  - replicas: 1\n    minReplicas: 1\n    maxReplicas: 5", "  - replicas: two\n    minReplicas: 1\n    maxReplicas: 5"))}`,
      1,
      "rc-schema.yaml:27:15 spec.workerGroupSpecs[0].replicas: must be integer, says KubeRay 1.7.0's RayCluster CRD; fix the value.",
    ],
    [
      "a RayJob given as a RayCluster",
      () =>
        `create cluster -n recsys -f ${fixture("rj.yaml", "apiVersion: ray.io/v1\nkind: RayJob\nmetadata: { name: x }\nspec:\n  entrypoint: python train.py\n")}`,
      1,
      'rj.yaml:2:7 kind: must be RayCluster, not "RayJob"; RayJobs and RayServices are not created by rayctl.',
    ],
    [
      "--file naming another cluster than the command line",
      () => `create cluster other -n recsys -f ${path.join(__dirname, "fixtures/cluster-entry.yaml")}`,
      1,
      'cluster-entry.yaml:2:7 name: names the cluster "two-groups" but the command line says "other"',
    ],
    [
      "--file with flags",
      () =>
        `create cluster -n recsys -f ${path.join(__dirname, "fixtures/cluster-entry.yaml")} --cpus-in-head 2`,
      1,
      "--file: cannot be combined with --cpus-in-head",
    ],
    [
      "a namespace that is no team's",
      () => "create cluster x -n default",
      2,
      "you may not use namespace default: it is not a team namespace, or you are not a member of its team.",
    ],
    [
      "a user in no team",
      () => "create cluster x -n recsys --context bob",
      2,
      "you may not read the platform's facts",
    ],
  ];
  test.each(cases)("%s", async (_what, line, code, message) => {
    const before = rayClusters().length;
    const writes = fake.calls.length;
    const r = await rayctl(line());
    expect(r.stderr).toContain(message);
    expect(r.code).toBe(code);
    expect(r.stdout).toBe("");
    expect(rayClusters().length).toBe(before);
    expect(fake.calls.slice(writes).filter((c) => c.verb !== "get" && c.verb !== "list")).toEqual([]);
  });
});

describe("the CLI's cluster is the program's", () => {
  test("--gpus-per-worker 1 gives the same RayCluster spec as the equivalent team-file entry", async () => {
    const entry = [
      "  - name: my-experiment",
      "    notebook: true",
      "    vscode: true",
      "    tutorials: true",
      "    workerGroups:",
      "      - name: group1",
      "        gpu: { type: t4, count: 1 }",
    ].join("\n");
    const playground = fs
      .readFileSync(path.join(PROJECT_DIR, "teams/ray-playground.yaml"), "utf8")
      .replace("rayClusters:\n", `rayClusters:\n${entry}\n`);
    const program = await runProgram({
      config: { "ray-platform:teamsDir": teamsDir({ "ray-playground.yaml": playground }) },
    });
    const fromTeamFile = ofType(program.resources, "kubernetes:ray.io/v1:RayCluster")
      .map((r) => r.inputs as Obj)
      .find((o) => o.metadata.name === "my-experiment")!;
    expect(fromTeamFile).toBeDefined();

    const r = await rayctl(
      "create cluster my-experiment -n ray-playground --with-tutorials --vscode-server --gpus-per-worker 1 --dry-run -o json",
    );
    expect(r.code).toBe(0);
    const fromCli = JSON.parse(r.stdout).items[0];
    expect(fromCli.spec).toEqual(fromTeamFile.spec);
    expect(fromCli.metadata.labels).toEqual({
      ...fromTeamFile.metadata.labels,
      "app.kubernetes.io/managed-by": "rayctl",
    });
  });
});

test("--help and --version exit 0 without a kubeconfig", async () => {
  const help = await run(["--help"], {
    stdout: { write: () => true },
    stderr: { write: () => true },
    env: {},
  });
  const version = await run(["--version"], {
    stdout: { write: () => true },
    stderr: { write: () => true },
    env: {},
  });
  expect([help, version]).toEqual([0, 0]);
});

test("a fake seeded from the program holds its objects", () => {
  // The suite above is only as good as its seed: the program's facts, quotas and bindings.
  expect(fake.get("v1", "ConfigMap", "kuberay-system", "ray-platform-facts")).toBeDefined();
  expect(fake.get("v1", "ConfigMap", "recsys", "ray-platform-team")).toBeDefined();
  expect(
    fake.get("rbac.authorization.k8s.io/v1", "RoleBinding", "kuberay-system", "team-recsys")!.subjects,
  ).toContainEqual({ kind: "User", name: "alice@example.com", apiGroup: "rbac.authorization.k8s.io" });
  expect(
    fake
      .list("v1", "ResourceQuota", "recsys")
      .map((q) => q.metadata.name)
      .sort(),
  ).toEqual(["gpu-a100", "gpu-t4", "team-quota"]);
});

describe("RBAC: the program's Roles allow every API call each command makes", () => {
  const rolesOf = (kind: string) =>
    ofType(resources, `kubernetes:rbac.authorization.k8s.io/v1:${kind}`).map((r) => r.inputs as Obj);
  /** The rules bound to alice in a namespace by the program's RoleBindings. */
  const rulesFor = (ns: string) =>
    rolesOf("RoleBinding")
      .filter(
        (b) => b.metadata.namespace === ns && b.subjects.some((s: Obj) => s.name === "alice@example.com"),
      )
      .flatMap((b) =>
        (b.roleRef.kind === "ClusterRole"
          ? rolesOf("ClusterRole")
          : rolesOf("Role").filter((r) => r.metadata.namespace === ns)
        ).filter((r) => r.metadata.name === b.roleRef.name),
      )
      .flatMap((r) => r.rules);
  const show = (c: {
    verb: string;
    resource: string;
    subresource?: string;
    namespace?: string;
    name?: string;
  }) =>
    `${c.verb} ${c.resource}${c.subresource ? `/${c.subresource}` : ""} ${c.namespace ?? "*"}/${c.name ?? "*"}`;

  /** The cluster the commands below work on, made first (its calls are not counted). */
  const rbacCluster = async () =>
    expect(
      (await rayctl("create cluster rbac -n ray-playground --with-tutorials --vscode-server")).code,
    ).toBe(0);
  const jobDir = () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rayctl-rbac-job-"));
    fs.writeFileSync(path.join(dir, "main.py"), "print(1)\n");
    return dir;
  };
  const rbacJob = async () =>
    expect(
      (
        await rayctl(
          `job submit -n ray-playground --name rbac-job --workers 0 --working-dir ${jobDir()} -- python main.py`,
        )
      ).code,
    ).toBe(0);

  // Each command with the calls it makes (as "verb resource namespace/name"), in the order of a run, and what it needs first.
  const commands: [string, string[], (() => Promise<void> | void)?][] = [
    [
      "create cluster rbac -n ray-playground --with-tutorials --vscode-server",
      [
        "get configmaps kuberay-system/ray-platform-facts",
        "get configmaps ray-playground/ray-platform-team",
        "get configmaps kuberay-system/ray-platform-tutorials",
        "get rayclusters ray-playground/rbac",
        "list resourcequotas ray-playground/*",
        "create rayclusters ray-playground/*",
        "create secrets ray-playground/*",
        "create configmaps ray-playground/*",
        "create services ray-playground/*",
        "create networkpolicies ray-playground/*",
      ],
    ],
    [
      "wait cluster rbac -n ray-playground",
      [
        "get rayclusters ray-playground/rbac",
        "get configmaps ray-playground/ray-platform-team",
        "get rayclusters ray-playground/rbac",
      ],
      rbacCluster,
    ],
    [
      "get cluster -n ray-playground",
      [
        "list rayclusters ray-playground/*",
        "get configmaps ray-playground/ray-platform-team",
        "get configmaps kuberay-system/ray-platform-facts",
        "list pods ray-playground/*",
      ],
      rbacCluster,
    ],
    [
      "describe cluster rbac -n ray-playground",
      [
        "get rayclusters ray-playground/rbac",
        "get configmaps ray-playground/ray-platform-team",
        "get configmaps kuberay-system/ray-platform-facts",
        "list pods ray-playground/*",
        "list workloads ray-playground/*",
      ],
      rbacCluster,
    ],
    // Queued: its position from the visibility API.
    [
      "describe cluster waiting -n recsys",
      [
        "get rayclusters recsys/waiting",
        "get configmaps recsys/ray-platform-team",
        "get configmaps kuberay-system/ray-platform-facts",
        "list pods recsys/*",
        "list workloads recsys/*",
        "get localqueues/pendingworkloads recsys/default",
      ],
      seedQueued,
    ],
    [
      "get nodes rbac -n ray-playground",
      [
        "get rayclusters ray-playground/rbac",
        "get configmaps ray-playground/ray-platform-team",
        "list pods ray-playground/*",
      ],
      rbacCluster,
    ],
    [
      "get workergroups rbac -n ray-playground",
      [
        "get rayclusters ray-playground/rbac",
        "get configmaps ray-playground/ray-platform-team",
        "list pods ray-playground/*",
      ],
      rbacCluster,
    ],
    [
      "logs rbac -n ray-playground",
      [
        "get rayclusters ray-playground/rbac",
        "get configmaps ray-playground/ray-platform-team",
        "list pods ray-playground/*",
        "get pods/log ray-playground/%head",
      ],
      rbacCluster,
    ],
    [
      "job submit -n ray-playground --name rbac-job --workers 0 --working-dir %dir -- python main.py",
      [
        "get configmaps kuberay-system/ray-platform-facts",
        "get configmaps ray-playground/ray-platform-team",
        "list resourcequotas ray-playground/*",
        "create rayjobs ray-playground/*",
        "create secrets ray-playground/*",
        "create configmaps ray-playground/*",
      ],
    ],
    ["job list -n ray-playground", ["list rayjobs ray-playground/*"], rbacJob],
    [
      "job logs rbac-job -n ray-playground",
      [
        "get rayjobs ray-playground/rbac-job",
        "list pods ray-playground/*",
        "get pods/log ray-playground/%submitter",
      ],
      rbacJob,
    ],
    [
      "job delete rbac-job -n ray-playground",
      ["get rayjobs ray-playground/rbac-job", "delete rayjobs ray-playground/rbac-job"],
      rbacJob,
    ],
    [
      "scale cluster rbac -n ray-playground --worker-group group1 --replicas 2",
      [
        "get rayclusters ray-playground/rbac",
        "get configmaps ray-playground/ray-platform-team",
        "get configmaps kuberay-system/ray-platform-facts",
        "list resourcequotas ray-playground/*",
        "patch rayclusters ray-playground/rbac",
      ],
      rbacCluster,
    ],
    [
      "delete cluster rbac -n ray-playground",
      [
        "get rayclusters ray-playground/rbac",
        "get configmaps ray-playground/ray-platform-team",
        "delete rayclusters ray-playground/rbac",
      ],
      rbacCluster,
    ],
  ];
  test.each(commands)("%s", async (line, expected, setup) => {
    await setup?.();
    // Names known only once made: the head pod, the job's submitter pod.
    const pod = (cluster: string, type: string) =>
      fake
        .list("v1", "Pod", "ray-playground")
        .find(
          (p) =>
            p.metadata.labels?.["ray.io/cluster"] === cluster &&
            p.metadata.labels?.["ray.io/node-type"] === type,
        )?.metadata.name;
    const submitter = fake
      .list("v1", "Pod", "ray-playground")
      .find((p) => p.metadata.labels?.["batch.kubernetes.io/job-name"] === "rbac-job")?.metadata.name;
    const named = (c: string) =>
      c.replace("%head", pod("rbac", "head") ?? "?").replace("%submitter", submitter ?? "?");
    const from = fake.calls.length;
    const r = await rayctl(line.replace("%dir", jobDir()));
    expect(r.code, r.stderr).toBe(0);
    const calls = fake.calls.slice(from);
    expect(calls.map(show).sort()).toEqual(expected.map(named).sort());
    for (const c of calls) {
      expect(c.user).toBe("alice@example.com");
      expect(rulesAllow(rulesFor(c.namespace!), c), show(c)).toBe(true);
    }
  });

  test("the facts reader Role reads the two shared ConfigMaps by name and nothing else", () => {
    const role = rolesOf("Role").find((r) => r.metadata.name === "ray-platform:facts-reader")!;
    expect(role.rules).toEqual([
      {
        apiGroups: [""],
        resources: ["configmaps"],
        resourceNames: ["ray-platform-facts", "ray-platform-tutorials"],
        verbs: ["get"],
      },
    ]);
    expect(
      rulesAllow(role.rules, {
        verb: "get",
        apiGroup: "",
        resource: "configmaps",
        name: "kuberay-operator-config",
      }),
    ).toBe(false);
    // Bound to each team's members, never to system:authenticated.
    const bindings = rolesOf("RoleBinding").filter((b) => b.roleRef.name === "ray-platform:facts-reader");
    expect(bindings.map((b) => b.metadata.name).sort()).toEqual([
      "team-ray-playground",
      "team-recsys",
      "team-tech-research",
    ]);
    expect(
      bindings
        .flatMap((b) => b.subjects)
        .some((s: Obj) => s.kind === "Group" && s.name.startsWith("system:")),
    ).toBe(false);
  });
});

/** Resolves once `check` holds, looking every 10 ms (for a background command's effects). */
async function until(check: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test("connect port-forwards the head pod's ports with kubectl, prints URLs with the token, and forwards again on the same ports when kubectl drops (issue 24)", async () => {
  expect((await rayctl("create cluster reach -n ray-playground --notebook --wait")).code).toBe(0);
  // A stand-in for kubectl that prints what `kubectl port-forward` prints and records its arguments:
  // its first run loses the pod as kubectl does, the second forwards until stopped.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rayctl-kubectl-"));
  const stub = path.join(dir, "kubectl");
  fs.writeFileSync(
    stub,
    `#!/bin/sh\nn=$(ls ${dir} | grep -c args)\necho "$@" > ${dir}/args$n\np=40000\nfor r in 10001 8265 8081; do p=$((p+1)); echo "Forwarding from 127.0.0.1:$p -> $r"; echo "Forwarding from [::1]:$p -> $r"; done\n` +
      `if [ "$n" = 0 ]; then echo "E1205 lost connection to pod" >&2; exit 1; fi\nexec sleep 30\n`,
    { mode: 0o755 },
  );
  const stop = new AbortController();
  let stderr = "";
  const running = rayctl("connect reach -n ray-playground", {
    env: { RAYCTL_KUBECTL: stub },
    signal: stop.signal,
    onStderr: (text) => (stderr += text),
  });
  // Stopped once rayctl has read the second kubectl's ports, not merely started it.
  await until(() => stderr.includes("Forwarding again"), "the second port-forward");
  stop.abort();
  const r = await running;
  expect(r.code, r.stderr).toBe(0);
  const uid = fake.get("ray.io/v1", "RayCluster", "ray-playground", "reach")!.metadata.uid;
  const token = fs.readFileSync(path.join(tokenDir, "ray-playground", `reach.${uid}`), "utf8");
  expect(r.stdout).toBe(
    `Ray client:       ray://127.0.0.1:40001\nDashboard:        http://127.0.0.1:40002\nNotebook server:  http://127.0.0.1:40003/?token=${token}\nPress Ctrl-C to stop forwarding.\n`,
  );
  expect(r.stderr).toContain(
    "rayctl: the port-forward dropped (E1205 lost connection to pod); forwarding again in 1s.",
  );
  expect(r.stderr).toContain("the URLs above still work");
  const head = fake
    .list("v1", "Pod", "ray-playground")
    .find(
      (p) =>
        p.metadata.labels["ray.io/cluster"] === "reach" && p.metadata.labels["ray.io/node-type"] === "head",
    )!;
  expect(fs.readFileSync(path.join(dir, "args0"), "utf8").trim()).toBe(
    `port-forward -n ray-playground pod/${head.metadata.name} :10001 :8265 :8081`,
  );
  // Again on the ports it had: the printed URLs keep working.
  expect(fs.readFileSync(path.join(dir, "args1"), "utf8").trim()).toBe(
    `port-forward -n ray-playground pod/${head.metadata.name} 40001:10001 40002:8265 40003:8081`,
  );
});

describe("a cluster's Ray nodes, worker groups and logs (issue 24)", () => {
  const NS = "ray-playground";
  beforeEach(async () => {
    expect(
      (await rayctl(`create cluster inspect -n ${NS} --gpus-per-worker 1 --workers 2 --wait`)).code,
    ).toBe(0);
  });
  const pods = () =>
    fake.list("v1", "Pod", NS).filter((p) => p.metadata.labels["ray.io/cluster"] === "inspect");

  test("get nodes: one line per pod, head first, with its group, Kubernetes node, GPUs and state; -o wide adds the IP, -o name the pods", async () => {
    const r = await rayctl(`get nodes inspect -n ${NS}`);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout
      .trimEnd()
      .split("\n")
      .map((l) => l.split(/\s{3,}/));
    expect(lines[0]).toEqual(["NAME", "GROUP", "NODE", "GPUS", "STATE", "RESTARTS", "AGE"]);
    expect(lines.slice(1).map((l) => [l[1], l[3], l[4]])).toEqual([
      ["head", "-", "Running"],
      ["group1", "1 t4", "Running"],
      ["group1", "1 t4", "Running"],
    ]);
    expect(lines[2]?.[2]).toMatch(/^gke-ray-dev-t4-\d{4}$/);
    const wide = await rayctl(`get nodes inspect -n ${NS} -o wide`);
    expect(wide.stdout.split("\n")[0]).toMatch(/\sIP$/);
    const names = await rayctl(`get nodes inspect -n ${NS} -o name --worker-group group1`);
    expect(names.stdout.trimEnd().split("\n").sort()).toEqual(
      pods()
        .filter((p) => p.metadata.labels["ray.io/node-type"] === "worker")
        .map((p) => `pod/${p.metadata.name}`)
        .sort(),
    );
    const json = JSON.parse((await rayctl(`get nodes inspect -n ${NS} -o json`)).stdout);
    expect(json[1]).toMatchObject({
      type: "worker",
      group: "group1",
      gpus: 1,
      gpuType: "t4",
      ready: true,
      restarts: 0,
    });
  });

  test("get nodes says why a node waits: a container's waiting reason, Terminating", async () => {
    const worker = defined(
      pods().filter((p) => p.metadata.labels["ray.io/node-type"] === "worker")[1],
      "a second worker pod",
    );
    const saved = structuredClone(worker);
    fake.seed({
      ...worker,
      status: {
        ...worker.status,
        conditions: [],
        containerStatuses: [
          { name: "ray-worker", restartCount: 3, state: { waiting: { reason: "CrashLoopBackOff" } } },
        ],
      },
    });
    try {
      const row = (await rayctl(`get nodes inspect -n ${NS}`)).stdout
        .split("\n")
        .find((l) => l.startsWith(worker.metadata.name))!;
      expect(row.split(/\s{3,}/).slice(4, 6)).toEqual(["CrashLoopBackOff", "3"]);
    } finally {
      fake.seed(saved);
    }
  });

  test("get workergroups: ready and desired workers, bounds, per-worker shape; -o wide adds the pool", async () => {
    const r = await rayctl(`get workergroups inspect -n ${NS} -o wide`);
    expect(r.code, r.stderr).toBe(0);
    expect(
      r.stdout
        .trimEnd()
        .split("\n")
        .map((l) => l.split(/\s{3,}/)),
    ).toEqual([
      ["NAME", "READY", "MIN", "MAX", "AUTOSCALED", "CPUS", "GPUS", "MEMORY", "POOL"],
      ["group1", "2/2", "2", "2", "no", "15", "1 t4", "52Gi", "t4"],
    ]);
    expect((await rayctl(`get workergroups nope -n ${NS}`)).code).toBe(2);
  });

  test("get cluster -o wide adds head IP, Ray version and worker groups; -o name prints raycluster.ray.io/NAME", async () => {
    const wide = (await rayctl(`get cluster inspect -n ${NS} -o wide`)).stdout.split("\n");
    expect(wide[0]?.split(/\s{3,}/).slice(-4)).toEqual(["HEAD IP", "RAY", "WORKER GROUPS", "OWNER"]);
    expect(wide[1]?.split(/\s{3,}/).slice(-4)).toEqual(["10.16.0.12", "2.52.0", "group1", "rayctl"]);
    expect((await rayctl(`get cluster inspect -n ${NS} -o name`)).stdout).toBe("raycluster.ray.io/inspect\n");
  });

  test("logs: the head's Ray container by default; a worker group's pods prefixed by pod; one node; a named container", async () => {
    const head = pods().find((p) => p.metadata.labels["ray.io/node-type"] === "head")!.metadata.name;
    fake.appendLog(NS, head, "ray-head", "Ray runtime started.");
    expect((await rayctl(`logs inspect -n ${NS}`)).stdout).toBe(
      `ray-head of ${head}: started\nRay runtime started.\n`,
    );
    expect((await rayctl(`logs cluster inspect -n ${NS} --tail 1`)).stdout).toBe("Ray runtime started.\n");
    const workers = pods()
      .filter((p) => p.metadata.labels["ray.io/node-type"] === "worker")
      .map((p) => p.metadata.name);
    const group = await rayctl(`logs inspect -n ${NS} --worker-group group1`);
    expect(group.stdout.trimEnd().split("\n").sort()).toEqual(
      workers.map((w) => `[${w}] ray-worker of ${w}: started`).sort(),
    );
    expect((await rayctl(`logs inspect -n ${NS} --node ${workers[0]} -c ray`)).stdout).toBe(
      `ray-worker of ${workers[0]}: started\n`,
    );
    const wrong = await rayctl(`logs inspect -n ${NS} -c notebook`);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain(`${head} has no container "notebook"; it has ray-head`);
    expect((await rayctl(`logs inspect -n ${NS} --node nobody`)).stderr).toContain(
      'has no Ray node "nobody"; `rayctl get nodes inspect -n ray-playground` lists them.',
    );
  });

  test("logs -f prints new lines as they come and ends when the pod goes", async () => {
    const head = pods().find((p) => p.metadata.labels["ray.io/node-type"] === "head")!;
    let out = "";
    const following = run(["logs", "inspect", "-n", NS, "-f", "--tail", "0"], {
      stdout: { write: (s: string) => (out += s) },
      stderr: { write: () => true },
      env: { KUBECONFIG: kubeconfig, HOME: os.tmpdir() },
    });
    await until(
      () =>
        fake.calls.some((c) => c.subresource === "log" && c.name === head.metadata.name && c.verb === "get"),
      "the log request",
    );
    await new Promise((r) => setTimeout(r, 50));
    fake.appendLog(NS, head.metadata.name, "ray-head", "step 1");
    await until(() => out.includes("step 1"), "the followed line");
    fake.unseed("v1", "Pod", NS, head.metadata.name);
    expect(await following).toBe(0);
    expect(out).toBe("step 1\n");
  });
});

test("waiting wakes on the RayCluster's change (a watch), not at the next look", async () => {
  fake.kuberay = "off";
  try {
    expect((await rayctl("create cluster watched -n ray-playground --workers 0")).code).toBe(0);
    // One look at the events a minute: only the watch can end the wait within the test.
    const waiting = rayctl("wait cluster watched -n ray-playground", { pollMs: 60_000 });
    await until(
      () => fake.calls.some((c) => c.verb === "watch" && c.resource === "rayclusters"),
      "the watch",
    );
    const started = Date.now();
    fake.kuberay = "auto";
    fake.simulateKubeRay("ray-playground", "watched");
    const r = await waiting;
    expect(r.code, r.stderr).toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);
  } finally {
    fake.kuberay = "auto";
  }
});

test("each command has its own help: its flags, an example, and nothing of another command's", async () => {
  const create = await rayctl("create cluster --help");
  expect(create.code).toBe(0);
  expect(create.stdout).toMatch(/^Usage: rayctl create cluster \[options\] \[name\]/);
  expect(create.stdout).toContain("--dry-run <mode>");
  expect(create.stdout).toContain("--dry-run=server");
  expect(create.stdout).not.toContain("--replicas");
  const scale = await rayctl("scale cluster --help");
  expect(scale.stdout).toContain("--replicas <n>");
  expect(scale.stdout).not.toContain("--gpus-per-worker");
  expect((await rayctl("logs --help")).stdout).toMatch(/^Usage: rayctl logs \[cluster\] <name> \[options\]/);
  expect((await rayctl("--help")).stdout).toContain("Each command has its own help");
});

describe("jobs: rayctl job submit, list, describe, logs, stop, delete (issue 25)", () => {
  const NS = "recsys";
  const workdir = () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rayctl-job-"));
    const put = (rel: string, content: string | Buffer) => (
      fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true }),
      fs.writeFileSync(path.join(dir, rel), content)
    );
    put("train.py", "print('training')\n");
    put("pkg/util.py", "X = 1\n");
    put("weights.bin", Buffer.from([0, 1, 2, 255]));
    put(".git/HEAD", "ref: refs/heads/main\n");
    put("__pycache__/util.cpython-311.pyc", "junk");
    return dir;
  };
  const jobPods = (name: string) =>
    fake.list("v1", "Pod", NS).filter((p) => p.metadata.labels?.["batch.kubernetes.io/job-name"] === name);
  /** train-a: two T4 workers and a working directory. */
  const submitTrainA = async () => {
    const r = await rayctl(
      `job submit -n ${NS} --name train-a --working-dir ${workdir()} --gpus-per-worker 1 --workers 2 -- python train.py --epochs 3`,
    );
    expect(r.code, r.stderr).toBe(0);
    return r;
  };

  test("submit makes a RayJob that passes the CRD, KubeRay's and Kueue's rules and the platform's admission, on the cluster `create cluster` would make", async () => {
    const r = await submitTrainA();
    expect(r.stderr).toContain(
      "Submitted job train-a in namespace recsys, on a cluster made for it (Kueue queues it; KubeRay removes the cluster 10m after it ends)",
    );
    const rj = fake.get("ray.io/v1", "RayJob", NS, "train-a")!;
    expect(rayJobProblems(rj)).toEqual([]);
    expect(kueueRayJobProblems(rj)).toEqual([]);
    expect(
      policyDenials(
        rayJobAdmission({
          bucketPrefix: "my-ml-platform-dev-ray-",
          rayCluster: rayClusterFields(loadConfig().kuberay.crds),
        }).policy.spec,
        rj,
      ),
    ).toEqual([]);
    expect(rj.metadata.labels).toMatchObject({
      "kueue.x-k8s.io/queue-name": "default",
      "app.kubernetes.io/managed-by": "rayctl",
    });
    expect(rj.spec).toMatchObject({
      entrypoint: "python train.py --epochs 3",
      runtimeEnvYAML: "working_dir: /working-dir\n",
      shutdownAfterJobFinishes: true,
      ttlSecondsAfterFinished: 600,
      submissionMode: "K8sJobMode",
    });
    // The same cluster as `create cluster` renders for these flags, its token the job's.
    const planned = JSON.parse(
      (await rayctl(`create cluster train-a -n ${NS} --gpus-per-worker 1 --workers 2 --dry-run -o json`))
        .stdout,
    ).items[0];
    expect(rj.spec.rayClusterSpec).toEqual(planned.spec);
    expect(rj.spec.rayClusterSpec.authOptions).toEqual({ mode: "token", secretName: "train-a-token" });
    // The token and the working directory belong to the job: deleting it deletes them.
    const owner = [{ apiVersion: "ray.io/v1", kind: "RayJob", name: "train-a", uid: rj.metadata.uid }];
    expect(fake.get("v1", "Secret", NS, "train-a-token")!.metadata.ownerReferences).toEqual(owner);
    const cm = fake.get("v1", "ConfigMap", NS, "train-a-working-dir")!;
    expect(cm.metadata.ownerReferences).toEqual(owner);
    const items = rj.spec.submitterPodTemplate.spec.volumes.find((v: Obj) => v.configMap).configMap.items;
    expect(items.map((i: Obj) => i.path)).toEqual(["pkg/util.py", "train.py", "weights.bin"]);
    const content = (p: string) => {
      const key = items.find((i: Obj) => i.path === p).key;
      return cm.data?.[key] ?? Buffer.from(cm.binaryData[key], "base64");
    };
    expect([content("train.py"), content("weights.bin")]).toEqual([
      "print('training')\n",
      Buffer.from([0, 1, 2, 255]),
    ]);
    // The submitter runs as the head does: the team's account, the head's pool, the head's image.
    const submitter = rj.spec.submitterPodTemplate.spec;
    expect(submitter.serviceAccountName).toBe("ray");
    expect(submitter.nodeSelector).toEqual(planned.spec.headGroupSpec.template.spec.nodeSelector);
    expect(submitter.containers[0].image).toBe(planned.spec.headGroupSpec.template.spec.containers[0].image);
    // The cluster KubeRay makes for it (<job>-xxxxx, owned by the job) passes the RayCluster rule with the job's token.
    const made = fake
      .list("ray.io/v1", "RayCluster", NS)
      .find((c) => c.metadata.labels?.["ray.io/originated-from-cr-name"] === "train-a")!;
    const rcRule = rayClusterAdmission({
      bucketPrefix: "my-ml-platform-dev-ray-",
      rayCluster: rayClusterFields(loadConfig().kuberay.crds),
    }).policy.spec;
    expect(policyDenials(rcRule, made)).toEqual([]);
    // Without the job as its controller, the job's token is not its to name.
    expect(policyDenials(rcRule, { ...made, metadata: { ...made.metadata, ownerReferences: [] } })).toEqual([
      expect.stringContaining("A RayCluster's token is its own Secret"),
    ]);
  });

  test("list, describe and logs show it; submit --wait streams the driver's output and exits 0 or 6 by how the job ended", async () => {
    await submitTrainA();
    const list = await rayctl(`job list -n ${NS}`);
    const row = list.stdout
      .split("\n")
      .find((l) => l.startsWith("train-a "))!
      .split(/\s{3,}/);
    expect([row[1], row[2]?.startsWith("train-a-"), row[5]]).toEqual([
      "RUNNING",
      true,
      "python train.py --epochs 3",
    ]);
    expect((await rayctl(`job describe train-a -n ${NS}`)).stdout).toContain(
      "Entrypoint:       python train.py --epochs 3\nWorking dir:      sent with the job\n",
    );
    expect((await rayctl(`job logs train-a -n ${NS}`)).stdout).toContain("Job 'train-a-");

    const waiting = rayctl(`job submit -n ${NS} --name train-b --workers 0 --wait -- python -c print(42)`);
    await until(
      () =>
        jobPods("train-b").length === 1 &&
        fake.get("ray.io/v1", "RayJob", NS, "train-b")?.status?.jobStatus === "RUNNING",
      "the job running",
    );
    await until(
      () =>
        fake.calls.some((c) => c.subresource === "log" && c.name === jobPods("train-b")[0]?.metadata.name),
      "the log stream",
    );
    fake.finishJob(NS, "train-b", "SUCCEEDED", ["42"]);
    const done = await waiting;
    expect(done.code, done.stderr).toBe(0);
    expect(done.stdout).toContain("42\n");
    expect(done.stderr).toContain("Job train-b SUCCEEDED");
    expect(fake.get("ray.io/v1", "RayJob", NS, "train-b")!.spec.entrypoint).toBe("python -c 'print(42)'");

    const failing = rayctl(`job submit -n ${NS} --name train-c --workers 0 --wait -- python fail.py`);
    await until(
      () => fake.get("ray.io/v1", "RayJob", NS, "train-c")?.status?.jobStatus === "RUNNING",
      "the job running",
    );
    fake.finishJob(NS, "train-c", "FAILED", ["Traceback ..."]);
    const failed = await failing;
    expect(failed.code).toBe(6);
    expect(failed.stderr).toContain("Job train-c FAILED: Job failed");
  });

  test("--cluster runs on an existing cluster: a clusterSelector, no cluster of its own, not Kueue's; shape flags are refused", async () => {
    expect((await rayctl(`create cluster shared -n ${NS} --workers 0 --wait`)).code).toBe(0);
    const r = await rayctl(`job submit -n ${NS} --name on-shared --cluster shared -- python -V`);
    expect(r.code, r.stderr).toBe(0);
    const rj = fake.get("ray.io/v1", "RayJob", NS, "on-shared")!;
    expect(rj.spec.clusterSelector).toEqual({ "ray.io/cluster": "shared" });
    expect(rj.spec.rayClusterSpec).toBeUndefined();
    expect(rj.metadata.labels["kueue.x-k8s.io/queue-name"]).toBeUndefined();
    expect([rayJobProblems(rj), kueueRayJobProblems(rj)]).toEqual([[], []]);
    expect(fake.get("v1", "Secret", NS, "on-shared-token")).toBeUndefined();
    const refused = await rayctl(`job submit -n ${NS} --cluster shared --workers 2 -- python -V`);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      "--cluster: runs on an existing cluster, which has its shape; remove --workers.",
    );
  });

  test("what cannot run is refused before anything is made: no entrypoint, a working directory over 1 MB, an autoscaled file, the quota", async () => {
    const before = fake.list("ray.io/v1", "RayJob", NS).length;
    expect((await rayctl(`job submit -n ${NS} --name empty`)).stderr).toContain(
      "--: say what to run after --",
    );
    const big = fs.mkdtempSync(path.join(os.tmpdir(), "rayctl-job-big-"));
    fs.writeFileSync(path.join(big, "data.csv"), Buffer.alloc(1_100_000, 97));
    const tooBig = await rayctl(`job submit -n ${NS} --working-dir ${big} -- python x.py`);
    expect(tooBig.code).toBe(1);
    expect(tooBig.stderr).toContain(
      "holds 1.1 MB in 1 file; a job's working directory travels in a ConfigMap, which holds at most 1.0 MB. The biggest: data.csv (1.1 MB). Send code only",
    );
    const auto = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "rayctl-job-")), "entry.yaml");
    fs.writeFileSync(auto, "name: x\nworkerGroups:\n  - name: w\n    minReplicas: 0\n    maxReplicas: 3\n");
    expect((await rayctl(`job submit -n ${NS} -f ${auto} -- python x.py`)).stderr).toContain(
      "a job's cluster has a fixed number of workers",
    );
    const quota = await rayctl(`job submit -n ${NS} --gpus-per-worker 1 --workers 40 -- python x.py`);
    expect(quota.code).toBe(2);
    expect(quota.stderr).toContain("recsys's quota cannot hold this job's cluster:");
    expect(fake.list("ray.io/v1", "RayJob", NS)).toHaveLength(before);
  });

  test("stop fails a running job by its deadline and its cluster goes; delete removes the job and what it owns", async () => {
    await submitTrainA();
    const cluster = fake.get("ray.io/v1", "RayJob", NS, "train-a")!.status.rayClusterName;
    const r = await rayctl(`job stop train-a -n ${NS}`);
    expect(r.code, r.stderr).toBe(0);
    await until(
      () => fake.get("ray.io/v1", "RayJob", NS, "train-a")!.status.jobDeploymentStatus === "Failed",
      "KubeRay failing it",
    );
    expect(fake.get("ray.io/v1", "RayJob", NS, "train-a")!.status.reason).toBe("DeadlineExceeded");
    expect(fake.get("ray.io/v1", "RayCluster", NS, cluster)).toBeUndefined();
    expect((await rayctl(`job stop train-a -n ${NS}`)).stderr).toContain("has already ended");
    expect((await rayctl(`job delete train-a -n ${NS}`)).code).toBe(0);
    expect(fake.get("ray.io/v1", "RayJob", NS, "train-a")).toBeUndefined();
    expect(fake.get("v1", "ConfigMap", NS, "train-a-working-dir")).toBeUndefined();
    expect(fake.get("v1", "Secret", NS, "train-a-token")).toBeUndefined();
  });
});

test("docs/sdk.md shows the SDK example exactly as the tests run it", () => {
  const example = fs.readFileSync(path.join(PROJECT_DIR, "client/examples/lifecycle.ts"), "utf8");
  expect(fs.readFileSync(path.join(PROJECT_DIR, "docs", "sdk.md"), "utf8")).toContain(
    "```ts\n" + example + "```",
  );
});

test("the SDK example (the seed's Python, in TypeScript) runs: create and wait, head IP, scale, get, delete", async () => {
  const lines: string[] = [];
  const { main } = await import("../client/examples/lifecycle");
  await main({ kubeconfig }, (l) => lines.push(l));
  expect(lines).toContain("Cluster head IP: 10.16.0.12");
  expect(lines).toContain("Cluster has 1 workers");
  expect(lines.at(-1)).toMatch(
    /^sdk-test-\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d: group1 x2; dashboard http:\/\/sdk-test-.*-head-svc\.ray-playground\.svc\.cluster\.local:8265$/,
  );
  expect(
    fake
      .list("ray.io/v1", "RayCluster", "ray-playground")
      .some((rc) => rc.metadata.name.startsWith("sdk-test-")),
  ).toBe(false);
});

test("credentials from an exec plugin, as gke-gcloud-auth-plugin gives them, are used, one run of the plugin serving concurrent requests", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rayctl-exec-"));
  const plugin = path.join(dir, "gke-gcloud-auth-plugin");
  // Prints an ExecCredential and counts its runs; checks it was told it is not interactive.
  fs.writeFileSync(
    plugin,
    `#!/bin/sh\necho run >> ${dir}/runs\necho "$KUBERNETES_EXEC_INFO" | grep -q '"interactive":false' || exit 3\necho '{"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential","status":{"token":"alice-token","expirationTimestamp":"2099-01-01T00:00:00Z"}}'\n`,
    { mode: 0o755 },
  );
  const config = path.join(dir, "config");
  fs.writeFileSync(
    config,
    JSON.stringify({
      apiVersion: "v1",
      kind: "Config",
      "current-context": "gke",
      clusters: [{ name: "gke", cluster: { server } }],
      users: [
        {
          name: "gke",
          user: {
            exec: {
              apiVersion: "client.authentication.k8s.io/v1beta1",
              command: plugin,
              provideClusterInfo: true,
              interactiveMode: "IfAvailable",
            },
          },
        },
      ],
      contexts: [{ name: "gke", context: { cluster: "gke", user: "gke", namespace: "recsys" } }],
    }),
  );
  let out = "";
  const code = await run(["describe", "cluster", "two-tower"], {
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (out += s) },
    env: { KUBECONFIG: config, HOME: dir, PATH: process.env.PATH },
  });
  expect(code, out).toBe(0);
  expect(out).toContain("Cluster:          two-tower (namespace recsys)");
  // Two requests at once (the cluster and the team's facts), one run of the plugin.
  expect(fs.readFileSync(path.join(dir, "runs"), "utf8")).toBe("run\n");
});

test("on a terminal, --wait rewrites one live line instead of printing lines", async () => {
  let stderr = "";
  const code = await run(["create", "cluster", "live", "-n", "ray-playground", "--workers", "0", "--wait"], {
    stdout: { write: () => true },
    stderr: { write: (s: string) => (stderr += s), isTTY: true },
    env: { KUBECONFIG: kubeconfig, HOME: os.tmpdir() },
    pollMs: 5,
  });
  expect(code).toBe(0);
  expect(stderr).toContain("\r\x1b[2Kray-playground/live is ready: head 10.16.0.12, 0 workers\n");
});
