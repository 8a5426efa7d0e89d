/**
 * The plan of the program at another git revision: its files are exported to a temporary
 * directory (`git archive`, the repository is not touched) and planned in a child process
 * with this tree's engine and node_modules, so the two plans never share a module cache.
 */
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { type RegisteredResource, UsageError } from "./engine";

export interface RevisionPlan {
  /** Empty when the stack did not exist at that revision. */
  readonly resources: RegisteredResource[];
  readonly note?: string;
}

const git = (projectDir: string, ...args: string[]) => execFileSync("git", ["-C", projectDir, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });

/** The commit a revision names; a UsageError when there is none. */
export function resolveRevision(ref: string, projectDir: string): string {
  try {
    return git(projectDir, "rev-parse", "--verify", `${ref}^{commit}`).trim();
  } catch {
    throw new UsageError(`--diff ${ref}: no such git revision here; fetch it first (e.g. git fetch origin main).`);
  }
}

export function planAtRevision(commit: string, projectDir: string, stack: string): RevisionPlan {
  // The project may be a subdirectory of the repository.
  const prefix = git(projectDir, "rev-parse", "--show-prefix").trim();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ray-platform-base-"));
  try {
    const archive = execFileSync("git", ["-C", projectDir, "archive", "--format=tar", commit, prefix || "."], { maxBuffer: 1 << 30 });
    execFileSync("tar", ["-x", "-C", dir], { input: archive });
    const baseDir = path.join(dir, prefix);
    if (!fs.existsSync(path.join(baseDir, `Pulumi.${stack}.yaml`)) || !fs.existsSync(path.join(baseDir, "index.ts"))) {
      return { resources: [], note: `stack ${stack} does not exist at ${commit.slice(0, 12)}; everything is new` };
    }
    if (!fs.existsSync(path.join(baseDir, "node_modules"))) fs.symlinkSync(path.join(projectDir, "node_modules"), path.join(baseDir, "node_modules"), "dir");
    const json = path.join(dir, "base-plan.json");
    const child = spawnSync(
      process.execPath,
      [require.resolve("tsx/cli"), path.join(__dirname, "cli.ts"), "--project-dir", baseDir, "--stack", stack, "--json", json, "--quiet"],
      { encoding: "utf8", cwd: baseDir },
    );
    if (child.status !== 0) {
      throw new Error(`planning ${commit.slice(0, 12)} failed (exit ${child.status}); its configuration must be valid to compare against it:\n${child.stderr}`);
    }
    return { resources: JSON.parse(fs.readFileSync(json, "utf8")).resources };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
