/**
 * One measurement in a fresh process, so module caches, JIT state and the heap of one
 * measurement never leak into the next. Prints one JSON line on stdout:
 * { ms, maxRssKB, ... }.
 *
 *   validate <teamsDir>              loadPlatformConfig for the dev stack
 *   program  <teamsDir> [dumpFile]   the whole program under the mock engine (npm run plan)
 *   floor    <dumpFile>               the same resources registered directly, nothing else
 *   sdkfloor <dumpFile>               the same resources through the classes the program uses
 *                                     (the SDK's typed ones, its own for what every team
 *                                     registers), with its providers and dependencies: what
 *                                     the SDK costs, so the program's own share shows
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import * as pulumi from "@pulumi/pulumi";
import { type RegisteredResource } from "../plan/engine";

const PROJECT_DIR = path.join(__dirname, "..");
const STACK = "dev";

/** What the floor needs of each resource the program registered. */
interface DumpedResource {
  type: string;
  name: string;
  urn: string;
  parent?: string;
  custom: boolean;
  inputs: Record<string, unknown>;
  provider?: string;
  options: RegisteredResource["options"];
}

async function validate(teamsDir: string) {
  const { loadPlatformConfig } = await import("../config/load");
  const { readStackConfig } = await import("../plan/engine");
  const config = { ...readStackConfig(PROJECT_DIR, STACK), "ray-platform:teamsDir": teamsDir };
  const stackFileText = fs.readFileSync(path.join(PROJECT_DIR, `Pulumi.${STACK}.yaml`), "utf8");
  const t0 = performance.now();
  const cfg = loadPlatformConfig({ stack: STACK, config, stackFileText, projectDir: PROJECT_DIR });
  return { ms: performance.now() - t0, maxRssKB: process.resourceUsage().maxRSS, teams: cfg.teams.length };
}

async function program(teamsDir: string, dumpFile?: string) {
  const { evaluate } = await import("../plan/engine");
  let t0 = 0;
  const ev = await evaluate({
    stack: STACK,
    projectDir: PROJECT_DIR,
    configOverrides: { "ray-platform:teamsDir": teamsDir },
    loadProgram: () => {
      t0 = performance.now();
      return import(path.join(PROJECT_DIR, "index.ts"));
    },
  });
  const ms = performance.now() - t0;
  // Read before dumping: the dump's strings are the benchmark's, not the program's.
  const maxRssKB = process.resourceUsage().maxRSS;
  if (dumpFile) {
    const dumped: DumpedResource[] = ev.resources.map((r) => ({
      type: r.type,
      name: r.name,
      urn: r.urn,
      parent: r.parent,
      custom: r.custom,
      inputs: r.inputs,
      provider: r.provider,
      options: r.options,
    }));
    fs.writeFileSync(dumpFile, JSON.stringify(dumped));
  }
  const byType: Record<string, number> = {};
  for (const r of ev.resources) byType[r.type] = (byType[r.type] ?? 0) + 1;
  return { ms, maxRssKB, resources: ev.resources.length, byType };
}

/** An SDK resource class, as the floor calls it: inputs from the dump, untyped. */
type SdkClass = new (name: string, args: object, opts: pulumi.CustomResourceOptions) => pulumi.Resource;

/** The SDK class a resource type token names (a CustomResource for CRD kinds); undefined when none does. */
function sdkClass(
  type: string,
  k8s: typeof import("@pulumi/kubernetes"),
  gcp: typeof import("@pulumi/gcp"),
  lean: typeof import("../components/leanResources"),
): SdkClass | undefined {
  if (type === "pulumi:providers:kubernetes") return k8s.Provider;
  // The program's own classes for what every team registers (components/leanResources.ts).
  const own = lean.leanClasses.find((c) => c.type === type);
  if (own) return own as SdkClass;
  const [pkg, module = "", kind = ""] = type.split(":");
  const [group = "", version = ""] = module.split("/");
  // The SDKs' modules are lazily loaded properties: index them by name.
  const lookup = (ns: object, ...keys: string[]): SdkClass | undefined => {
    let at: unknown = ns;
    for (const k of keys) at = at && typeof at === "object" ? (at as Record<string, unknown>)[k] : undefined;
    return typeof at === "function" ? (at as SdkClass) : undefined;
  };
  if (pkg === "gcp") return lookup(gcp, group, kind);
  if (pkg !== "kubernetes") return undefined;
  // kubernetes:<group>/<version>:<Kind>: the SDK's module is the group's first label (rbac, networking, ...).
  const key = group === "helm.sh" ? "helm" : (group.split(".")[0] ?? "");
  return lookup(k8s, key, version, kind) ?? (k8s.apiextensions.CustomResource as SdkClass);
}

