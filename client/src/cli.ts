/**
 * rayctl: the command line over the SDK (sdk.ts). `run` takes argv and streams and returns
 * the exit code, so tests run the real CLI in-process; bin.ts is the executable.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import { parseArgs } from "node:util";
import { type ClusterOptions, InputError } from "./clusterSpec";
import { EXIT, exitCode } from "./errors";
import { describe, describeData, printable, serialize, table } from "./format";
import { CLIENT_VERSION, HELP } from "./help";
import { paths } from "./kube";
import { queueStatus } from "./queue";
import { Cluster, type ConnectOptions, type DryRun, RayPlatform } from "./sdk";
import { KUBERAY_LABELS, RAY_PORTS, TOOL_PORTS } from "../../config/wire";
import { TUTORIALS_INIT_CONTAINER } from "../../render/rayCluster";


export interface Io {
  readonly stdout: { write(s: string): unknown };
  readonly stderr: { write(s: string): unknown; isTTY?: boolean };
  readonly env: NodeJS.ProcessEnv;
  /** Makes the platform (tests hand in one that talks to their fake API server). */
  readonly connect?: (opts: ConnectOptions) => RayPlatform;
  /** For waiting: between looks at the cluster (tests make it short). */
  readonly pollMs?: number;
}


const OPTIONS = {
  namespace: { type: "string", short: "n" },
  "all-namespaces": { type: "boolean", short: "A" },
  output: { type: "string", short: "o" },
  file: { type: "string", short: "f" },
  "cpus-in-head": { type: "string" },
  "memory-in-head": { type: "string" },
  "cpus-per-worker": { type: "string" },
  "memory-per-worker": { type: "string" },
  "gpus-per-worker": { type: "string" },
  "worker-gpu-type": { type: "string" },
  workers: { type: "string" },
  "min-workers": { type: "string" },
  "max-workers": { type: "string" },
  "ray-version": { type: "string" },
  notebook: { type: "boolean" },
  "vscode-server": { type: "boolean" },
  "with-tutorials": { type: "boolean" },
  wait: { type: "boolean" },
  "show-token": { type: "boolean" },
  timeout: { type: "string" },
  "dry-run": { type: "string" },
  "worker-group": { type: "string" },
  replicas: { type: "string" },
  context: { type: "string" },
  kubeconfig: { type: "string" },
  "platform-namespace": { type: "string" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean" },
} as const;

type Values = Record<string, string | boolean | undefined>;

/** Which flags each command takes; any other is an error, not silently ignored. */
const COMMON = ["namespace", "output", "context", "kubeconfig", "platform-namespace", "help"];
const ACCEPTS: Record<string, string[]> = {
  create: [...COMMON, "file", "cpus-in-head", "memory-in-head", "cpus-per-worker", "memory-per-worker", "gpus-per-worker", "worker-gpu-type", "workers", "min-workers", "max-workers", "ray-version", "notebook", "vscode-server", "with-tutorials", "wait", "timeout", "dry-run"],
  get: [...COMMON, "all-namespaces"],
  describe: [...COMMON, "show-token"],
  scale: [...COMMON, "worker-group", "replicas", "min-workers", "max-workers", "dry-run", "wait", "timeout"],
  delete: [...COMMON, "dry-run"],
  wait: [...COMMON, "timeout"],
  connect: COMMON,
};

function wholeNumber(values: Values, flag: string): number | undefined {
  const v = values[flag];
  if (v === undefined) return undefined;
  if (typeof v !== "string" || !/^\d+$/.test(v)) throw new InputError([`--${flag}: expected a whole number, got ${JSON.stringify(v)}; write e.g. --${flag} 2.`]);
  return Number(v);
}

/** 90, 90s, 10m, 1h -> seconds. */
function seconds(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const m = /^(\d+)(s|m|h)?$/.exec(v);
  if (!m) throw new InputError([`--timeout: ${JSON.stringify(v)} is not a duration; write e.g. 600, 90s, 10m or 1h.`]);
  return Number(m[1]) * { s: 1, m: 60, h: 3600 }[(m[2] ?? "s") as "s" | "m" | "h"];
}

function parse(argv: readonly string[]): { values: Values; positionals: string[] } {
  // `--dry-run` alone means client, as in kubectl.
  const args = argv.map((a) => (a === "--dry-run" ? "--dry-run=client" : a));
  try {
    const { values, positionals } = parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true });
    return { values: values as Values, positionals };
  } catch (err) {
    const msg = (err as Error).message.replace(/\. To specify a positional argument.*$/s, "");
    throw new InputError([`${msg}; see \`rayctl --help\`.`]);
  }
}

