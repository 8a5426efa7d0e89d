/**
 * kubectl (a real client-go, Debian's kubernetes-client or gcloud's) as an oracle for the
 * fake API server: if kubectl reads, patches, applies and deletes through the fake as it does
 * through a real API server, and parses its refusals, the fake is faithful for what rayctl
 * relies on. The two clients also see each other's changes. kubectl sends bearer tokens only
 * over TLS, so it talks to the fake as the (unauthenticated) administrator.
 */
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { load as loadYaml } from "js-yaml";
import { afterEach, beforeAll, beforeEach, expect, test } from "vitest";
import { manifestOf } from "../plan/manifests";
import { FakeKube, writeKubeconfig } from "./fakeKube";
import { sharedStack } from "./mocks";
import { rayctlInProcess } from "./rayctl";

const exec = promisify(execFile);
let manifests: Record<string, any>[];
/** Each test's own: a fake API server seeded afresh, its kubeconfig, and a home (tests run alone and in any order). */
let fake: FakeKube;
let kubeconfig: string;
let home: string;

/** kubectl as the fake's administrator; resolves with the exit code instead of throwing. */
async function kubectl(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec(
      "kubectl",
      ["--kubeconfig", kubeconfig, "--context", "admin", ...args],
      { env: { PATH: process.env.PATH, HOME: home } },
    );
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const rayctl = (line: string) =>
  rayctlInProcess(line, { env: { KUBECONFIG: kubeconfig, HOME: home }, flags: ["--context", "admin"] });

beforeAll(async () => {
  manifests = (await sharedStack()).resources.map(manifestOf).filter((m): m is Record<string, any> => !!m);
});

beforeEach(async () => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), "rayctl-kubectl-home-"));
  // No authorization: kubectl sends no token over plain HTTP, and the oracle is about the API's behaviour.
  fake = new FakeKube({
    crds: manifests.filter((m) => m.kind === "CustomResourceDefinition"),
    tokens: { "admin-token": "admin" },
  });
  for (const m of manifests.filter((x) =>
    ["Namespace", "ConfigMap", "ResourceQuota", "RayCluster"].includes(x.kind),
  ))
    fake.seed(m.kind === "ResourceQuota" ? { ...m, status: { hard: m.spec.hard, used: {} } } : m);
  kubeconfig = writeKubeconfig(await fake.start());
});

afterEach(async () => {
  await fake?.stop();
});

/** The cluster "oracle" as rayctl creates it in the playground: tutorials, one worker of group1. */
async function createOracle(): Promise<void> {
  expect((await rayctl("create cluster oracle -n ray-playground --with-tutorials --workers 1")).code).toBe(0);
}

test("kubectl finds the RayCluster kind through discovery and lists the program's clusters", async () => {
  const r = await kubectl("get", "rayclusters", "-n", "ray-playground", "-o", "name");
  expect(r.stderr).toBe("");
  expect(r.stdout).toBe("raycluster.ray.io/my-cluster\n");
});

test("what rayctl creates, kubectl reads back as stored; kubectl's patches, rayctl sees", async () => {
  await createOracle();
  const got = JSON.parse(
    (await kubectl("get", "raycluster", "oracle", "-n", "ray-playground", "-o", "json")).stdout,
  );
  expect(got).toEqual(fake.get("ray.io/v1", "RayCluster", "ray-playground", "oracle"));

  const merge = await kubectl(
    "patch",
    "raycluster",
    "oracle",
    "-n",
    "ray-playground",
    "--type",
    "merge",
    "-p",
    '{"metadata":{"annotations":{"note":"by kubectl"}}}',
  );
  expect(merge.stdout).toBe("raycluster.ray.io/oracle patched\n");
  const json = await kubectl(
    "patch",
    "raycluster",
    "oracle",
    "-n",
    "ray-playground",
    "--type",
    "json",
    "-p",
    '[{"op":"test","path":"/spec/workerGroupSpecs/0/groupName","value":"group1"},{"op":"add","path":"/spec/workerGroupSpecs/0/replicas","value":2},{"op":"add","path":"/spec/workerGroupSpecs/0/minReplicas","value":2},{"op":"add","path":"/spec/workerGroupSpecs/0/maxReplicas","value":2}]',
  );
  expect(json.code, json.stderr).toBe(0);
  const described = await rayctl("describe cluster oracle -n ray-playground -o json");
  expect(JSON.parse(described.stdout).workerGroups[0]).toMatchObject({ name: "group1", replicas: 2 });
  // The generation moved with the spec, not with the annotation alone.
  expect(fake.get("ray.io/v1", "RayCluster", "ray-playground", "oracle")!.metadata.generation).toBe(2);
});

