/**
 * rayctl: the command line over the SDK (sdk.ts). `run` takes argv and streams and returns
 * the exit code, so tests run the real CLI in-process; bin.ts is the executable.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import { type ClusterOptions, InputError } from "./clusterSpec";
import { EXIT, exitCode, RefusedError } from "./errors";
import {
  describe,
  describeData,
  describeJob,
  jobData,
  jobTable,
  nodeTable,
  printable,
  serialize,
  table,
  workerGroupTable,
} from "./format";
import { type Invocation, runCommand } from "./commands";
import { CLIENT_VERSION } from "./help";
import { paths } from "./kube";
import { queueStatus } from "./queue";
import { Cluster, type ConnectOptions, type DryRun, Job, RayPlatform } from "./sdk";
import { KUBERAY_LABELS, RAY_PORTS, TOOL_PORTS } from "../../config/wire";
import { TUTORIALS_INIT_CONTAINER } from "../../render/rayCluster";

export interface Io {
  readonly stdout: { write(s: string): unknown };
  readonly stderr: { write(s: string): unknown; isTTY?: boolean };
  readonly env: NodeJS.ProcessEnv;
  /** Makes the platform (tests hand in one that talks to their fake API server). */
  readonly connect?: (opts: ConnectOptions) => RayPlatform;
  /** For waiting: between looks at the pods' events (tests make it short). */
  readonly pollMs?: number;
  /** Ends a long-running command (connect, logs -f) as Ctrl-C would; tests use it. */
  readonly signal?: AbortSignal;
}

type Values = Invocation["values"];

function wholeNumber(values: Values, flag: string): number | undefined {
  const v = values[flag];
  if (v === undefined) return undefined;
  if (typeof v !== "string" || !/^\d+$/.test(v))
    throw new InputError([
      `--${flag}: expected a whole number, got ${JSON.stringify(v)}; write e.g. --${flag} 2.`,
    ]);
  return Number(v);
}

/** 90, 90s, 10m, 1h -> seconds. */
function seconds(v: string | undefined, flag = "timeout"): number | undefined {
  if (v === undefined) return undefined;
  const m = /^(\d+)(s|m|h)?$/.exec(v);
  if (!m)
    throw new InputError([
      `--${flag}: ${JSON.stringify(v)} is not a duration; write e.g. 600, 90s, 10m or 1h.`,
    ]);
  return Number(m[1]) * { s: 1, m: 60, h: 3600 }[(m[2] ?? "s") as "s" | "m" | "h"];
}

/** Run rayctl on `argv`; the exit code. Errors are printed as `rayctl: ...`, one line per problem. */
export async function run(argv: readonly string[], io: Io): Promise<number> {
  try {
    return await runCommand(argv, io, (call) => execute(call, io));
  } catch (err) {
    return reportError(err, io);
  }
}

function reportError(err: unknown, io: Io): number {
  const code = exitCode(err);
  const message = err instanceof Error ? err.message : String(err);
  io.stderr.write(
    printable(
      code === EXIT.internal
        ? `rayctl: internal error (please report): ${(err as Error)?.stack ?? message}\n`
        : `rayctl: ${message.split("\n").join("\nrayctl: ")}\n`,
    ),
  );
  return code;
}

/** One parsed command (commands.ts), run; bin.ts loads this module only to run one. */
export async function execute(call: Invocation, io: Io): Promise<number> {
  try {
    return await main(call, io);
  } catch (err) {
    return reportError(err, io);
  }
}

const OUTPUTS: Record<string, readonly string[]> = {
  "get cluster": ["table", "wide", "name", "json", "yaml"],
  "get workergroups": ["table", "wide", "json", "yaml"],
  "get nodes": ["table", "wide", "name", "json", "yaml"],
  "job submit": ["table", "name", "json", "yaml"],
  "job list": ["table", "name", "json", "yaml"],
};

