/**
 * Runs the real program under Pulumi's in-process mock engine: no CLI, no credentials, no
 * network. Config comes from Pulumi.<stack>.yaml (and Pulumi.yaml's declared defaults), as the
 * CLI would pass it; every registered resource is recorded with its inputs, parent, provider
 * and resource options. Used by `npm run plan`, the tests and the benchmark.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { format } from "node:util";
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import { PLATFORM_CONFIG, type PlatformConfig } from "../config/load";

const PROJECT = "ray-platform";

export interface RegisteredResource {
  readonly type: string;
  readonly name: string;
  readonly urn: string;
  /** URN of the parent resource; undefined for top-level resources. */
  readonly parent?: string;
  readonly custom: boolean;
  /** Provider reference (`<urn>::<id>`) for custom resources given an explicit provider. */
  readonly provider?: string;
  readonly inputs: Record<string, any>;
  readonly options: {
    readonly protect: boolean;
    readonly retainOnDelete: boolean;
    readonly deleteBeforeReplace: boolean;
    readonly ignoreChanges: readonly string[];
    /** The `import` option: the ID of an existing cloud resource to adopt instead of creating. */
    readonly importId?: string;
    /** URNs this resource depends on explicitly (dependsOn) or through its inputs. */
    readonly dependsOn: readonly string[];
    /** Names it was registered under before (the `aliases` option, same parent and type). */
    readonly aliases?: readonly string[];
  };
}

export interface Evaluation {
  readonly resources: RegisteredResource[];
  /** The program's exports (stack outputs), resolved; secrets masked. */
  readonly outputs: Record<string, unknown>;
  /** The validated configuration the program returned (under PLATFORM_CONFIG); undefined for a program that returns none. */
  readonly config?: PlatformConfig;
  /** What the program logged (pulumi.log), as the engine would show it ("info: [runtime] ..."). */
  readonly logs: readonly string[];
}

interface EvaluateOptions {
  readonly stack: string;
  /** Directory holding Pulumi.yaml, Pulumi.<stack>.yaml and index.ts. */
  readonly projectDir: string;
  /** Config values set over the stack file's ("ns:key" -> string, objects as JSON). */
  readonly configOverrides?: Readonly<Record<string, string>>;
  /** Imports the program; must evaluate it afresh each time (tests reset their module cache). */
  readonly loadProgram: () => Promise<Record<string, unknown>>;
  /** What exists in the cloud before the run (default: nothing, as the offline plan assumes). */
  readonly cloud?: MockCloud;
}

/** Cloud resources the mock engine's lookups find. */
export interface MockCloud {
  /** Names of the GCS buckets in the project. */
  readonly buckets?: readonly string[];
}

/** Stack config as the Pulumi CLI hands it to the program: Pulumi.yaml defaults, then the stack file. */
export function readStackConfig(projectDir: string, stack: string): Record<string, string> {
  const file = path.join(projectDir, `Pulumi.${stack}.yaml`);
  if (!fs.existsSync(file))
    throw new UsageError(
      `no stack file ${path.relative(process.cwd(), file) || file}; stacks here: ${listStacks(projectDir).join(", ")}.`,
    );
  return stackConfigFromText(
    fs.readFileSync(path.join(projectDir, "Pulumi.yaml"), "utf8"),
    fs.readFileSync(file, "utf8"),
  );
}

/** The same, from the texts of Pulumi.yaml and Pulumi.<stack>.yaml. */
export function stackConfigFromText(projectYaml: string, stackYaml: string): Record<string, string> {
  const config: Record<string, string> = {};
  const project = parse(projectYaml) as { name: string; config?: Record<string, { default?: unknown }> };
  for (const [key, spec] of Object.entries(project.config ?? {})) {
    if (spec.default !== undefined)
      config[key.includes(":") ? key : `${project.name}:${key}`] = String(spec.default);
  }
  const stackConfig = (parse(stackYaml) as { config?: Record<string, unknown> } | null)?.config ?? {};
  for (const [key, value] of Object.entries(stackConfig)) {
    config[key] = typeof value === "string" ? value : JSON.stringify(value);
  }
  return config;
}

function listStacks(projectDir: string): string[] {
  return fs
    .readdirSync(projectDir)
    .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
    .filter((s): s is string => !!s)
    .sort();
}

export class UsageError extends Error {}

/** Whether `value` is a secret as Pulumi serializes it ({ <sig key>: <secret sig>, value }). */
export function isSecretValue(value: unknown): value is { value: unknown } {
  return (
    !!value &&
    typeof value === "object" &&
    (value as Record<string, unknown>)[pulumi.runtime.specialSigKey] === pulumi.runtime.specialSecretSig
  );
}

