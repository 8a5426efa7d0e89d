/**
 * vitest's global setup for the real control plane's scenarios: a project copy, the control
 * plane with the real stack's pools as nodes, and the host kubelet that runs the operators.
 * Torn down at the end, also when a scenario fails; RP_KEEP=1 keeps the directory for a look.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { type TestProject } from "vitest/node";
import { loadPlatformConfig } from "../config/load";
import { readStackConfig } from "../plan/engine";
import { component, ControlPlane, type ControlPlaneInfo } from "./controlPlane";
import { HostKubelet } from "./hostKubelet";
import { copyProject } from "./project";
import { STACK } from "./stack";

export interface RealContext {
  readonly controlPlane: ControlPlaneInfo;
  /** The project copy the stack runs from. */
  readonly projectDir: string;
  /** The Pulumi backend, home and operation logs. */
  readonly stateDir: string;
  /** Milliseconds from nothing to a control plane with Ready nodes. */
  readonly startupMs: number;
}

declare module "vitest" {
  export interface ProvidedContext {
    real: RealContext;
  }
}

/** Starts a project copy, the control plane and the host kubelet in `dir`; returns the context and how to stop. */
export async function startReal(dir: string): Promise<{ context: RealContext; stop: () => Promise<void> }> {
  const projectDir = copyProject(path.join(dir, "project"));
  const stackFile = path.join(projectDir, `Pulumi.${STACK}.yaml`);
  const cfg = loadPlatformConfig({
    stack: STACK,
    config: readStackConfig(projectDir, STACK),
    stackFileText: fs.readFileSync(stackFile, "utf8"),
    projectDir,
  });
  const started = Date.now();
  const cp = await ControlPlane.start({
    dir: path.join(dir, "cp"),
    pools: cfg.pools,
    hostPools: cfg.pools.filter((p) => p.role === "system").map((p) => p.name),
  });
  const startupMs = Date.now() - started;
  const kubelet = new HostKubelet(cp, {
    "quay.io/kuberay/operator": path.join(component("kuberay"), "bin", "ray-operator"),
    "registry.k8s.io/kueue/kueue": path.join(component("kueue"), "bin", "kueue"),
  });
  kubelet.start();
  const context = { controlPlane: cp.info, projectDir, stateDir: path.join(dir, "pulumi"), startupMs };
  return {
    context,
    stop: async () => {
      await kubelet.stop();
      await cp.stop();
      if (kubelet.errors.length)
        console.log(`host kubelet errors (last ${kubelet.errors.length}):\n${kubelet.errors.join("\n")}`);
    },
  };
}

/**
 * The global setup: a fresh control plane for the run, or, with RP_ATTACH=<file>, the one
 * real/dev.ts keeps running (its context file), left running at the end.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (process.env.RP_ATTACH) {
    const context = JSON.parse(fs.readFileSync(process.env.RP_ATTACH, "utf8")) as RealContext;
    copyProject(context.projectDir); // the repository as it is now
    project.provide("real", context);
    return async () => undefined;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rp-real-"));
  const { context, stop } = await startReal(dir);
  project.provide("real", context);
  console.log(`real control plane ready in ${(context.startupMs / 1000).toFixed(1)} s; files in ${dir}`);
  return async () => {
    await stop();
    if (process.env.RP_KEEP) console.log(`kept ${dir}`);
    else fs.rmSync(dir, { recursive: true, force: true });
  };
}