async function main(call: Invocation, io: Io): Promise<number> {
  const { verb, noun, values } = call;
  const name = call.args[0];
  const output = (values.output as string | undefined) ?? "table";
  const outputs = OUTPUTS[`${verb} ${noun}`] ?? ["table", "json", "yaml"];
  if (!outputs.includes(output))
    throw new InputError([
      `--output: ${JSON.stringify(output)} is not a format of \`rayctl ${verb} ${noun}\`; use ${outputs.filter((o) => o !== "table").join(", ")} (or leave it out for the table).`,
    ]);
  const dryRun = values["dry-run"] as string | undefined;
  if (dryRun !== undefined && !["client", "server"].includes(dryRun))
    throw new InputError([
      `--dry-run: ${JSON.stringify(dryRun)} is not client or server; write --dry-run, --dry-run=client or --dry-run=server.`,
    ]);
  if (dryRun === "client" && verb !== "create" && verb !== "job")
    throw new InputError([
      `--dry-run=client applies to create and job submit only; use --dry-run=server to have the API server check a ${verb}.`,
    ]);
  const timeoutSeconds = seconds(values.timeout as string | undefined);
  const needName = () => {
    if (!name)
      throw new InputError([
        `<name>: \`rayctl ${verb} ${noun}\` needs the cluster's name; \`rayctl get cluster -n <namespace>\` lists them.`,
      ]);
    return name;
  };

  const connectOpts: ConnectOptions = {
    kubeconfig: values.kubeconfig as string | undefined,
    context: values.context as string | undefined,
    platformNamespace: values["platform-namespace"] as string | undefined,
    env: io.env,
  };
  // Flags are checked before the cluster is contacted: bad input never needs credentials.
  const options =
    verb === "create" || (verb === "job" && noun === "submit")
      ? clusterOptions(values, verb === "create" ? name : undefined)
      : undefined;
  const scaleTo = verb === "scale" ? scaleTarget(values) : undefined;
  const logsOf = verb === "logs" ? logsTarget(values) : undefined;
  const jobTimes =
    verb === "job"
      ? {
          ttlSeconds: seconds(values.ttl as string | undefined, "ttl"),
          deadlineSeconds: seconds(values.deadline as string | undefined, "deadline"),
        }
      : undefined;
  if (
    verb !== "get" &&
    !(verb === "job" && (noun === "submit" || noun === "list")) &&
    !name &&
    !(verb === "create" && options?.file)
  )
    needName();

  const platform = (io.connect ?? RayPlatform.connect)(connectOpts);
  try {
    const namespace = (values.namespace as string | undefined) ?? platform.defaultNamespace;
    const needNamespace = () => {
      if (!namespace)
        throw new InputError([
          "-n: say which namespace (your team's, or ray-playground), e.g. -n ray-playground.",
        ]);
      return namespace;
    };
    const progress = progressWriter(io);
    const wait = { timeoutSeconds, onProgress: progress, pollMs: io.pollMs };
    const out = (data: unknown) => io.stdout.write(serialize(data, output === "yaml" ? "yaml" : "json"));
    const structured = output === "json" || output === "yaml";

    switch (`${verb} ${noun}`) {
      case "create cluster": {
        const result = await platform.createCluster({
          ...options!,
          namespace: needNamespace(),
          dryRun: dryRun as DryRun["dryRun"] | undefined,
        });
        if (!(result instanceof Cluster)) {
          out(
            result.objects.length === 1
              ? result.objects[0]
              : { apiVersion: "v1", kind: "List", items: result.objects },
          );
          return EXIT.ok;
        }
        io.stderr.write(`Created cluster ${result.name} in namespace ${result.namespace}\n`);
        if (
          result.raw.spec?.headGroupSpec?.template?.spec?.initContainers?.some(
            (c) => c.name === TUTORIALS_INIT_CONTAINER,
          )
        )
          io.stderr.write("Uploaded tutorial notebooks\n");
        if (values.wait) await result.awaitReady(wait);
        if (structured) out(result.raw);
        else io.stdout.write(printable(describe(result, CLIENT_VERSION)));
        return EXIT.ok;
      }
      case "get cluster": {
        if (values["all-namespaces"] && values.namespace)
          throw new InputError(["-A and -n together: pick one."]);
        const named = name ? await platform.getCluster(name, needNamespace()) : undefined;
        const clusters = named
          ? [named]
          : await platform.listClusters(values["all-namespaces"] ? undefined : needNamespace());
        if (structured)
          out(named ? named.raw : { apiVersion: "v1", kind: "List", items: clusters.map((c) => c.raw) });
        else if (output === "name")
          io.stdout.write(printable(clusters.map((c) => `raycluster.ray.io/${c.name}\n`).join("")));
        else if (clusters.length === 0)
          io.stderr.write(`No clusters${values["all-namespaces"] ? "" : ` in namespace ${namespace}`}.\n`);
        else
          io.stdout.write(
            printable(
              table(
                clusters,
                !!values["all-namespaces"],
                await platform.hourlyCosts(clusters),
                output === "wide",
              ),
            ),
          );
        return EXIT.ok;
      }
      case "get workergroups": {
        const c = await platform.getCluster(needName(), needNamespace());
        const groups = await c.workerGroupStatus();
        if (structured) out(groups);
        else io.stdout.write(printable(workerGroupTable(groups, output === "wide")));
        return EXIT.ok;
      }
      case "get nodes": {
        const c = await platform.getCluster(needName(), needNamespace());
        const group = values["worker-group"] as string | undefined;
        const nodes = (await c.nodes()).filter((n) => !group || n.group === group);
        if (group && !c.workerGroups.some((g) => g.name === group))
          throw new RefusedError(
            `${c.namespace}/${c.name} has no worker group "${group}" (groups: ${c.workerGroups.map((g) => g.name).join(", ") || "none"}).`,
          );
        if (structured) out(nodes);
        else if (output === "name") io.stdout.write(printable(nodes.map((n) => `pod/${n.name}\n`).join("")));
        else if (nodes.length === 0)
          io.stderr.write(
            `${c.namespace}/${c.name} has no Ray nodes yet; \`rayctl wait cluster ${c.name} -n ${c.namespace}\` says what it waits for.\n`,
          );
        else io.stdout.write(printable(nodeTable(nodes, output === "wide")));
        return EXIT.ok;
      }
      case "describe cluster": {
        const c = await platform.getCluster(needName(), needNamespace());
        const [hourly, queue] = await Promise.all([
          platform.hourlyCosts([c]),
          queueStatus(platform.api, c.raw),
        ]);
        const cost = { hourly: hourly[0] };
        // Only on request: a terminal's scrollback or a CI log is not a place for it.
        const token = values["show-token"] ? await c.token() : undefined;
        if (structured)
          out({ ...describeData(c, CLIENT_VERSION, cost, queue), ...(token === undefined ? {} : { token }) });
        else
          io.stdout.write(
            printable(
              describe(c, CLIENT_VERSION, cost, queue) +
                (token === undefined ? "" : `Token:            ${token}\n`),
            ),
          );
        return EXIT.ok;
      }
      case "scale cluster": {
        const c = await platform.getCluster(needName(), needNamespace());
        await c.scaleWorkerGroup(scaleTo!.group, scaleTo!.to, {
          dryRun: dryRun === "server" ? "server" : undefined,
        });
        const g = c.workerGroups.find((w) => w.name === scaleTo!.group)!;
        io.stderr.write(
          `${dryRun ? "Would scale" : "Scaled"} worker group ${g.name} of ${c.namespace}/${c.name} to ${g.minReplicas < g.maxReplicas ? `${g.minReplicas}-${g.maxReplicas} workers (autoscaled)` : `${g.replicas} workers`}\n`,
        );
        if (values.wait && !dryRun) await c.awaitReady(wait);
        if (structured) out(c.raw);
        return EXIT.ok;
      }
      case "delete cluster": {
        const c = await platform.getCluster(needName(), needNamespace());
        await c.delete({ dryRun: dryRun === "server" ? "server" : undefined });
        io.stderr.write(
          `${dryRun ? "Would delete" : "Deleted"} cluster ${c.name} in namespace ${c.namespace}\n`,
        );
        return EXIT.ok;
      }
      case "wait cluster": {
        const c = await platform.getCluster(needName(), needNamespace());
        await c.awaitReady(wait);
        return EXIT.ok;
      }
      case "logs cluster": {
        const c = await platform.getCluster(needName(), needNamespace());
        await c.logs({ ...logsOf!, write: (s) => io.stdout.write(printable(s)), signal: io.signal });
        return EXIT.ok;
      }
      case "job submit": {
        const result = await platform.submitJob({
          ...options!,
          name: values.name as string | undefined,
          namespace: needNamespace(),
          entrypoint: call.args,
          workingDir: values["working-dir"] as string | undefined,
          cluster: values.cluster as string | undefined,
          ...jobTimes,
          dryRun: dryRun as DryRun["dryRun"] | undefined,
        });
        if (!(result instanceof Job)) {
          out({ apiVersion: "v1", kind: "List", items: result.objects });
          return EXIT.ok;
        }
        const where = values.cluster
          ? `on cluster ${values.cluster}`
          : `on a cluster made for it (Kueue queues it; KubeRay removes the cluster ${Math.round((jobTimes!.ttlSeconds ?? 600) / 60)}m after it ends)`;
        io.stderr.write(`Submitted job ${result.name} in namespace ${result.namespace}, ${where}\n`);
        if (output === "name") io.stdout.write(`rayjob.ray.io/${result.name}\n`);
        if (!values.wait) {
          if (structured) out(result.raw);
          else io.stderr.write(`Follow it: rayctl job logs ${result.name} -n ${result.namespace} -f\n`);
          return EXIT.ok;
        }
        const ok = await result.wait({
          timeoutSeconds: timeoutSeconds ?? 24 * 3600,
          write: structured ? undefined : (s) => io.stdout.write(printable(s)),
          onProgress: progress,
          pollMs: io.pollMs,
        });
        if (structured) out(result.raw);
        io.stderr.write(
          `Job ${result.name} ${result.status}${result.raw.status?.message && !ok ? `: ${result.raw.status.message}` : ""}\n`,
        );
        return ok ? EXIT.ok : EXIT.jobFailed;
      }
      case "job list": {
        if (values["all-namespaces"] && values.namespace)
          throw new InputError(["-A and -n together: pick one."]);
        const jobs = await platform.listJobs(values["all-namespaces"] ? undefined : needNamespace());
        if (structured) out({ apiVersion: "v1", kind: "List", items: jobs.map((j) => j.raw) });
        else if (output === "name")
          io.stdout.write(printable(jobs.map((j) => `rayjob.ray.io/${j.name}\n`).join("")));
        else if (jobs.length === 0)
          io.stderr.write(`No jobs${values["all-namespaces"] ? "" : ` in namespace ${namespace}`}.\n`);
        else io.stdout.write(printable(jobTable(jobs, !!values["all-namespaces"])));
        return EXIT.ok;
      }
      case "job describe": {
        const job = await platform.getJob(needName(), needNamespace());
        if (structured) out(jobData(job));
        else io.stdout.write(printable(describeJob(job)));
        return EXIT.ok;
      }
      case "job wait": {
        const job = await platform.getJob(needName(), needNamespace());
        const ok = await job.wait({
          timeoutSeconds: timeoutSeconds ?? 24 * 3600,
          onProgress: progress,
          pollMs: io.pollMs,
        });
        io.stderr.write(
          `Job ${job.name} ${job.status}${job.raw.status?.message && !ok ? `: ${job.raw.status.message}` : ""}\n`,
        );
        if (structured) out(jobData(job));
        return ok ? EXIT.ok : EXIT.jobFailed;
      }
      case "job logs": {
        const job = await platform.getJob(needName(), needNamespace());
        await job.logs({
          follow: values.follow === true,
          tail: wholeNumber(values, "tail"),
          write: (s) => io.stdout.write(printable(s)),
          signal: io.signal,
        });
        return EXIT.ok;
      }
      case "job stop": {
        const job = await platform.getJob(needName(), needNamespace());
        if (job.finished)
          throw new RefusedError(
            `${job.namespace}/${job.name} has already ended (${job.status}); \`rayctl job delete ${job.name} -n ${job.namespace}\` removes it.`,
          );
        const how = await job.stop();
        io.stderr.write(
          how === "stopped"
            ? `Stopping job ${job.name}: KubeRay fails it (DeadlineExceeded) and removes its cluster; \`rayctl job describe ${job.name} -n ${job.namespace}\` shows it.\n`
            : `Job ${job.name} had not started: deleted.\n`,
        );
        return EXIT.ok;
      }
      case "job delete": {
        const job = await platform.getJob(needName(), needNamespace());
        await job.delete();
        io.stderr.write(`Deleted job ${job.name} in namespace ${job.namespace}\n`);
        return EXIT.ok;
      }
      case "connect cluster":
        return await connect(
          platform,
          await platform.getCluster(needName(), needNamespace()),
          connectOpts,
          io,
        );
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
  if (
    o.workerReplicas !== undefined &&
    (o.minWorkers !== undefined || o.maxWorkers !== undefined) &&
    o.minWorkers !== o.maxWorkers
  ) {
    problems.push(
      "--workers: a fixed number of workers and autoscaling bounds (--min-workers, --max-workers) exclude each other; use one or the other.",
    );
  }
  if (values.timeout !== undefined && !values.wait)
    problems.push("--timeout: applies with --wait; add --wait.");
  if (problems.length > 0) throw new InputError(problems);
  return o;
}

function scaleTarget(values: Values): {
  group: string;
  to: number | { minReplicas?: number; maxReplicas?: number };
} {
  const group = values["worker-group"] as string | undefined;
  if (!group)
    throw new InputError([
      "--worker-group: say which group to scale (`rayctl describe cluster NAME -n NS` lists them).",
    ]);
  const replicas = wholeNumber(values, "replicas");
  const min = wholeNumber(values, "min-workers");
  const max = wholeNumber(values, "max-workers");
  if (replicas !== undefined && (min !== undefined || max !== undefined))
    throw new InputError([
      "--replicas: give either --replicas (fixed-size group) or --min-workers/--max-workers (autoscaled group), not both.",
    ]);
  if (replicas === undefined && min === undefined && max === undefined)
    throw new InputError([
      "--replicas: say the new size, e.g. --replicas 3 (or --min-workers/--max-workers for an autoscaled group).",
    ]);
  if (values.timeout !== undefined && !values.wait)
    throw new InputError(["--timeout: applies with --wait; add --wait."]);
  return { group, to: replicas ?? { minReplicas: min, maxReplicas: max } };
}

function logsTarget(values: Values): {
  workerGroup?: string;
  node?: string;
  container?: string;
  follow?: boolean;
  tail?: number;
} {
  if (values["worker-group"] !== undefined && values.node !== undefined)
    throw new InputError(["--node: a node or a worker group (--worker-group), not both."]);
  return {
    workerGroup: values["worker-group"] as string | undefined,
    node: values.node as string | undefined,
    container: values.container as string | undefined,
    follow: values.follow === true,
    tail: wholeNumber(values, "tail"),
  };
}

/** Progress on stderr: one live line on a terminal, plain lines otherwise. */
function progressWriter(io: Io): (line: string) => void {
  if (io.stderr.isTTY) {
    // \r and "erase line" rewrite the line in place; the last one (ready) ends it.
    return (line) =>
      io.stderr.write(
        `\r\x1b[2K${printable(line.length > 200 ? `${line.slice(0, 197)}...` : line)}${line.includes(" is ready") ? "\n" : ""}`,
      );
  }
  return (line) => io.stderr.write(`${printable(line)}\n`);
}

/** How often a dropped port-forward is started again before rayctl gives up, and the pause before each. */
const RECONNECTS = { attempts: 5, pauseMs: 1000, stableMs: 30_000 };

/**
 * `kubectl port-forward` to the head pod (the one tool every GKE user has, with the same
 * authentication), on free local ports; prints the URLs once every port forwards, with the
 * cluster's token where the user has it (the notebook and editor take it in the URL). When the
 * forward drops (a restarted head, a broken connection) it starts again on the same local
 * ports, so the URLs stay good; five failures in a row end it.
 */
async function connect(platform: RayPlatform, c: Cluster, opts: ConnectOptions, io: Io): Promise<number> {
  const e = c.endpoints;
  const token = await c.token().catch(() => undefined);
  const withToken = (url: string, param: string) =>
    token ? `${url}/?${param}=${encodeURIComponent(token)}` : url;
  type Port = [what: string, remote: number, url: (local: number) => string];
  const ports: Port[] = [
    ["Ray client", RAY_PORTS.client, (p) => `ray://127.0.0.1:${p}`],
    ["Dashboard", RAY_PORTS.dashboard, (p) => `http://127.0.0.1:${p}`],
  ];
  if (e.notebook)
    ports.push(["Notebook server", TOOL_PORTS.notebook, (p) => withToken(`http://127.0.0.1:${p}`, "token")]);
  if (e.vscode)
    ports.push(["OpenVSCode", TOOL_PORTS.vscode, (p) => withToken(`http://127.0.0.1:${p}`, "tkn")]);
  let local: Map<number, number> | undefined;
  let failures = 0;
  for (;;) {
    const pods = await platform.api.get<{ items: any[] }>(paths.pods(c.namespace), {
      labelSelector: `${KUBERAY_LABELS.cluster}=${c.name},${KUBERAY_LABELS.nodeType}=head`,
    });
    const pod = pods.items.find((p) => p.status?.phase === "Running") ?? pods.items[0];
    if (!pod)
      throw new InputError([
        `${c.namespace}/${c.name} has no head pod yet; \`rayctl wait cluster ${c.name} -n ${c.namespace}\` first.`,
      ]);
    const started = Date.now();
    const reconnect = local !== undefined;
    const run = await forward(
      pod.metadata.name,
      c.namespace,
      ports.map(([, p]) => [local?.get(p) ?? 0, p]),
      opts,
      io,
      (forwarded) => {
        if (reconnect)
          return void io.stderr.write(
            `Forwarding again to ${pod.metadata.name}; the URLs above still work.\n`,
          );
        local = forwarded;
        io.stdout.write(
          ports.map(([what, p, url]) => `${`${what}:`.padEnd(18)}${url(forwarded.get(p)!)}`).join("\n") +
            `\n${token ? "" : "Your token: ask the cluster's creator or your team's owners (`rayctl describe cluster --show-token`).\n"}Press Ctrl-C to stop forwarding.\n`,
        );
      },
    );
    if (run.outcome !== "dropped") return run.outcome === "stopped" ? EXIT.ok : EXIT.unreachable;
    failures = Date.now() - started > RECONNECTS.stableMs ? 1 : failures + 1;
    if (failures > RECONNECTS.attempts) {
      io.stderr.write(
        `rayctl: the port-forward to ${c.namespace}/${c.name} failed ${RECONNECTS.attempts} times in a row (${run.why}); check \`rayctl get nodes ${c.name} -n ${c.namespace}\` and connect again.\n`,
      );
      return EXIT.unreachable;
    }
    io.stderr.write(
      `rayctl: the port-forward dropped (${run.why}); forwarding again in ${RECONNECTS.pauseMs / 1000}s.\n`,
    );
    await new Promise((r) => setTimeout(r, RECONNECTS.pauseMs));
    if (io.signal?.aborted) return EXIT.ok;
  }
}

/** One `kubectl port-forward` run: "stopped" (by the signal), "dropped" (it ended by itself) or "failed" (it cannot run). */
function forward(
  pod: string,
  ns: string,
  pairs: [local: number, remote: number][],
  opts: ConnectOptions,
  io: Io,
  ready: (local: Map<number, number>) => void,
): Promise<{ outcome: "stopped" | "dropped" | "failed"; why?: string }> {
  const kubectl = io.env.RAYCTL_KUBECTL ?? "kubectl";
  const args = [
    "port-forward",
    "-n",
    ns,
    `pod/${pod}`,
    ...pairs.map(([l, r]) => (l ? `${l}:${r}` : `:${r}`)),
  ];
  if (opts.context) args.push("--context", opts.context);
  if (opts.kubeconfig) args.push("--kubeconfig", opts.kubeconfig);
  return new Promise((resolve) => {
    const child = spawn(kubectl, args, { stdio: ["ignore", "pipe", "pipe"], env: io.env });
    const stop = () => child.kill("SIGTERM");
    io.signal?.addEventListener("abort", stop, { once: true });
    const local = new Map<number, number>();
    let buf = "";
    let lastError = "";
    let told = false;
    child.stdout.on("data", (d: Buffer) => {
      if (told) return;
      buf += d.toString();
      for (const m of buf.matchAll(/Forwarding from 127\.0\.0\.1:(\d+) -> (\d+)/g))
        local.set(Number(m[2]), Number(m[1]));
      if (local.size === pairs.length) {
        told = true;
        ready(local);
      }
    });
    child.stderr.on("data", (d: Buffer) => {
      const text = d.toString();
      lastError = text.trim().split("\n").at(-1) ?? lastError;
      io.stderr.write(printable(text));
    });
    child.on("error", (err) => {
      io.signal?.removeEventListener("abort", stop);
      io.stderr.write(
        `rayctl: cannot run ${kubectl} (${(err as NodeJS.ErrnoException).code}); connect uses kubectl port-forward: install kubectl (gcloud components install kubectl) or set RAYCTL_KUBECTL.\n`,
      );
      resolve({ outcome: "failed" });
    });
    child.on("exit", (code, signal) => {
      io.signal?.removeEventListener("abort", stop);
      resolve(
        io.signal?.aborted
          ? { outcome: "stopped" }
          : { outcome: "dropped", why: lastError || `kubectl exited with ${code ?? signal}` },
      );
    });
  });
}
