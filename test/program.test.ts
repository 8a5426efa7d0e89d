/** The program as a whole under the mock engine: validation before registration, stable names. */
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { parse, stringify } from "yaml";
import { describe, expect, test } from "vitest";
import { PLATFORM_CONFIG } from "../config/load";
import { fieldChanges, showField } from "../plan/diff";
import { evaluate, EvaluationFailed } from "../plan/engine";
import {
  fixtureText,
  PROJECT_DIR,
  runProgram,
  runProgramFailing,
  teamsDir,
  withoutSecrets,
  sharedStack,
} from "./mocks";

describe("one bad team file among good ones", () => {
  test("registers nothing and names the file, line and field", async () => {
    const dir = teamsDir({
      "recsys.yaml": fixtureText("teams/recsys.yaml").replace("gpu: { type: t4 }", "gpu: { type: h100 }"),
    });
    const { message, resources } = await runProgramFailing({ config: { "ray-platform:teamsDir": dir } });
    expect(resources).toEqual([]);
    expect(message).toContain("ray-platform: the configuration has 1 problem; nothing was changed.");
    expect(message).toContain(
      `${dir}/recsys.yaml:26:22 rayClusters[0].workerGroups[0].gpu.type: "h100" is not offered by this stack (offered: t4, a100)`,
    );
  });

  test("fails as a RunError, which `pulumi up` prints without a stack trace", async () => {
    const dir = teamsDir({ "broken.yaml": "name: [broken\n" });
    try {
      await runProgram({ config: { "ray-platform:teamsDir": dir } });
      expect.unreachable("the program should have failed");
    } catch (err) {
      expect(err).toBeInstanceOf(EvaluationFailed);
      expect(pulumi.RunError.isInstance((err as EvaluationFailed).cause)).toBe(true);
    }
  });
});

/** (type, name) -> inputs of every resource. */
const RECSYS_RC = "kubernetes:ray.io/v1:RayCluster::recsys/two-tower-raycluster";
const byName = (rs: { type: string; name: string; inputs: unknown }[]) =>
  new Map(rs.map((r) => [`${r.type}::${r.name}`, withoutSecrets(r.inputs)]));

test("reordering node pools and a cluster's worker groups changes no resource name, and no input but that cluster's order of groups", async () => {
  const before = await sharedStack();
  const stack = parse(fs.readFileSync(path.join(PROJECT_DIR, "Pulumi.dev.yaml"), "utf8")).config;
  const pools = [...stack["ray-platform:nodePools"]].reverse();
  // The recsys team file with its cluster's worker groups in the other order.
  const recsys = parse(fs.readFileSync(path.join(PROJECT_DIR, "teams/recsys.yaml"), "utf8"));
  recsys.rayClusters = [
    { ...recsys.rayClusters[0], workerGroups: [...recsys.rayClusters[0].workerGroups].reverse() },
  ];
  const dir = teamsDir({ "recsys.yaml": stringify(recsys) });
  const after = await runProgram({
    config: { "ray-platform:nodePools": JSON.stringify(pools), "ray-platform:teamsDir": dir },
  });

  const [a, b] = [byName(before.resources), byName(after.resources)];
  expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
  for (const [key, inputs] of a) {
    if (key === RECSYS_RC) continue; // its worker groups were reordered on purpose
    expect(b.get(key), key).toEqual(inputs);
  }
  // Team files are read in name order, and a file is named after its team: there is no team order to change.
  expect(fieldChanges(a.get(RECSYS_RC) as any, b.get(RECSYS_RC) as any).map(showField)).toEqual([
    "spec.workerGroupSpecs (order): t4, preprocess → preprocess, t4",
  ]);
});

test("resource names key on pool, team and cluster names", async () => {
  const { resources } = await sharedStack();
  const names = resources.map((r) => r.name);
  expect(names).toEqual(
    expect.arrayContaining([
      "gke-t4",
      "gke-a100",
      "recsys",
      "recsys-namespace",
      "recsys/two-tower",
      "recsys/two-tower-raycluster",
      "tech-research/gnn",
    ]),
  );
  // No name carries a list position (e.g. "recsys-rayclusters-0").
  expect(names.filter((n) => /-\d+$/.test(n))).toEqual([]);
});

test("two resources with one URN fail the plan, as the real engine fails the deployment", async () => {
  const k8s = await import("@pulumi/kubernetes");
  const failure = await evaluate({
    stack: "dev",
    projectDir: PROJECT_DIR,
    loadProgram: async () => {
      for (const data of [{ a: "1" }, { a: "2" }]) new k8s.core.v1.ConfigMap("same-name", { data });
      return {};
    },
  }).catch((err: unknown) => err);
  expect(failure).toBeInstanceOf(EvaluationFailed);
  expect((failure as EvaluationFailed).message).toMatch(
    /^two resources share the URN urn:pulumi:dev::ray-platform::kubernetes:core\/v1:ConfigMap::same-name; the Pulumi engine refuses the deployment\. Rename one/,
  );
});

describe("the plan gets the validated configuration from the program's return value, not from module state", () => {
  test("the program returns it under a symbol key, which is no stack output", async () => {
    const ev = await runProgram();
    expect(ev.config?.teams.map((t) => t.name)).toEqual(["ray-playground", "recsys", "tech-research"]);
    expect(Object.keys(ev.outputs)).toEqual([
      "mode",
      "cluster",
      "kubeconfig",
      "imagePrefix",
      "nodePools",
      "kuberayVersion",
      "teams",
      "notes",
    ]);
  });

  test("a program that returns none gives none, even after the real program ran in this process", async () => {
    await runProgram();
    const inline = (result: Record<string | symbol, unknown>) =>
      evaluate({
        stack: "dev",
        projectDir: PROJECT_DIR,
        loadProgram: async () => ({ default: async () => result }),
      });
    expect((await inline({ answer: 42 })).config).toBeUndefined();
    const config = { mode: "existing" };
    const ev = await inline({ answer: 42, [PLATFORM_CONFIG]: config });
    expect(ev.config).toBe(config);
    expect(ev.outputs).toEqual({ answer: 42 });
  });
});
