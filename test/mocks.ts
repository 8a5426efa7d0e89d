/**
 * The one test helper for the mock engine: runs the real program (index.ts) for a stack, the
 * way the Pulumi engine would, and returns every registered resource.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { threadId } from "node:worker_threads";
import { inject, vi } from "vitest";
import { ConfigError, formatIssue } from "../config/errors";
import { loadPlatformConfig, type PlatformConfig } from "../config/load";
import { type PlatformView } from "../config/view";
import { platformView } from "../plan/model";
import { prices } from "../cost/prices";
import {
  evaluate,
  type Evaluation,
  EvaluationFailed,
  isSecretValue,
  type MockCloud,
  type RegisteredResource,
  stackConfigFromText,
} from "../plan/engine";
import { defined, only } from "./defined";

export const PROJECT_DIR = path.join(__dirname, "..");
export type { RegisteredResource };

export interface RunOptions {
  stack?: string;
  /** Config values over the stack file ("ray-platform:teamsDir" -> "/tmp/..."); objects as JSON. */
  config?: Record<string, string>;
  /** What exists in the cloud before the run (e.g. a bucket kept from a removed team). */
  cloud?: MockCloud;
}

/** Evaluate index.ts afresh under the mock engine. */
export function runProgram(opts: RunOptions = {}): Promise<Evaluation> {
  return evaluate({
    stack: opts.stack ?? "dev",
    projectDir: PROJECT_DIR,
    configOverrides: opts.config,
    cloud: opts.cloud,
    loadProgram: async () => {
      vi.resetModules();
      return import("../index");
    },
  });
}

/** A stack's evaluation as data: what the plan's --json holds (resources, outputs, the view). */
export interface StackPlan {
  readonly resources: RegisteredResource[];
  readonly outputs: Record<string, unknown>;
  /** The platform as the plan and the PR report see it (plan/model.ts), from the validated configuration. */
  readonly view: PlatformView;
}

/**
 * A stack of the repo (dev by default, or kind) as runProgram evaluates it, evaluated about once
 * per test run: the first file to ask leaves it in the run's cache directory
 * (test/stackCache.ts) for the others (two workers that start together may both evaluate it).
 * Every caller, the first included, gets it through the same JSON round trip, as data only (the
 * configuration's classes stay out: the view is made from it first), so no test depends on
 * which file ran first. Without that setup (the mutation runs, whose mutants must reach the
 * evaluation) it evaluates afresh. Tests about the evaluation itself, or that change the
 * stack, use runProgram.
 */
export async function sharedStack(stack: "dev" | "kind" = "dev"): Promise<StackPlan> {
  const dir = inject("stackCacheDir") as string | undefined;
  const file = dir && path.join(dir, `${stack}.json`);
  if (file && fs.existsSync(file)) return JSON.parse(fs.readFileSync(file, "utf8")) as StackPlan;
  const ev = await runProgram({ stack });
  if (!ev.config) throw new Error(`the ${stack} stack's program returned no configuration`);
  const text = JSON.stringify({
    resources: ev.resources,
    outputs: ev.outputs,
    view: platformView(ev.config, ev.resources),
  });
  if (file) {
    // Written whole, then renamed: a file in the other worker never reads half of it.
    const partial = `${file}.${process.pid}.${threadId}`;
    fs.writeFileSync(partial, text);
    fs.renameSync(partial, file);
  }
  return JSON.parse(text) as StackPlan;
}

/** Evaluate a program that must fail; returns the error message and what was registered before it. */
export async function runProgramFailing(
  opts: RunOptions = {},
): Promise<{ message: string; resources: RegisteredResource[] }> {
  try {
    await runProgram(opts);
  } catch (err) {
    if (err instanceof EvaluationFailed) return { message: err.message, resources: err.resources };
    throw err;
  }
  throw new Error("the program was expected to fail but succeeded");
}

export function ofType(resources: readonly RegisteredResource[], type: string): RegisteredResource[] {
  return resources.filter((r) => r.type === type);
}

