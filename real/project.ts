/**
 * A checkout of the project for one test run, as a platform engineer has it: the tracked
 * files copied (so scenarios may edit and remove team files), node_modules shared.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

export const REPO = path.resolve(__dirname, "..");

/** Copies the repository's files (tracked and new, not ignored) to `dest`, over what is there; returns `dest`. */
export function copyProject(dest: string): string {
  const files = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
    cwd: REPO,
    encoding: "utf8",
  })
    .split("\0")
    .filter(Boolean);
  for (const f of files) {
    const from = path.join(REPO, f);
    if (!fs.existsSync(from)) continue; // deleted in the work tree
    fs.mkdirSync(path.dirname(path.join(dest, f)), { recursive: true });
    fs.copyFileSync(from, path.join(dest, f));
  }
  // One node_modules, so that one copy of @pulumi/pulumi is loaded.
  if (!fs.existsSync(path.join(dest, "node_modules")))
    fs.symlinkSync(path.join(REPO, "node_modules"), path.join(dest, "node_modules"), "dir");
  return dest;
}

/** Team files of a project copy, to edit in scenarios. */
export class TeamFiles {
  constructor(readonly dir: string) {}

  read(team: string): string {
    return fs.readFileSync(this.file(team), "utf8");
  }

  write(team: string, text: string): void {
    fs.writeFileSync(this.file(team), text);
  }

  /** Moves a team file away; returns a function that puts it back. */
  remove(team: string): () => void {
    const text = this.read(team);
    fs.rmSync(this.file(team));
    return () => this.write(team, text);
  }

  private file(team: string): string {
    return path.join(this.dir, `${team}.yaml`);
  }
}