export async function run(argv: readonly string[], io: Io): Promise<number> {
  try {
    return await main(argv, io);
  } catch (err) {
    const code = exitCode(err);
    const message = err instanceof Error ? err.message : String(err);
    io.stderr.write(printable(code === EXIT.internal ? `rayctl: internal error (please report): ${(err as Error)?.stack ?? message}\n` : `rayctl: ${message.split("\n").join("\nrayctl: ")}\n`));
    return code;
  }
}

async function main(argv: readonly string[], io: Io): Promise<number> {
  const { values, positionals } = parse(argv);
  if (values.version) {
    io.stdout.write(`rayctl ${CLIENT_VERSION}\n`);
    return EXIT.ok;
  }
  if (values.help || positionals.length === 0 || positionals[0] === "help") {
    io.stdout.write(HELP);
    return EXIT.ok;
  }
  const [verb, ...rest] = positionals;
  if (!(verb in ACCEPTS)) throw new InputError([`unknown command ${JSON.stringify(verb)}; use one of ${Object.keys(ACCEPTS).join(", ")} (see \`rayctl --help\`).`]);
  // `connect NAME` and `connect cluster NAME`; the other verbs take the noun.
  const args = verb === "connect" && rest[0] !== "cluster" && rest[0] !== "clusters" ? rest : rest.slice(1);
  if (verb !== "connect" && rest[0] !== "cluster" && rest[0] !== "clusters") {
    throw new InputError([`rayctl ${verb} works on clusters: write \`rayctl ${verb} cluster ...\`${rest[0] ? `, not ${JSON.stringify(rest[0])}` : ""}.`]);
  }
  for (const flag of Object.keys(values)) {
    if (!ACCEPTS[verb].includes(flag)) throw new InputError([`--${flag} does not apply to \`rayctl ${verb}\`; see \`rayctl --help\`.`]);
  }
  if (args.length > 1) throw new InputError([`unexpected arguments ${args.slice(1).map((a) => JSON.stringify(a)).join(" ")}; \`rayctl ${verb}\` takes one cluster name.`]);
  const name = args[0];
  const output = (values.output as string | undefined) ?? "table";
  if (!["table", "json", "yaml"].includes(output)) throw new InputError([`--output: ${JSON.stringify(output)} is not a format; use json or yaml (or leave it out for the table).`]);
  const dryRun = values["dry-run"] as string | undefined;
  if (dryRun !== undefined && !["client", "server"].includes(dryRun)) throw new InputError([`--dry-run: ${JSON.stringify(dryRun)} is not client or server; write --dry-run, --dry-run=client or --dry-run=server.`]);
  if (dryRun === "client" && verb !== "create") throw new InputError([`--dry-run=client applies to create only; use --dry-run=server to have the API server check a ${verb}.`]);
  const timeoutSeconds = seconds(values.timeout as string | undefined);
  const needName = () => {
    if (!name) throw new InputError([`<name>: \`rayctl ${verb} cluster\` needs the cluster's name; \`rayctl get cluster -n <namespace>\` lists them.`]);
    return name;
  };

  const connectOpts: ConnectOptions = { kubeconfig: values.kubeconfig as string | undefined, context: values.context as string | undefined, platformNamespace: values["platform-namespace"] as string | undefined, env: io.env };
  // Flags are checked before the cluster is contacted: bad input never needs credentials.
  const options = verb === "create" ? clusterOptions(values, name) : undefined;
  const scaleTo = verb === "scale" ? scaleTarget(values) : undefined;
  if (verb !== "get" && !name && !(verb === "create" && options?.file)) needName();

  const platform = (io.connect ?? RayPlatform.connect)(connectOpts);
  try {
    const namespace = (values.namespace as string | undefined) ?? platform.defaultNamespace;
    const needNamespace = () => {
      if (!namespace) throw new InputError(["-n: say which namespace (your team's, or ray-playground), e.g. -n ray-playground."]);
      return namespace;
    };
    const progress = progressWriter(io);
    const wait = { timeoutSeconds, onProgress: progress, pollMs: io.pollMs };
    const out = (data: unknown) => io.stdout.write(serialize(data, output === "yaml" ? "yaml" : "json"));

    switch (verb) {
      case "create": {
        const result = await platform.createCluster({ ...options!, namespace: needNamespace(), dryRun: dryRun as DryRun["dryRun"] | undefined });
        if (!(result instanceof Cluster)) {
          out(result.objects.length === 1 ? result.objects[0] : { apiVersion: "v1", kind: "List", items: result.objects });
          return EXIT.ok;
        }
        io.stderr.write(`Created cluster ${result.name} in namespace ${result.namespace}\n`);
        if (result.raw.spec?.headGroupSpec?.template?.spec?.initContainers?.some((c) => c.name === TUTORIALS_INIT_CONTAINER)) io.stderr.write("Uploaded tutorial notebooks\n");
        if (values.wait) await result.awaitReady(wait);
        if (output !== "table") out(result.raw);
        else io.stdout.write(printable(describe(result, CLIENT_VERSION)));
        return EXIT.ok;
      }
      case "get": {
        if (values["all-namespaces"] && values.namespace) throw new InputError(["-A and -n together: pick one."]);
        const clusters = name ? [await platform.getCluster(name, needNamespace())] : await platform.listClusters(values["all-namespaces"] ? undefined : needNamespace());
        if (output !== "table") out(name ? clusters[0].raw : { apiVersion: "v1", kind: "List", items: clusters.map((c) => c.raw) });
        else if (clusters.length === 0) io.stderr.write(`No clusters${values["all-namespaces"] ? "" : ` in namespace ${namespace}`}.\n`);
        else io.stdout.write(printable(table(clusters, !!values["all-namespaces"], await platform.hourlyCosts(clusters))));
        return EXIT.ok;
      }
      case "describe": {
        const c = await platform.getCluster(needName(), needNamespace());
        const [hourly, queue] = await Promise.all([platform.hourlyCosts([c]), queueStatus(platform.api, c.raw)]);
        const cost = { hourly: hourly[0] };
        // Only on request: a terminal's scrollback or a CI log is not a place for it.
        const token = values["show-token"] ? await c.token() : undefined;
        if (output !== "table") out({ ...describeData(c, CLIENT_VERSION, cost, queue), ...(token === undefined ? {} : { token }) });
        else io.stdout.write(printable(describe(c, CLIENT_VERSION, cost, queue) + (token === undefined ? "" : `Token:            ${token}\n`)));
        return EXIT.ok;
      }
      case "scale": {
        const c = await platform.getCluster(needName(), needNamespace());
        await c.scaleWorkerGroup(scaleTo!.group, scaleTo!.to, { dryRun: dryRun === "server" ? "server" : undefined });
        const g = c.workerGroups.find((w) => w.name === scaleTo!.group)!;
        io.stderr.write(`${dryRun ? "Would scale" : "Scaled"} worker group ${g.name} of ${c.namespace}/${c.name} to ${g.minReplicas < g.maxReplicas ? `${g.minReplicas}-${g.maxReplicas} workers (autoscaled)` : `${g.replicas} workers`}\n`);
        if (values.wait && !dryRun) await c.awaitReady(wait);
        if (output !== "table") out(c.raw);
        return EXIT.ok;
      }
      case "delete": {
        const c = await platform.getCluster(needName(), needNamespace());
        await c.delete({ dryRun: dryRun === "server" ? "server" : undefined });
        io.stderr.write(`${dryRun ? "Would delete" : "Deleted"} cluster ${c.name} in namespace ${c.namespace}\n`);
        return EXIT.ok;
      }
      case "wait": {
        const c = await platform.getCluster(needName(), needNamespace());
        await c.awaitReady(wait);
        return EXIT.ok;
      }
      case "connect":
        return await connect(platform, await platform.getCluster(needName(), needNamespace()), connectOpts, io);
    }
    return EXIT.internal;
  } finally {
    platform.api.close();
  }
}