test("kubectl parses the fake's refusals as the API server's: a failed JSON patch test, a missing object, a schema violation", async () => {
  await createOracle();
  const failed = await kubectl(
    "patch",
    "raycluster",
    "oracle",
    "-n",
    "ray-playground",
    "--type",
    "json",
    "-p",
    '[{"op":"test","path":"/spec/workerGroupSpecs/0/groupName","value":"other"}]',
  );
  expect(failed.code).toBe(1);
  expect(failed.stderr).toContain("test failed");
  const missing = await kubectl("get", "raycluster", "nope", "-n", "ray-playground");
  expect(missing.stderr).toBe('Error from server (NotFound): rayclusters.ray.io "nope" not found\n');
  const invalid = await kubectl(
    "patch",
    "raycluster",
    "oracle",
    "-n",
    "ray-playground",
    "--type",
    "merge",
    "-p",
    '{"spec":{"workerGroupSpecs":[{"groupName":"g","maxReplicas":"many"}]}}',
  );
  expect(invalid.code).toBe(1);
  expect(invalid.stderr).toContain('The RayCluster "oracle" is invalid: \n');
  expect(invalid.stderr).toContain("* spec.workerGroupSpecs[0].maxReplicas: must be integer");
});

test("rayctl's --dry-run output is what kubectl applies (server-side apply), and rayctl then lists it as its own", async () => {
  const dry = await rayctl("create cluster applied -n ray-playground --workers 0 --dry-run -o yaml");
  const file = path.join(home, "applied.yaml");
  fs.writeFileSync(file, dry.stdout);
  const applied = await kubectl("apply", "--server-side", "--validate=false", "-f", file);
  expect(applied.stdout, applied.stderr).toBe(
    "raycluster.ray.io/applied serverside-applied\nsecret/applied-token serverside-applied\nnetworkpolicy.networking.k8s.io/applied-own-pods serverside-applied\n",
  );
  expect(fake.get("ray.io/v1", "RayCluster", "ray-playground", "applied")!.spec).toEqual(
    (loadYaml(dry.stdout) as Record<string, any>).items[0].spec,
  );
  expect((await rayctl("get cluster -n ray-playground")).stdout).toMatch(/^applied\s.*rayctl$/m);
});

test("kubectl delete of a rayctl cluster takes its owned ConfigMap with it (garbage collection)", async () => {
  await createOracle();
  expect(fake.get("v1", "ConfigMap", "ray-playground", "oracle-tutorials")).toBeDefined();
  const del = await kubectl("delete", "raycluster", "oracle", "-n", "ray-playground");
  expect(del.stdout).toBe('raycluster.ray.io "oracle" deleted\n');
  expect((await kubectl("get", "configmap", "oracle-tutorials", "-n", "ray-playground")).stderr).toBe(
    'Error from server (NotFound): configmaps "oracle-tutorials" not found\n',
  );
});

test("kubectl wait (list, then watch from its resourceVersion) sees KubeRay's status update through the fake", async () => {
  fake.kuberay = "off";
  try {
    expect((await rayctl("create cluster watched -n ray-playground --workers 0")).code).toBe(0);
    const waiting = kubectl(
      "wait",
      "raycluster/watched",
      "-n",
      "ray-playground",
      "--for=jsonpath={.status.state}=ready",
      "--timeout=60s",
    );
    // The status arrives only once kubectl has listed and is watching.
    while (!fake.calls.some((c) => c.verb === "watch" && c.resource === "rayclusters"))
      await new Promise((r) => setTimeout(r, 10));
    fake.simulateKubeRay("ray-playground", "watched");
    const r = await waiting;
    expect(r.stdout, r.stderr).toBe("raycluster.ray.io/watched condition met\n");
  } finally {
    fake.kuberay = "auto";
  }
});