/** The program failed; `resources` holds what it registered before (for "nothing registered" checks). */
export class EvaluationFailed extends Error {
  constructor(
    readonly cause: unknown,
    readonly resources: RegisteredResource[],
  ) {
    super((cause as Error)?.message ?? String(cause));
  }
}

function firstDuplicateUrn(resources: readonly RegisteredResource[]): string | undefined {
  const seen = new Set<string>();
  for (const { urn } of resources) {
    if (seen.has(urn)) return urn;
    seen.add(urn);
  }
  return undefined;
}

/** Outputs the mock engine returns for resources whose outputs the program reads. */
function mockState(type: string, name: string, inputs: Record<string, any>): Record<string, unknown> {
  switch (type) {
    case "gcp:container/cluster:Cluster":
      return {
        ...inputs,
        endpoint: "203.0.113.10",
        masterAuth: { clusterCaCertificate: Buffer.from("mock CA certificate").toString("base64") },
        controlPlaneEndpointsConfig: {
          ...inputs.controlPlaneEndpointsConfig,
          dnsEndpointConfig: {
            ...inputs.controlPlaneEndpointsConfig?.dnsEndpointConfig,
            endpoint: `gke-0123456789abcdef-123456789012.${inputs.location}.gke.goog`,
          },
        },
        id: `projects/${inputs.project}/locations/${inputs.location}/clusters/${inputs.name}`,
      };
    case "gcp:serviceaccount/account:Account":
      return { ...inputs, email: `${inputs.accountId}@${inputs.project}.iam.gserviceaccount.com` };
    default:
      // The program reads nothing of a Kubernetes object but its metadata; echoing specs back
      // (a megabyte per CRD, kilobytes per RayCluster) costs seconds and memory at scale.
      if (type.startsWith("kubernetes:") && inputs.kind)
        return { apiVersion: inputs.apiVersion, kind: inputs.kind, metadata: inputs.metadata };
      return { ...inputs, name: inputs.name ?? name };
  }
}

/** Evaluate the program once; resolves when every registration has gone through. */
export async function evaluate(opts: EvaluateOptions): Promise<Evaluation> {
  const config = { ...readStackConfig(opts.projectDir, opts.stack), ...opts.configOverrides };
  pulumi.runtime.setAllConfig(config);
  const resources = await startMockEngine(opts.stack, opts.cloud);

  let asyncError: unknown;
  const onRejection = (err: unknown) => (asyncError ??= err);
  process.on("unhandledRejection", onRejection);
  // With no engine to send them to, the Pulumi SDK prints pulumi.log messages on the console
  // (@pulumi/pulumi log/index.js), where they would land in the middle of a plan on stdout:
  // the mock engine takes them, as the real one does, for its caller to show.
  const logs: string[] = [];
  const console_ = { log: console.log, info: console.info, warn: console.warn, error: console.error };
  const take = (...args: unknown[]) => void logs.push(format(...args));
  Object.assign(console, { log: take, info: take, warn: take, error: take });
  let evaluated = false;
  try {
    let outputs: Record<string | symbol, unknown>;
    try {
      outputs = await withoutStackTraces(async () => {
        // As the Pulumi runtime does: a program that exports a function is that function's result.
        const module = await opts.loadProgram();
        const main =
          typeof module.default === "function"
            ? module.default
            : typeof module === "function"
              ? module
              : undefined;
        const result = main ? ((await (main as () => Promise<Record<string, unknown>>)()) ?? {}) : module;
        await pulumi.runtime.disconnect();
        return result;
      });
    } catch (err) {
      throw new EvaluationFailed(err, resources);
    }
    if (asyncError) throw new EvaluationFailed(asyncError, resources);
    const duplicate = firstDuplicateUrn(resources);
    // The mock monitor takes both; the real engine stops at the second ("Duplicate resource URN").
    if (duplicate)
      throw new EvaluationFailed(
        new Error(
          `two resources share the URN ${duplicate}; the Pulumi engine refuses the deployment. Rename one of them (a team, cluster or pool name) so that their names differ.`,
        ),
        resources,
      );
    // resolveOutputs takes string keys only, as Pulumi does: the configuration is no output.
    const evaluation = {
      resources,
      outputs: await resolveOutputs(outputs),
      config: outputs[PLATFORM_CONFIG] as PlatformConfig | undefined,
      logs,
    };
    evaluated = true;
    return evaluation;
  } finally {
    Object.assign(console, console_);
    // A program that failed may have said why on the console: nobody else will show it.
    if (!evaluated) for (const line of logs) console.error(line);
    process.off("unhandledRejection", onRejection);
  }
}

