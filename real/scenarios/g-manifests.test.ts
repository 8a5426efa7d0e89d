/**
 * g. `npm run plan -- --out DIR` applied without Pulumi, with kubectl, to a fresh control
 * plane (a second one, beside the scenarios'), by the steps docs/plan.md gives: every object of
 * the plan is created as planned, and SECRETS.txt's commands make the token Secrets it leaves
 * out. (The operators are Helm releases: their values are in DIR/helm, not applied here.)
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { loadPlatformConfig } from "../../config/load";
import { readStackConfig } from "../../plan/engine";
import { CLUSTER_TOKEN_KEY } from "../../render/clusterAccess";
import { mismatches } from "../compare";
import { ControlPlane } from "../controlPlane";
import { STACK } from "../stack";
import { offlinePlan, type Planned, real } from "./context";

const dir = path.join(real.stateDir, "manifests-scenario");
const out = path.join(dir, "out");

describe("g. plan --out applied with kubectl to a fresh control plane", () => {
  let fresh: ControlPlane;
  let planned: Planned[];
  beforeAll(async () => {
    fs.rmSync(dir, { recursive: true, force: true });
    const cfg = loadPlatformConfig({
      stack: STACK,
      config: readStackConfig(real.projectDir, STACK),
      stackFileText: fs.readFileSync(path.join(real.projectDir, `Pulumi.${STACK}.yaml`), "utf8"),
      projectDir: real.projectDir,
    });
    fresh = await ControlPlane.start({
      dir: path.join(dir, "cp"),
      pools: cfg.pools,
      hostPools: [],
      instance: 1,
    });
    execFileSync(
      path.join(real.projectDir, "node_modules", ".bin", "tsx"),
      ["plan/cli.ts", "--stack", STACK, "--out", out, "--quiet"],
      { cwd: real.projectDir, stdio: "pipe" },
    );
    planned = offlinePlan().filter(
      (r) => r.type.startsWith("kubernetes:") && !r.type.startsWith("kubernetes:helm.sh/") && r.inputs.kind,
    );
  });
  afterAll(async () => {
    await fresh?.stop();
  });

  test("docs/plan.md's steps create every object of the plan, as planned", async () => {
    const kubectl = (...args: string[]) => fresh.kubectl("admin", args);
    // 1. The CRDs, and wait until the API serves them.
    kubectl("apply", "--server-side", "-f", path.join(out, "00-crds.yaml"));
    kubectl("wait", "--for=condition=Established", "crd", "--all", "--timeout=60s");
    // 2. Everything, again until it succeeds: the API server refuses a RayCluster until the
    //    quota controller has counted RayClusters in a new quota (render/tenancy.ts quotaMeta).
    let last = "";
    await fresh
      .waitFor(
        "kubectl apply --server-side -f DIR to succeed",
        async () => {
          try {
            kubectl("apply", "--server-side", "-f", out);
            return true;
          } catch (err) {
            last = String((err as { stderr?: string }).stderr ?? err);
            return false;
          }
        },
        180_000,
      )
      .catch((err) => {
        throw new Error(`${(err as Error).message}; kubectl said: ${last}`);
      });
    // 3. The token Secrets, as SECRETS.txt says.
    const commands = fs
      .readFileSync(path.join(out, "SECRETS.txt"), "utf8")
      .split("\n")
      .filter((l) => l.trim().startsWith("kubectl create secret"));
    expect(commands.length).toBe(planned.filter((r) => r.inputs.kind === "RayCluster").length);
    for (const line of commands) {
      const [, , , , name, , ns] = line.trim().split(/\s+/);
      kubectl("create", "secret", "generic", name!, "-n", ns!, `--from-literal=auth_token=${"x".repeat(48)}`);
    }

    const admin = fresh.api("admin");
    const problems: string[] = [];
    for (const r of planned) {
      const obj = r.inputs;
      const kind = String(obj.kind).toLowerCase();
      const resource = kind.endsWith("y")
        ? `${kind.slice(0, -1)}ies`
        : kind.endsWith("s")
          ? `${kind}es`
          : `${kind}s`;
      const base = String(obj.apiVersion).includes("/")
        ? `/apis/${obj.apiVersion}`
        : `/api/${obj.apiVersion}`;
      const id = `${obj.kind} ${obj.metadata.namespace ?? ""}/${obj.metadata.name}`;
      try {
        const live = await admin.get(
          `${base}${obj.metadata.namespace ? `/namespaces/${obj.metadata.namespace}` : ""}/${resource}/${obj.metadata.name}`,
        );
        // A token Secret was made in step 3, by hand: it must exist with its key.
        if (obj.kind === "Secret")
          problems.push(...(live.data?.[CLUSTER_TOKEN_KEY] ? [] : [`${id}: no ${CLUSTER_TOKEN_KEY}`]));
        else problems.push(...mismatches(obj, live).map((m) => `${id}${m}`));
      } catch (err) {
        problems.push(`${id}: ${(err as Error).message}`);
      }
    }
    expect(problems).toEqual([]);
  });
});
