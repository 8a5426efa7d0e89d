/**
 * The test stack: the program in a project copy, applied by the real Pulumi engine and the
 * Kubernetes provider built from Go modules, with a local file backend and no plugin
 * download, to the real control plane (stack `real`, mode existing: Pulumi.real.yaml).
 */
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { tsNodeArgv } from "../plan/nodeArgs";
import { component, type ControlPlaneClient } from "./controlPlane";
import { type OpResult, type Step } from "./stackOp";

export type { OpResult, Step };
export const STACK = "real";

export class TestStack {
  private n = 0;

  private readonly env: NodeJS.ProcessEnv;

  constructor(
    readonly projectDir: string,
    readonly cp: ControlPlaneClient,
    /** Backend, Pulumi home and operation logs. */
    readonly stateDir: string,
  ) {
    fs.mkdirSync(path.join(stateDir, "backend"), { recursive: true });
    this.env = {
      ...process.env,
      PATH: [
        path.join(component("pulumi"), "bin"),
        path.join(component("pulumi_kubernetes"), "bin"),
        process.env.PATH,
      ].join(path.delimiter),
      KUBECONFIG: cp.kubeconfig,
      PULUMI_BACKEND_URL: `file://${path.join(stateDir, "backend")}`,
      PULUMI_HOME: path.join(stateDir, "home"),
      PULUMI_CONFIG_PASSPHRASE: "real-control-plane",
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
      PULUMI_SKIP_UPDATE_CHECK: "true",
      PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: "true",
    };
  }

  preview(): Promise<OpResult & { log: string }> {
    return this.run("preview");
  }

  up(): Promise<OpResult & { log: string }> {
    return this.run("up");
  }

  destroy(): Promise<OpResult & { log: string }> {
    return this.run("destroy");
  }

  /** The resources in the stack's state (the file backend's checkpoint): type, URN, inputs. */
  resources(): { type: string; urn: string; inputs: Record<string, any> }[] {
    const file = path.join(this.stateDir, "backend", ".pulumi", "stacks", "ray-platform", `${STACK}.json`);
    if (!fs.existsSync(file)) return [];
    return JSON.parse(fs.readFileSync(file, "utf8")).checkpoint.latest?.resources ?? [];
  }

  /** Runs one operation in a process of its own; the result, and the path of its log. */
  private run(op: string): Promise<OpResult & { log: string }> {
    const n = `${Date.now()}-${++this.n}`;
    const log = path.join(this.stateDir, `${n}-${op}.log`);
    const resultFile = path.join(this.stateDir, `${n}-${op}.json`);
    return new Promise((resolve, reject) => {
      execFile(
        process.execPath,
        // The program runs in this process (inline), with the node options the language host would give it.
        tsNodeArgv(this.projectDir, path.join(this.projectDir, "real", "stackOp.ts"), [
          this.projectDir,
          STACK,
          op,
          resultFile,
        ]),
        { env: this.env, cwd: this.projectDir, maxBuffer: 256 * 1024 * 1024 },
        (err, stdout, stderr) => {
          fs.writeFileSync(log, stdout + stderr);
          if (!fs.existsSync(resultFile))
            return reject(
              new Error(
                `pulumi ${op} did not finish (${err?.message ?? "no result"}); see ${log}:\n${(stdout + stderr).slice(-3000)}`,
              ),
            );
          resolve({ ...(JSON.parse(fs.readFileSync(resultFile, "utf8")) as OpResult), log });
        },
      );
    });
  }
}

/** What an operation did, in one line per resource that changed: for a failing assertion's message. */
export function changed(r: OpResult): string {
  return r.steps
    .filter((s) => s.op !== "same" && s.op !== "refresh")
    .map(
      (s) =>
        `${s.op} ${s.urn.split("::").slice(-2).join("::")}${s.diffs.length ? ` (${s.diffs.join(", ")})` : ""}`,
    )
    .join("\n");
}