/**
 * Runs `fn` without capturing stack traces, unless RAY_PLATFORM_PLAN_STACKS is set. The Pulumi
 * SDK takes a stack trace for every promise it makes, several per output of every resource:
 * at a thousand teams that was half the plan's time. Configuration errors carry no stack.
 */
export async function withoutStackTraces<T>(fn: () => Promise<T>): Promise<T> {
  if (process.env.RAY_PLATFORM_PLAN_STACKS) return fn();
  const [limit, sourceMaps, prepare] = [
    Error.stackTraceLimit,
    process.sourceMapsEnabled,
    Error.prepareStackTrace,
  ];
  Error.stackTraceLimit = 0;
  // Pulumi still takes the whole stack of every resource for its source position (it lifts the
  // limit itself: @pulumi/pulumi resource.js Resource.callsites), which the mock engine drops:
  // no frame is formatted, nor mapped back to TypeScript (tsx turns source maps on).
  process.setSourceMapsEnabled(false);
  Error.prepareStackTrace = () => "";
  try {
    return await fn();
  } finally {
    Error.stackTraceLimit = limit;
    process.setSourceMapsEnabled(sourceMaps);
    Error.prepareStackTrace = prepare;
  }
}

/**
 * Point the Pulumi runtime at the mock engine for `stack`; returns the list every registration
 * is recorded into. The benchmark's floor uses the same engine.
 */
export async function startMockEngine(stack: string, cloud: MockCloud = {}): Promise<RegisteredResource[]> {
  const resources: RegisteredResource[] = [];
  // Inputs arrive deserialized in newResource; the request (parent, options) in the monitor.
  let inputs: Record<string, unknown> = {};
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        inputs = args.inputs;
        const state = mockState(args.type, args.name, args.inputs);
        return { id: typeof state.id === "string" ? state.id : `${args.name}-id`, state };
      },
      call: (args) => {
        switch (args.token) {
          case "gcp:organizations/getProject:getProject":
            return { ...args.inputs, number: "123456789012" };
          case "gcp:storage/getBuckets:getBuckets": {
            // As the provider lists them: the buckets whose names start with the prefix.
            const names = (cloud.buckets ?? []).filter((n) => n.startsWith(args.inputs.prefix ?? ""));
            return {
              ...args.inputs,
              id: `${args.inputs.project}/${args.inputs.prefix ?? ""}`,
              buckets: names.map((name) => ({ name })),
            };
          }
          default:
            return args.inputs;
        }
      },
    },
    PROJECT,
    stack,
    false,
  );
  recordRegistrations(resources, () => inputs);
  return resources;
}

/** Wrap the mock monitor so each registration's parent and options are kept too. */
function recordRegistrations(into: RegisteredResource[], lastInputs: () => Record<string, unknown>): void {
  const monitor = pulumi.runtime.getMonitor() as unknown as {
    registerResource: (req: any, cb: any) => Promise<void>;
  };
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = async (req: any, callback: any) => {
    const registered = register(req, (err: unknown, resp: any) => {
      if (!err) {
        into.push({
          type: req.getType(),
          name: req.getName(),
          urn: resp.getUrn(),
          parent: req.getParent() || undefined,
          custom: req.getCustom(),
          provider: req.getProvider() || undefined,
          inputs,
          options: {
            protect: !!req.getProtect(),
            retainOnDelete: !!req.getRetainondelete(),
            deleteBeforeReplace: !!req.getDeletebeforereplace(),
            ignoreChanges: req.getIgnorechangesList(),
            ...(req.getImportid() ? { importId: req.getImportid() } : {}),
            dependsOn: [...new Set<string>([...req.getDependenciesList(), ...propertyDependencies(req)])],
            ...aliasNames(req),
          },
        });
      }
      callback(err, resp);
    });
    // The mock monitor calls newResource synchronously before its first await, so these are
    // this request's inputs; the callback above runs later.
    const inputs = lastInputs();
    await registered;
  };
}

function aliasNames(req: any): { aliases?: string[] } {
  const names: string[] = req
    .getAliasesList()
    .flatMap((a: any) => (a.getSpec()?.getName() ? [a.getSpec().getName()] : []));
  return names.length > 0 ? { aliases: names } : {};
}

function propertyDependencies(req: any): string[] {
  const out: string[] = [];
  req.getPropertydependenciesMap().forEach((deps: any) => out.push(...deps.getUrnsList()));
  return out;
}

async function resolveOutputs(program: Record<string, unknown>): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(program)) {
    if (key === "default" || key === "__esModule") continue;
    const output = pulumi.output(value) as pulumi.Output<unknown>;
    const secret = await (output as any).isSecret;
    out[key] = secret ? "[secret]" : await new Promise((resolve) => output.apply(resolve));
  }
  return out;
}
