/**
 * The installable client: the esbuild bundle runs with Node alone (no node_modules beside it),
 * answers --help and --version, and drives a cluster's life through the fake API server from a
 * separate process, as a user's shell would. (The client benchmark runs in CI's bench:quick step.)
 */
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import { builtinModules } from "node:module";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, test } from "vitest";
import { manifestOf } from "../plan/manifests";
import { type FakeKube, seededFake, writeKubeconfig } from "./fakeKube";
import { PROJECT_DIR, sharedStack } from "./mocks";
import { defined } from "./defined";
import { rayctlBundled } from "./rayctl";

const exec = promisify(execFile);
const dist = fs.mkdtempSync(path.join(os.tmpdir(), "rayctl-dist-"));
const bin = path.join(dist, "rayctl.js");
let fake: FakeKube;
let env: NodeJS.ProcessEnv;

/** The bundle in a fresh process, as users run it. */
const rayctl = (line: string) => rayctlBundled(bin, line, { env, cwd: dist });

beforeAll(async () => {
  await exec(process.execPath, [path.join(PROJECT_DIR, "client/build.mjs"), dist]);
  const { resources } = await sharedStack();
  let server: string;
  ({ fake, server } = await seededFake(
    resources.map(manifestOf).filter((m): m is Record<string, any> => !!m),
  ));
  env = { PATH: process.env.PATH, HOME: dist, KUBECONFIG: writeKubeconfig(server) };
});

afterAll(async () => {
  await fake?.stop();
});

test("the bundle needs only Node's own modules", () => {
  const text = fs.readFileSync(bin, "utf8");
  expect(text.startsWith("#!/usr/bin/env node\n")).toBe(true);
  // Calls only: ajv keeps `require("ajv/dist/runtime/...")` inside code strings it never evaluates here.
  const required = [...text.matchAll(/(?<!['"`])require\("([^"]+)"\)/g)].map((m) =>
    defined(m[1], "a required module's name"),
  );
  expect(required.length).toBeGreaterThan(0);
  expect(required.filter((m) => !builtinModules.includes(m.replace(/^node:/, "")))).toEqual([]);
});

test("--help and --version exit 0", async () => {
  const help = await rayctl("--help");
  expect(help.code).toBe(0);
  expect(help.stdout).toContain("rayctl create cluster NAME -n NAMESPACE [options]");
  const version = await rayctl("--version");
  expect([version.code, version.stdout]).toEqual([
    0,
    `rayctl ${JSON.parse(fs.readFileSync(path.join(PROJECT_DIR, "client/package.json"), "utf8")).version}\n`,
  ]);
});

test("a cluster's life from the shell: create --wait, get, describe, scale, delete", async () => {
  const create = await rayctl(
    "create cluster shell -n ray-playground --cpus-in-head 2 --memory-in-head 8Gi --cpus-per-worker 4 --memory-per-worker 16Gi --workers 1 --wait",
  );
  expect(create.code, create.stderr).toBe(0);
  expect(create.stderr).toContain("ray-playground/shell is ready");
  expect((await rayctl("get cluster -n ray-playground")).stdout).toMatch(/^shell\s+\S+ \S+\s+1\/1\s+ready/m);
  expect((await rayctl("describe cluster shell -n ray-playground")).stdout).toContain(
    "Worker group group1: 1 replica, 4 CPUs, no GPU, 16Gi memory, pool cpu-worker",
  );
  expect(
    (await rayctl("scale cluster shell -n ray-playground --worker-group group1 --replicas 2")).code,
  ).toBe(0);
  expect(
    fake.get("ray.io/v1", "RayCluster", "ray-playground", "shell")!.spec.workerGroupSpecs[0].replicas,
  ).toBe(2);
  expect((await rayctl("delete cluster shell -n ray-playground")).code).toBe(0);
  expect(fake.get("ray.io/v1", "RayCluster", "ray-playground", "shell")).toBeUndefined();
  // A RayCluster file, checked against the CRD schema the bundle carries, then planned.
  const file = await rayctl(
    `create cluster -n ray-playground -f ${path.join(PROJECT_DIR, "test/fixtures/raycluster.sample.yaml")} --dry-run -o json`,
  );
  expect(file.code, file.stderr).toBe(0);
  const broken = path.join(dist, "broken.yaml");
  fs.writeFileSync(
    broken,
    fs
      .readFileSync(path.join(PROJECT_DIR, "test/fixtures/raycluster.sample.yaml"), "utf8")
      .replace('rayVersion: "2.52.0"', "rayVersion: [2]"),
  );
  expect((await rayctl(`create cluster -n ray-playground -f ${broken}`)).stderr).toContain(
    "broken.yaml:8:15 spec.rayVersion: must be string, says KubeRay 1.7.0's RayCluster CRD",
  );
  // A refusal and an invalid input, with their documented exit codes.
  expect((await rayctl("delete cluster my-cluster -n ray-playground")).code).toBe(2);
  expect((await rayctl("create cluster x -n ray-playground --workers two")).code).toBe(1);
});
