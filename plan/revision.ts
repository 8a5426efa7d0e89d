/**
 * The plan of the program at another git revision: its files are exported to a temporary
 * directory (`git archive`, the repository is not touched) and planned in a child process by
 * that revision's own `npm run plan` (its engine and view, this tree's node_modules). Revisions
 * are compared by data, the plan JSON each writes; no code of the other revision is loaded here.
 *
 * A base's plan is kept (gzipped) under the user's cache directory, by what decides it: the
 * revision's tree, this checkout's package-lock.json, node's version and the stack. Pull
 * requests against one main, and every `--diff` while a change is worked on, plan the base once.
 */
import { type ChildProcess, execFile, execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { pipeline } from "node:stream/promises";
import * as zlib from "node:zlib";
import { cacheKey, discardPart, userCacheDir } from "../config/userCache";
import { type PlatformView } from "../config/view";
import { type RegisteredResource, UsageError } from "./engine";
import { EMPTY_VIEW } from "./model";
import { tsNodeArgv } from "./nodeArgs";

/** The base revision could not be planned: its configuration is invalid, or its program fails. */
export class BaseRevisionFailed extends Error {}

interface RevisionPlan {
  /** Empty when the stack did not exist at that revision. */
  readonly resources: RegisteredResource[];
  /** The platform as that revision's configuration describes it; undefined when its plan JSON carries no view (a revision before it). */
  readonly view?: PlatformView;
  readonly note?: string;
  /** True when it was read from the cache rather than planned. */
  readonly cached?: boolean;
}

/** Base plans kept; each is a few MB (the plan JSON of 1000 teams, 90 MB, gzips to about 4 MB). */
const CACHE_ENTRIES = 8;

const git = (projectDir: string, ...args: string[]) =>
  execFileSync("git", ["-C", projectDir, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });

/** The commit a revision names; a UsageError when there is none. */
export function resolveRevision(ref: string, projectDir: string): string {
  try {
    return git(projectDir, "rev-parse", "--verify", `${ref}^{commit}`).trim();
  } catch {
    throw new UsageError(
      `--diff ${ref}: no such git revision here; fetch it first (e.g. git fetch origin main).`,
    );
  }
}

/**
 * The plan at `commit`, in a child process: started before the head's own evaluation, the two
 * run in parallel. Rejects with BaseRevisionFailed (its errors, never a stack trace) when the
 * revision does not evaluate.
 */
export async function planAtRevision(
  commit: string,
  projectDir: string,
  stack: string,
  { fresh = false }: { fresh?: boolean } = {},
): Promise<RevisionPlan> {
  // The project may be a subdirectory of the repository.
  const prefix = git(projectDir, "rev-parse", "--show-prefix").trim();
  const cached = baseCacheFile(projectDir, commit, prefix, stack);
  if (!fresh) {
    const plan = await readCachedPlan(cached);
    if (plan) return plan;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ray-platform-base-"));
  try {
    // Piped and asynchronous: the head's evaluation goes on meanwhile (half a second at 1000 teams).
    await exportRevision(projectDir, commit, prefix || ".", dir);
    const baseDir = path.join(dir, prefix);
    const cli = path.join(baseDir, "plan", "cli.ts");
    if (
      !fs.existsSync(path.join(baseDir, `Pulumi.${stack}.yaml`)) ||
      !fs.existsSync(path.join(baseDir, "index.ts"))
    ) {
      return {
        resources: [],
        view: EMPTY_VIEW,
        note: `stack ${stack} does not exist at ${commit.slice(0, 12)}; everything is new`,
      };
    }
    if (!fs.existsSync(cli))
      throw new BaseRevisionFailed(
        `the base revision ${commit.slice(0, 12)} has no plan/cli.ts: it predates the offline plan, so there is no plan to compare with.`,
      );
    if (!fs.existsSync(path.join(baseDir, "node_modules")))
      fs.symlinkSync(path.join(projectDir, "node_modules"), path.join(baseDir, "node_modules"), "dir");
    const json = path.join(dir, "base-plan.json");
    const child = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        // With the base's own node options (Pulumi.yaml), as its `npm run plan` would run.
        tsNodeArgv(baseDir, cli, ["--stack", stack, "--json", json, "--quiet"]),
        { encoding: "utf8", cwd: baseDir, maxBuffer: 1 << 30 },
        (err, _stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stderr }),
      );
    });
    if (child.code === 1 && /the configuration has \d+ problems?/.test(child.stderr)) {
      throw new BaseRevisionFailed(
        `the base revision ${commit.slice(0, 12)} does not evaluate: its configuration is invalid, so there is nothing to compare with.\n${child.stderr.trim()}`,
      );
    }
    if (child.code !== 0) {
      // The first line of the error, not its stack: the base's program is not under review.
      const first = child.stderr.split("\n").find((l) => l.trim() !== "" && !/^\s+at /.test(l)) ?? "";
      throw new BaseRevisionFailed(
        `the base revision ${commit.slice(0, 12)} does not evaluate (exit ${child.code}): ${first.trim()}\nCheck it out and run npm run plan there to see why; compare with another revision meanwhile.`,
      );
    }
    // Compressed on the thread pool while the JSON is parsed here.
    const storing = store(json, cached);
    const plan = parsePlan(fs.readFileSync(json, "utf8"));
    await storing;
    return plan;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function parsePlan(text: string): RevisionPlan {
  const plan = JSON.parse(text) as { resources: RegisteredResource[]; view?: PlatformView };
  return { resources: plan.resources, view: plan.view };
}