/** The single resource of `type` named `name`; fails loudly otherwise. */
export function one(
  resources: readonly RegisteredResource[],
  type: string,
  name: string,
): RegisteredResource {
  const found = resources.filter((r) => r.type === type && r.name === name);
  const [first, ...more] = found;
  if (first === undefined || more.length > 0)
    throw new Error(
      `expected one ${type} named ${name}, found ${found.length}: ${ofType(resources, type)
        .map((r) => r.name)
        .join(", ")}`,
    );
  return first;
}

/**
 * What a ClusterRole of the plan (by resource name, e.g. "tenancy-ray-user") grants on `resource`
 * of API group `group`: the verbs of every rule naming both, in rule order.
 */
export function clusterRoleVerbs(
  resources: readonly RegisteredResource[],
  role: string,
): (group: string, resource: string) => string[] {
  const { rules } = one(resources, "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole", role).inputs;
  return (group, resource) =>
    rules
      .filter((r: any) => r.apiGroups.includes(group) && r.resources.includes(resource))
      .flatMap((r: any) => r.verbs);
}

/** Kubernetes object of `type` by metadata namespace/name. */
export function k8sObject(
  resources: readonly RegisteredResource[],
  type: string,
  namespace: string | undefined,
  name: string,
): Record<string, any> {
  const found = ofType(resources, type).filter((r) => {
    const meta = (r.inputs as any).metadata ?? {};
    return meta.name === name && meta.namespace === namespace;
  });
  return only(found, `${type} ${namespace ?? ""}/${name}`).inputs;
}

/**
 * Every URN created before `urn`: its dependencies and its parent's, transitively. The SDK
 * registers a resource only once they have all registered (@pulumi/pulumi runtime/resource.js
 * prepareResource awaits each dependency's URN and the parent's), and the engine waits for them.
 */
export function createdBefore(resources: readonly RegisteredResource[], urn: string): Set<string> {
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const seen = new Set<string>();
  const visit = (u: string) => {
    const r = defined(byUrn.get(u), `a registered resource ${u}`);
    for (const d of [...r.options.dependsOn, ...(r.parent ? [r.parent] : [])]) {
      if (seen.has(d)) continue;
      seen.add(d);
      visit(d);
    }
  };
  visit(urn);
  return seen;
}

