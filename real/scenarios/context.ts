/**
 * What every scenario shares: the control plane as its test users, the stack, the project
 * copy's team files, and `deployed()`, which brings the stack to the repository's team files
 * (a scenario that changed them puts them back), so that each scenario also runs alone.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { inject } from "vitest";
import { ControlPlaneClient } from "../controlPlane";
import { TeamFiles } from "../project";
import { changed, type OpResult, STACK, TestStack } from "../stack";

export const real = inject("real");
export const cp = new ControlPlaneClient(real.controlPlane);
export const stack = new TestStack(real.projectDir, cp, real.stateDir);
export const teams = new TeamFiles(path.join(real.projectDir, "teams"));

const PRISTINE = path.join(real.stateDir, "pristine-teams.json");
/** What the stack last deployed: the stack and team files' text, or "destroyed". */
const LAST_DEPLOYED = path.join(real.stateDir, "last-deployed.json");

const readTeams = (): Record<string, string> =>
  Object.fromEntries(
    fs
      .readdirSync(teams.dir)
      .sort()
      .map((f) => [f, fs.readFileSync(path.join(teams.dir, f), "utf8")]),
  );
/** What the program's outcome depends on, but the team files: its sources, data and stack file (a hash). */
function programHash(): string {
  const hash = createHash("sha256");
  const walk = (dir: string) => {
    for (const e of fs
      .readdirSync(dir, { withFileTypes: true })
      .sort((a, b) => a.name.localeCompare(b.name))) {
      if (["node_modules", "teams", ".git"].includes(e.name)) continue;
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) hash.update(p).update(fs.readFileSync(p));
    }
  };
  for (const d of [
    "index.ts",
    "components",
    "config",
    "render",
    "data",
    "tutorials",
    `Pulumi.${STACK}.yaml`,
    "Pulumi.yaml",
  ]) {
    const p = path.join(real.projectDir, d);
    if (fs.statSync(p).isDirectory()) walk(p);
    else hash.update(p).update(fs.readFileSync(p));
  }
  return hash.digest("hex");
}
/** The inputs of a deploy: the program and the team files. */
const deployInputs = () => JSON.stringify({ program: programHash(), teams: readTeams() });

/** The repository's team files, as they were when the run started. */
function pristineTeams(): Record<string, string> {
  if (!fs.existsSync(PRISTINE)) {
    fs.mkdirSync(real.stateDir, { recursive: true });
    fs.writeFileSync(PRISTINE, JSON.stringify(readTeams()));
  }
  return JSON.parse(fs.readFileSync(PRISTINE, "utf8"));
}

/** Puts the repository's team files back in the project copy. */
export function restoreTeams(): void {
  const files = pristineTeams();
  for (const f of fs.readdirSync(teams.dir)) fs.rmSync(path.join(teams.dir, f));
  for (const [f, text] of Object.entries(files)) fs.writeFileSync(path.join(teams.dir, f), text);
}

/** The stack deployed from the repository's team files; `up` only when it is not already. */
export async function deployed(): Promise<void> {
  restoreTeams();
  const last = fs.existsSync(LAST_DEPLOYED) ? fs.readFileSync(LAST_DEPLOYED, "utf8") : "";
  if (last === deployInputs()) return;
  await up();
}

/** `pulumi up` of the team files as they are now, which must succeed; its result. */
export async function up(): Promise<OpResult> {
  const files = deployInputs();
  fs.rmSync(LAST_DEPLOYED, { force: true });
  const r = await stack.up();
  if (!r.ok) throw new Error(`pulumi up failed: ${r.error}\nsee ${r.log}`);
  fs.writeFileSync(LAST_DEPLOYED, files);
  return r;
}

/** `pulumi destroy`, which must succeed. */
export async function destroy(): Promise<OpResult> {
  fs.writeFileSync(LAST_DEPLOYED, "destroyed");
  const r = await stack.destroy();
  if (!r.ok) throw new Error(`pulumi destroy failed: ${r.error}\nsee ${r.log}`);
  return r;
}

export interface Planned {
  type: string;
  name: string;
  urn: string;
  inputs: Record<string, any>;
  options: Record<string, any>;
}

/** The offline plan of the project copy as it is now (npm run plan -- --stack real --json). */
export function offlinePlan(): Planned[] {
  const file = path.join(real.stateDir, `plan-${Date.now()}.json`);
  execFileSync(
    path.join(real.projectDir, "node_modules", ".bin", "tsx"),
    ["plan/cli.ts", "--stack", STACK, "--json", file, "--quiet"],
    { cwd: real.projectDir, stdio: "pipe" },
  );
  return JSON.parse(fs.readFileSync(file, "utf8")).resources;
}

/** The running head pod of a cluster (KubeRay's labels), once there is one. */
export async function headPod(namespace: string, cluster: string): Promise<any> {
  let pod: any;
  await cp.waitFor(
    `${namespace}/${cluster}'s head running`,
    async () => {
      const pods = (
        await cp.api("admin").get(`/api/v1/namespaces/${namespace}/pods`, {
          labelSelector: `ray.io/cluster=${cluster},ray.io/node-type=head`,
        })
      ).items;
      pod = pods.find((p: any) => p.status.phase === "Running" && !p.metadata.deletionTimestamp);
      return !!pod;
    },
    120_000,
  );
  return pod;
}

export { changed };