async function floor(dumpFile: string, withSdk = false) {
  const { startMockEngine, withoutStackTraces } = await import("../plan/engine");
  // Loaded before the clock starts, as @pulumi/pulumi is: the program's time includes its loading.
  const sdk = withSdk
    ? {
        k8s: await import("@pulumi/kubernetes"),
        gcp: await import("@pulumi/gcp"),
        lean: await import("../components/leanResources"),
      }
    : undefined;
  const dumped: DumpedResource[] = JSON.parse(fs.readFileSync(dumpFile, "utf8"));
  const byUrn = new Map(dumped.map((r) => [r.urn, r]));
  // The engine the plan uses (mocks and the recording of every registration), nothing else.
  const recorded = await startMockEngine(STACK);
  // CustomResource is abstract in the typings only.
  class Custom extends pulumi.CustomResource {}
  const t0 = performance.now();
  const created = new Map<string, pulumi.Resource>();
  // Parents first, so each child gets its parent object (and the program's URN).
  const create = (r: DumpedResource): pulumi.Resource => {
    let res = created.get(r.urn);
    if (res) return res;
    const parent = r.parent ? create(byUrn.get(r.parent)!) : undefined;
    if (!r.custom) res = new pulumi.ComponentResource(r.type, r.name, {}, { parent });
    else if (!sdk) res = new Custom(r.type, r.name, r.inputs, { parent });
    else {
      const SdkClass = sdkClass(r.type, sdk.k8s, sdk.gcp, sdk.lean);
      if (!SdkClass) throw new Error(`no SDK class for ${r.type}: teach bench/child.ts sdkClass its package`);
      // Dependencies registered before this resource, as in the program (the dump is in registration order).
      const dependsOn = r.options.dependsOn.flatMap((u) => created.get(u) ?? []);
      res = new SdkClass(r.name, r.inputs, {
        parent,
        provider: r.provider
          ? (created.get(r.provider.split("::")[0] ?? "") as pulumi.ProviderResource)
          : undefined,
        dependsOn,
        retainOnDelete: r.options.retainOnDelete,
        ignoreChanges: [...r.options.ignoreChanges],
      });
    }
    created.set(r.urn, res);
    return res;
  };
  // The same engine settings as the program's evaluation (plan/engine.ts), and the same pace:
  // the program yields after each team (about 20 resources), so the floor yields as often.
  await withoutStackTraces(async () => {
    for (const [i, r] of dumped.entries()) {
      create(r);
      if (i % 20 === 19) await new Promise((resolve) => setImmediate(resolve));
    }
    await pulumi.runtime.disconnect();
  });
  return { ms: performance.now() - t0, maxRssKB: process.resourceUsage().maxRSS, resources: recorded.length };
}

async function main([mode, a, b]: string[]) {
  const result =
    a === undefined
      ? undefined
      : mode === "validate"
        ? await validate(a)
        : mode === "program"
          ? await program(a, b)
          : mode === "floor" || mode === "sdkfloor"
            ? await floor(a, mode === "sdkfloor")
            : undefined;
  if (!result)
    throw new Error(`usage: child.ts validate|program|floor|sdkfloor <teamsDir|dumpFile> [dumpFile]`);
  process.stdout.write(`\n${JSON.stringify(result)}\n`);
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`${(err as Error).stack ?? err}\n`);
    process.exit(1);
  },
);