/** The cache directory of base plans: ${XDG_CACHE_HOME:-~/.cache}/ray-platform/base-plans. */
export function baseCacheDir(): string {
  return userCacheDir("base-plans");
}

/**
 * The cache file of a base's plan, named by everything that decides it: the revision's tree
 * (two commits with the same files share it), the dependencies this checkout installs (its
 * package-lock.json; the base runs on this tree's node_modules), node's version and the stack.
 */
export function baseCacheFile(projectDir: string, commit: string, prefix: string, stack: string): string {
  const tree = git(projectDir, "rev-parse", `${commit}:${prefix}`).trim();
  const lockFile = path.join(projectDir, "package-lock.json");
  const lock = fs.existsSync(lockFile) ? fs.readFileSync(lockFile) : "";
  return path.join(baseCacheDir(), `${cacheKey(tree, lock, process.version, stack)}.json.gz`);
}

/** The cached plan, or undefined when there is none or it does not read (then it is planned again). */
export async function readCachedPlan(file: string): Promise<RevisionPlan | undefined> {
  let text: string;
  try {
    text = (await gunzip(await fs.promises.readFile(file))).toString("utf8");
  } catch {
    return undefined;
  }
  try {
    const plan = parsePlan(text);
    if (!Array.isArray(plan.resources)) return undefined;
    // Most recently used is kept longest.
    const now = new Date();
    fs.utimesSync(file, now, now);
    return { ...plan, cached: true };
  } catch {
    return undefined;
  }
}

const gunzip = (data: Buffer) =>
  new Promise<Buffer>((resolve, reject) =>
    zlib.gunzip(data, (err, out) => (err ? reject(err) : resolve(out))),
  );

/**
 * Keeps a base's plan JSON as `file` (written aside and renamed: a reader never sees half of
 * it), and the newest CACHE_ENTRIES plans. A cache that cannot be written costs the next
 * --diff a plan, nothing else, so its errors are not the comparison's.
 */
async function store(json: string, file: string): Promise<void> {
  const part = `${file}.${process.pid}.part`;
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    await pipeline(fs.createReadStream(json), zlib.createGzip({ level: 1 }), fs.createWriteStream(part));
    fs.renameSync(part, file);
    const dir = path.dirname(file);
    const entries = fs
      .readdirSync(dir)
      .filter((f) => f.endsWith(".json.gz"))
      .map((f) => ({ f, at: fs.statSync(path.join(dir, f)).mtimeMs }))
      .sort((a, b) => b.at - a.at);
    for (const { f } of entries.slice(CACHE_ENTRIES)) fs.rmSync(path.join(dir, f), { force: true });
  } catch {
    discardPart(part);
  }
}

/** `git archive <commit> <path> | tar -x -C <dir>`, without holding the archive in memory. */
function exportRevision(projectDir: string, commit: string, pathInRepo: string, dir: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const git = spawn("git", ["-C", projectDir, "archive", "--format=tar", commit, pathInRepo], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    const tar = spawn("tar", ["-x", "-C", dir], { stdio: ["pipe", "ignore", "pipe"] });
    git.stdout.pipe(tar.stdin);
    // A program that cannot start (no git, no tar) says so in an error event.
    git.on("error", reject);
    tar.on("error", reject);
    const stderr = { git: "", tar: "" };
    git.stderr.on("data", (d) => (stderr.git += d));
    tar.stderr.on("data", (d) => (stderr.tar += d));
    const exited = (p: ChildProcess) => new Promise<number | null>((done) => p.on("close", done));
    Promise.all([exited(git), exited(tar)]).then(([gitCode, tarCode]) => {
      if (gitCode === 0 && tarCode === 0) resolve();
      else
        reject(
          new Error(
            `could not export ${commit.slice(0, 12)} to compare with (git archive exit ${gitCode}, tar exit ${tarCode}): ${(stderr.git + stderr.tar).trim()}; check that \`git archive ${commit.slice(0, 12)} | tar -t\` works here.`,
          ),
        );
    }, reject);
  });
}