function clusterOptions(values: Values, name: string | undefined): ClusterOptions {
  const problems: string[] = [];
  const num = (flag: string) => {
    try {
      return wholeNumber(values, flag);
    } catch (err) {
      problems.push(...(err as InputError).problems);
      return undefined;
    }
  };
  const str = (flag: string) => values[flag] as string | undefined;
  let file: ClusterOptions["file"];
  if (values.file !== undefined) {
    const p = values.file as string;
    try {
      file = { path: p, text: p === "-" ? fs.readFileSync(0, "utf8") : fs.readFileSync(p, "utf8") };
    } catch (err) {
      problems.push(`--file: cannot read ${p} (${(err as NodeJS.ErrnoException).code}); check the path.`);
    }
  }
  const o: ClusterOptions = {
    name,
    namespace: "",
    cpusInHead: str("cpus-in-head"),
    memoryInHead: str("memory-in-head"),
    cpusPerWorker: str("cpus-per-worker"),
    memoryPerWorker: str("memory-per-worker"),
    gpusPerWorker: num("gpus-per-worker"),
    workerGpuType: str("worker-gpu-type"),
    workerReplicas: num("workers"),
    minWorkers: num("min-workers"),
    maxWorkers: num("max-workers"),
    rayVersion: str("ray-version"),
    withTutorials: values["with-tutorials"] as boolean | undefined,
    vscodeServer: values["vscode-server"] as boolean | undefined,
    notebook: values.notebook as boolean | undefined,
    file,
  };
  if (o.workerReplicas !== undefined && (o.minWorkers !== undefined || o.maxWorkers !== undefined) && o.minWorkers !== o.maxWorkers) {
    problems.push("--workers: a fixed number of workers and autoscaling bounds (--min-workers, --max-workers) exclude each other; use one or the other.");
  }
  if (values.timeout !== undefined && !values.wait) problems.push("--timeout: applies with --wait; add --wait.");
  if (problems.length > 0) throw new InputError(problems);
  return o;
}