/** A fresh directory of team files: the repo's teams/ plus `files` (name -> YAML, null to delete). */
export function teamsDir(
  files: Record<string, string | null> = {},
  opts: { withRepoTeams?: boolean } = {},
): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ray-platform-teams-"));
  if (opts.withRepoTeams !== false) {
    for (const f of fs.readdirSync(path.join(PROJECT_DIR, "teams")))
      fs.copyFileSync(path.join(PROJECT_DIR, "teams", f), path.join(dir, f));
  }
  for (const [name, text] of Object.entries(files)) {
    if (text === null) fs.rmSync(path.join(dir, name));
    else fs.writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

/**
 * A frozen copy of the dev stack file and its teams (test/fixtures/stack/), for tests that
 * assert file positions or edit the example text: editing Pulumi.dev.yaml or teams/ leaves them
 * alone. Tests about the shipped examples themselves read the repo's files.
 */
export const FIXTURE_STACK_DIR = path.join(__dirname, "fixtures", "stack");
export const FIXTURE_TEAMS_DIR = path.join(FIXTURE_STACK_DIR, "teams");
export const fixtureText = (file: string): string =>
  fs.readFileSync(path.join(FIXTURE_STACK_DIR, file), "utf8");

/** The on-demand hourly price of a machine type or a GPU in us-central1 (the dev stack's region). */
export function onDemandHourly(kind: "machines" | "gpus", name: string): number {
  const region = defined(prices().regions["us-central1"], "us-central1 in data/gke-prices.yaml");
  return defined(region[kind][name], `a us-central1 price for ${name} in data/gke-prices.yaml`).onDemand;
}

/** A copy of the project in `dir` (node_modules linked) whose dev stack and teams are the fixture's. */
export function projectWithFixtureStack(dir: string): void {
  const skip = (src: string) =>
    /(^|\/)(node_modules|\.git)(\/|$)|^test(\/|$)/.test(path.relative(PROJECT_DIR, src));
  fs.cpSync(PROJECT_DIR, dir, { recursive: true, filter: (src) => !skip(src) });
  fs.symlinkSync(path.join(PROJECT_DIR, "node_modules"), path.join(dir, "node_modules"));
  fs.rmSync(path.join(dir, "teams"), { recursive: true });
  fs.cpSync(FIXTURE_TEAMS_DIR, path.join(dir, "teams"), { recursive: true });
  fs.copyFileSync(path.join(FIXTURE_STACK_DIR, "Pulumi.dev.yaml"), path.join(dir, "Pulumi.dev.yaml"));
}

export interface LoadOptions {
  /** The fixture stack and teams (FIXTURE_STACK_DIR) instead of the repo's; stackFileText and teams still win. */
  fixture?: boolean;
  /** A directory of team files, instead of the stack's teamsDir. */
  teams?: string;
  stack?: string;
  /** Config values over the stack file ("ray-platform:nodePools" -> [...]); objects as JSON. */
  overrides?: Record<string, unknown>;
  /** Replaces the stack file (values and the lines messages point at). */
  stackFileText?: string;
}

/**
 * Load (not run) the configuration of a stack the way index.ts does, from the repo's
 * Pulumi.yaml and the stack file; throws ConfigError when it has problems. Pure: no Pulumi.
 */
export function loadConfig(opts: LoadOptions = {}): PlatformConfig {
  const stack = opts.stack ?? "dev";
  const stackFileText =
    opts.stackFileText ??
    fs.readFileSync(
      path.join(opts.fixture ? FIXTURE_STACK_DIR : PROJECT_DIR, `Pulumi.${stack}.yaml`),
      "utf8",
    );
  const config = stackConfigFromText(
    fs.readFileSync(path.join(PROJECT_DIR, "Pulumi.yaml"), "utf8"),
    stackFileText,
  );
  const teams = teamsOf(opts);
  for (const [k, v] of Object.entries({
    ...opts.overrides,
    ...(teams ? { "ray-platform:teamsDir": teams } : {}),
  })) {
    config[k] = typeof v === "string" ? v : JSON.stringify(v);
  }
  return loadPlatformConfig({ stack, config, stackFileText, projectDir: PROJECT_DIR });
}

const teamsOf = (opts: LoadOptions) => opts.teams ?? (opts.fixture ? FIXTURE_TEAMS_DIR : undefined);

/** The problem lines of loadConfig(opts), or [] when the configuration is valid. */
export function configProblems(opts: LoadOptions = {}): string[] {
  try {
    loadConfig(opts);
    return [];
  } catch (err) {
    // Temporary team directories are shown as teams/, like the repo's own.
    if (err instanceof ConfigError)
      return err.issues.map((i) =>
        formatIssue(i)
          .split(teamsOf(opts) ?? "\0")
          .join("teams"),
      );
    throw err;
  }
}

/**
 * Inputs with every secret replaced by "[secret]": a cluster's token is new on every run (only
 * the first is applied, components/rayCluster.ts), so two runs compare equal without it.
 */
export function withoutSecrets(input: unknown): unknown {
  if (isSecretValue(input)) return "[secret]";
  if (Array.isArray(input)) return input.map(withoutSecrets);
  if (input && typeof input === "object")
    return Object.fromEntries(Object.entries(input).map(([k, v]) => [k, withoutSecrets(v)]));
  return input;
}

/** The value inside a secret input, after checking it is one. */
export function secretValue(input: unknown): unknown {
  if (!isSecretValue(input)) throw new Error(`expected a secret, got ${JSON.stringify(input).slice(0, 80)}`);
  return input.value;
}

/** A valid team file (vision.yaml) that the bad-input tests break one way at a time. */
export const GOOD_TEAM = fs.readFileSync(path.join(__dirname, "fixtures", "vision.yaml"), "utf8");

/** Problems when vision.yaml (next to the repo's teams) has `text`. */
export function teamProblems(text: string | Buffer, file = "vision.yaml"): string[] {
  const dir = teamsDir();
  fs.writeFileSync(path.join(dir, file), text);
  return configProblems({ teams: dir });
}