function scaleTarget(values: Values): { group: string; to: number | { minReplicas?: number; maxReplicas?: number } } {
  const group = values["worker-group"] as string | undefined;
  if (!group) throw new InputError(["--worker-group: say which group to scale (`rayctl describe cluster NAME -n NS` lists them)."]);
  const replicas = wholeNumber(values, "replicas");
  const min = wholeNumber(values, "min-workers");
  const max = wholeNumber(values, "max-workers");
  if (replicas !== undefined && (min !== undefined || max !== undefined)) throw new InputError(["--replicas: give either --replicas (fixed-size group) or --min-workers/--max-workers (autoscaled group), not both."]);
  if (replicas === undefined && min === undefined && max === undefined) throw new InputError(["--replicas: say the new size, e.g. --replicas 3 (or --min-workers/--max-workers for an autoscaled group)."]);
  if (values.timeout !== undefined && !values.wait) throw new InputError(["--timeout: applies with --wait; add --wait."]);
  return { group, to: replicas ?? { minReplicas: min, maxReplicas: max } };
}

/** Progress on stderr: one live line on a terminal, plain lines otherwise. */
function progressWriter(io: Io): (line: string) => void {
  if (io.stderr.isTTY) {
    // \r and "erase line" rewrite the line in place; the last one (ready) ends it.
    return (line) => io.stderr.write(`\r\x1b[2K${printable(line.length > 200 ? `${line.slice(0, 197)}...` : line)}${line.includes(" is ready") ? "\n" : ""}`);
  }
  return (line) => io.stderr.write(`${printable(line)}\n`);
}

/**
 * `kubectl port-forward` to the head pod (the one tool every GKE user has, with the same
 * authentication), on free local ports; prints the URLs once every port forwards.
 */
async function connect(platform: RayPlatform, c: Cluster, opts: ConnectOptions, io: Io): Promise<number> {
  const pods = await platform.api.get<{ items: any[] }>(paths.pods(c.namespace), { labelSelector: `${KUBERAY_LABELS.cluster}=${c.name},${KUBERAY_LABELS.nodeType}=head` });
  const pod = pods.items.find((p) => p.status?.phase === "Running") ?? pods.items[0];
  if (!pod) throw new InputError([`${c.namespace}/${c.name} has no head pod yet; \`rayctl wait cluster ${c.name} -n ${c.namespace}\` first.`]);
  const e = c.endpoints;
  const ports: [string, number, string][] = [
    ["Ray client", RAY_PORTS.client, "ray://127.0.0.1:%d"],
    ["Dashboard", RAY_PORTS.dashboard, "http://127.0.0.1:%d"],
    ...(e.notebook ? ([["Notebook server", TOOL_PORTS.notebook, "http://127.0.0.1:%d"]] as [string, number, string][]) : []),
    ...(e.vscode ? ([["OpenVSCode", TOOL_PORTS.vscode, "http://127.0.0.1:%d"]] as [string, number, string][]) : []),
  ];
  const kubectl = io.env.RAYCTL_KUBECTL ?? "kubectl";
  const args = ["port-forward", "-n", c.namespace, `pod/${pod.metadata.name}`, ...ports.map(([, p]) => `:${p}`)];
  if (opts.context) args.push("--context", opts.context);
  if (opts.kubeconfig) args.push("--kubeconfig", opts.kubeconfig);
  return await new Promise<number>((resolve) => {
    const child = spawn(kubectl, args, { stdio: ["ignore", "pipe", "pipe"], env: io.env });
    const local = new Map<number, number>();
    let buf = "";
    let printed = false;
    child.stdout.on("data", (d: Buffer) => {
      buf += d.toString();
      for (const m of buf.matchAll(/Forwarding from 127\.0\.0\.1:(\d+) -> (\d+)/g)) local.set(Number(m[2]), Number(m[1]));
      if (local.size === ports.length && !printed) {
        printed = true;
        io.stdout.write(ports.map(([what, p, url]) => `${`${what}:`.padEnd(18)}${url.replace("%d", String(local.get(p)))}`).join("\n") + "\nPress Ctrl-C to stop forwarding.\n");
      }
    });
    child.stderr.on("data", (d: Buffer) => io.stderr.write(d.toString()));
    child.on("error", (err) => {
      io.stderr.write(`rayctl: cannot run ${kubectl} (${(err as NodeJS.ErrnoException).code}); connect uses kubectl port-forward: install kubectl (gcloud components install kubectl) or set RAYCTL_KUBECTL.\n`);
      resolve(EXIT.unreachable);
    });
    child.on("exit", (code) => resolve(code === 0 ? EXIT.ok : EXIT.unreachable));
  });
}
