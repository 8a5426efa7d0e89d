/**
 * rayctl's commands, flags and help, on commander (per-command help, "did you mean" for
 * commands and flags). Loads nothing of the SDK: `rayctl <anything> --help` answers from here,
 * and each command's work is handed to `execute`, which bin.ts imports only when a command runs.
 */
import { Command, CommanderError, Help, Option } from "commander";
import { KUBERAY_NAMESPACE, TOOL_PORTS } from "../../config/wire";
import { CLIENT_VERSION, HELP } from "./help";

export interface Output {
  readonly stdout: { write(s: string): unknown };
  readonly stderr: { write(s: string): unknown };
}

/** A parsed command line: `verb noun` ("get nodes"), positionals after the noun, flags by their long name. */
export interface Invocation {
  readonly verb: string;
  readonly noun: string;
  readonly args: string[];
  readonly values: Record<string, string | boolean | undefined>;
}

export type Execute = (call: Invocation) => Promise<number>;

/** Exit code of input errors (errors.ts EXIT.input); kept here so that --help loads nothing more. */
const INPUT_ERROR = 1;

/** Every flag once: its commander spelling and help. */
const FLAGS = {
  namespace: [
    "-n, --namespace <ns>",
    "the namespace (your team's, or ray-playground); default: the kubeconfig context's",
  ],
  "all-namespaces": ["-A, --all-namespaces", "every namespace you may list"],
  output: ["-o, --output <format>", "table (default), wide, name, json or yaml"],
  context: ["--context <name>", "the kubeconfig context"],
  kubeconfig: [
    "--kubeconfig <file>",
    "the kubeconfig (default: $KUBECONFIG, merged as kubectl merges it, else ~/.kube/config)",
  ],
  "platform-namespace": [
    "--platform-namespace <ns>",
    `where the platform publishes its facts (default ${KUBERAY_NAMESPACE})`,
  ],
  file: [
    "-f, --file <file>",
    "a team file's rayClusters entry or a ray.io/v1 RayCluster, as YAML (- for stdin)",
  ],
  "cpus-in-head": ["--cpus-in-head <n>", "head CPUs (default: a whole head node)"],
  "memory-in-head": ["--memory-in-head <quantity>", "head memory, e.g. 48Gi"],
  "cpus-per-worker": ["--cpus-per-worker <n>", "worker CPUs (default: a whole node of the pool)"],
  "memory-per-worker": ["--memory-per-worker <quantity>", "worker memory, e.g. 48Gi"],
  "gpus-per-worker": ["--gpus-per-worker <n>", "GPUs per worker"],
  "worker-gpu-type": [
    "--worker-gpu-type <type>",
    "t4, a100, ... (default: the smallest the platform offers)",
  ],
  workers: ["--workers <n>", "a fixed number of workers (default 1; 0 for none)"],
  "min-workers": ["--min-workers <n>", "fewest workers (with --max-workers above it: the autoscaler is on)"],
  "max-workers": ["--max-workers <n>", "most workers"],
  "ray-version": ["--ray-version <version>", "a Ray version the platform has images for"],
  notebook: ["--notebook", `JupyterLab on :${TOOL_PORTS.notebook}`],
  "vscode-server": ["--vscode-server", `OpenVSCode on :${TOOL_PORTS.vscode}`],
  "with-tutorials": ["--with-tutorials", "the tutorial notebooks (turns the notebook on)"],
  wait: ["--wait", "wait until ready, progress on stderr"],
  timeout: ["--timeout <duration>", "with --wait: give up after 600, 90s, 10m or 1h (default 10m)"],
  "dry-run": [
    "--dry-run <mode>",
    "print what would be done: --dry-run (client) or --dry-run=server (the API server admits it, stores nothing)",
  ],
  "show-token": [
    "--show-token",
    "also print the cluster's token (the dashboard, notebook and Ray clients ask for it)",
  ],
  "worker-group": ["--worker-group <group>", "a worker group (`rayctl get workergroups CLUSTER` lists them)"],
  replicas: ["--replicas <n>", "the fixed-size group's new size"],
  node: ["--node <pod>", "one Ray node, by its pod name (`rayctl get nodes CLUSTER` lists them)"],
  follow: ["-f, --follow", "keep printing new lines"],
  tail: ["--tail <lines>", "the last lines only (default: all; with several pods 100 each)"],
  container: ["-c, --container <name>", "the container: ray (default), notebook, vscode or autoscaler"],
  name: ["--name <name>", "the job's name (default: the working directory's name and a random suffix)"],
  "working-dir": [
    "--working-dir <dir>",
    "a local directory sent with the job (at most 1 MB), where the entrypoint runs",
  ],
  cluster: ["--cluster <name>", "run on this existing cluster instead of one made for the job"],
  ttl: ["--ttl <duration>", "how long the job's cluster and record stay after it ends (default 10m)"],
  deadline: ["--deadline <duration>", "fail the job after it has run this long, e.g. 2h"],
} satisfies Record<string, [flags: string, help: string]>;
type Flag = keyof typeof FLAGS;

const COMMON: Flag[] = ["namespace", "output", "context", "kubeconfig", "platform-namespace"];
/** A cluster's shape: what `create cluster` and a job's own cluster both take. */
const SHAPE: Flag[] = [
  "file",
  "cpus-in-head",
  "memory-in-head",
  "cpus-per-worker",
  "memory-per-worker",
  "gpus-per-worker",
  "worker-gpu-type",
  "workers",
];
const CREATE: Flag[] = [
  ...SHAPE,
  "min-workers",
  "max-workers",
  "ray-version",
  "notebook",
  "vscode-server",
  "with-tutorials",
  "wait",
  "timeout",
  "dry-run",
];

interface Spec {
  readonly verb: string;
  readonly noun: string;
  readonly aliases?: string[];
  /** Its positional arguments ("" for none); "[entrypoint...]" takes the rest of the line. */
  readonly args: string;
  readonly summary: string;
  readonly flags: Flag[];
  readonly example: string;
}

/** Each command: `verb noun args`, its flags and an example for its help. */
export const COMMANDS: readonly Spec[] = [
  {
    verb: "create",
    noun: "cluster",
    args: "[name]",
    summary: "create a cluster (checked by the same rules as a team file's rayClusters entry)",
    flags: [...COMMON, ...CREATE],
    example:
      "rayctl create cluster my-cluster -n ray-playground --gpus-per-worker 1 --workers 2 --with-tutorials --wait",
  },
  {
    verb: "get",
    noun: "cluster",
    aliases: ["clusters"],
    args: "[name]",
    summary: "list clusters: NAME CREATED WORKERS STATUS QUEUE GPUS COST AGE OWNER",
    flags: [...COMMON, "all-namespaces"],
    example: "rayctl get clusters -n ray-playground -o wide",
  },
  {
    verb: "get",
    noun: "workergroups",
    aliases: ["workergroup", "wg"],
    args: "<cluster>",
    summary: "a cluster's worker groups: ready and desired workers, bounds, shape, pool",
    flags: COMMON,
    example: "rayctl get workergroups my-cluster -n ray-playground",
  },
  {
    verb: "get",
    noun: "nodes",
    aliases: ["node"],
    args: "<cluster>",
    summary: "a cluster's Ray nodes (pods): group, Kubernetes node, GPUs, state",
    flags: [...COMMON, "worker-group"],
    example: "rayctl get nodes my-cluster -n ray-playground -o wide",
  },
  {
    verb: "describe",
    noun: "cluster",
    aliases: ["clusters"],
    args: "<name>",
    summary: "endpoints, versions, head and worker groups, queue and cost (and the token)",
    flags: [...COMMON, "show-token"],
    example: "rayctl describe cluster my-cluster -n ray-playground --show-token",
  },
  {
    verb: "scale",
    noun: "cluster",
    aliases: ["clusters"],
    args: "<name>",
    summary: "resize a worker group (--replicas), or change an autoscaled group's bounds",
    flags: [
      ...COMMON,
      "worker-group",
      "replicas",
      "min-workers",
      "max-workers",
      "dry-run",
      "wait",
      "timeout",
    ],
    example: "rayctl scale cluster my-cluster -n ray-playground --worker-group group1 --replicas 3 --wait",
  },
  {
    verb: "delete",
    noun: "cluster",
    aliases: ["clusters"],
    args: "<name>",
    summary: "delete a cluster rayctl created (its token, tutorials and tools go with it)",
    flags: [...COMMON, "dry-run"],
    example: "rayctl delete cluster my-cluster -n ray-playground",
  },
  {
    verb: "wait",
    noun: "cluster",
    aliases: ["clusters"],
    args: "<name>",
    summary: "wait until the cluster is ready, saying what it waits for",
    flags: [...COMMON, "timeout"],
    example: "rayctl wait cluster my-cluster -n ray-playground --timeout 15m",
  },
  {
    verb: "connect",
    noun: "cluster",
    args: "<name>",
    summary: "forward the cluster's ports to this machine (again when a forward drops); print the URLs",
    flags: COMMON,
    example: "rayctl connect my-cluster -n ray-playground",
  },
  {
    verb: "logs",
    noun: "cluster",
    args: "<name>",
    summary: "the head's log, a worker group's or one node's (-f to follow)",
    flags: [...COMMON.filter((f) => f !== "output"), "worker-group", "node", "follow", "tail", "container"],
    example: "rayctl logs my-cluster -n ray-playground --worker-group group1 --tail 50 -f",
  },
  {
    verb: "job",
    noun: "submit",
    args: "[entrypoint...]",
    summary:
      "run a Ray job (a RayJob): on a cluster made for it (queued by Kueue, removed when the job ends) or on an existing one (--cluster)",
    flags: [
      ...COMMON,
      "name",
      "working-dir",
      "cluster",
      ...SHAPE,
      "ray-version",
      "ttl",
      "deadline",
      "wait",
      "timeout",
      "dry-run",
    ],
    example:
      "rayctl job submit -n recsys --working-dir ./src --gpus-per-worker 1 --workers 2 --wait -- python train.py --epochs 3",
  },
  {
    verb: "job",
    noun: "list",
    args: "",
    summary: "list jobs: NAME STATUS CLUSTER AGE DURATION ENTRYPOINT",
    flags: [...COMMON, "all-namespaces"],
    example: "rayctl job list -n recsys",
  },
  {
    verb: "job",
    noun: "describe",
    args: "<name>",
    summary: "a job's status, message, entrypoint, cluster and times",
    flags: COMMON,
    example: "rayctl job describe train-k3x9p -n recsys",
  },
  {
    verb: "job",
    noun: "wait",
    args: "<name>",
    summary: "wait until the job ends: exit 0 if it succeeded, 6 if not",
    flags: [...COMMON, "timeout"],
    example: "rayctl job wait train-k3x9p -n recsys --timeout 2h",
  },
  {
    verb: "job",
    noun: "logs",
    args: "<name>",
    summary: "the job's driver output (-f to follow until it ends)",
    flags: [...COMMON.filter((f) => f !== "output"), "follow", "tail"],
    example: "rayctl job logs train-k3x9p -n recsys -f",
  },
  {
    verb: "job",
    noun: "stop",
    args: "<name>",
    summary:
      "stop a running job (KubeRay fails it and removes its cluster; the record stays); a queued job is deleted",
    flags: COMMON,
    example: "rayctl job stop train-k3x9p -n recsys",
  },
  {
    verb: "job",
    noun: "delete",
    args: "<name>",
    summary: "delete a job, its cluster, token and working directory",
    flags: COMMON,
    example: "rayctl job delete train-k3x9p -n recsys",
  },
];

/** Nouns a verb may leave out: `rayctl connect NAME`, `rayctl logs NAME`. */
const NOUN_OPTIONAL = new Set(["connect", "logs"]);

const kebab = (s: string) => s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** The program, writing to `out`, handing every command to `execute`. */
export function program(out: Output, execute: Execute, done: (code: number) => void): Command {
  const root = new Command("rayctl")
    .version(`rayctl ${CLIENT_VERSION}`, "--version", "print rayctl's version")
    .helpOption("-h, --help", "help for rayctl or for a command (`rayctl create cluster --help`)")
    .configureHelp({
      formatHelp: (cmd, helper) =>
        cmd.parent === null ? HELP : Help.prototype.formatHelp.call(helper, cmd, helper),
    })
    .showSuggestionAfterError(true)
    // Flags after a subcommand are the subcommand's (`rayctl logs cluster X --tail 1`), not its parent's.
    .enablePositionalOptions()
    .exitOverride()
    .configureOutput(output(out, "rayctl", [...new Set(COMMANDS.map((c) => c.verb))]));
  const verbs = new Map<string, Command>();
  for (const spec of COMMANDS) {
    let verb = verbs.get(spec.verb);
    if (!verb) {
      const nouns = COMMANDS.filter((c) => c.verb === spec.verb).map((c) => c.noun);
      verb = root
        .command(spec.verb)
        .description(NOUN_OPTIONAL.has(spec.verb) ? spec.summary : `${spec.verb} ${nouns.join(", ")}`)
        .helpOption("-h, --help", "help for this command")
        .configureOutput(output(out, `rayctl ${spec.verb}`, nouns))
        .enablePositionalOptions();
      verbs.set(spec.verb, verb);
      if (NOUN_OPTIONAL.has(spec.verb)) {
        // `rayctl connect NAME` as well as `rayctl connect cluster NAME`.
        verb.argument("<name>", "the cluster").usage(`[cluster] <name> [options]`);
        addFlags(verb, spec);
        verb.addHelpText("after", `\nExample:\n  ${spec.example}\n`);
        verb.action(async (name: string, opts: Record<string, unknown>) =>
          done(await execute(invocation(spec, [name], opts))),
        );
      }
    }
    const leaf = verb
      .command(spec.noun)
      .description(spec.summary)
      .helpOption("-h, --help", "help for this command")
      .configureOutput(output(out, `rayctl ${spec.verb} ${spec.noun}`, []));
    if (spec.args) leaf.argument(spec.args);
    // The entrypoint's own flags are its own: `-- python train.py --lr 0.1`, or after its first word.
    if (spec.args.endsWith("...]")) leaf.passThroughOptions();
    for (const a of spec.aliases ?? []) leaf.alias(a);
    addFlags(leaf, spec);
    leaf.addHelpText(
      "after",
      `\nExample:\n  ${spec.example}\n\nExit codes: 0 done, 1 invalid input, 2 refused, 3 timed out, 4 cannot reach the cluster, 5 a bug in rayctl${spec.verb === "job" ? ", 6 the job failed (--wait)" : ""}.\n`,
    );
    leaf.action(async (...params: unknown[]) => {
      const cmd = params.at(-1) as Command;
      const operands = (cmd.processedArgs as unknown[])
        .flat()
        .filter((a): a is string => typeof a === "string");
      done(await execute(invocation(spec, operands, cmd.opts())));
    });
  }
  return root;
}

function addFlags(cmd: Command, spec: Spec): void {
  for (const key of spec.flags) {
    const [flags, help] = FLAGS[key];
    cmd.addOption(new Option(flags, help));
  }
}

function invocation(spec: Spec, args: string[], opts: Record<string, unknown>): Invocation {
  const values = Object.fromEntries(
    Object.entries(opts).map(([k, v]) => [kebab(k), v as string | boolean | undefined]),
  );
  return { verb: spec.verb, noun: spec.noun, args, values };
}

/** Where commander writes, and its errors in rayctl's words, naming the help to read. */
function output(out: Output, command: string, subcommands: readonly string[]) {
  return {
    writeOut: (s: string) => out.stdout.write(s),
    writeErr: (s: string) => out.stderr.write(s),
    outputError: (s: string, write: (s: string) => void) => write(rayctlError(s, command, subcommands)),
  };
}

/** commander's "error: unknown option '--worker'\n(Did you mean --workers?)" as one rayctl line. */
function rayctlError(s: string, command: string, subcommands: readonly string[]): string {
  const [first = "", ...rest] = s.trim().split("\n");
  const message = first.replace(/^error: /, "").replace(/\.$/, "");
  const hint = rest
    .join(" ")
    .replace(/^\((.*)\)$/, "$1")
    .replace(/^Did you mean/, "did you mean");
  const choices =
    !hint && subcommands.length > 0 && /^unknown command/.test(message)
      ? `; use ${subcommands.join(", ")}`
      : "";
  return `rayctl: ${message}${hint ? ` (${hint})` : ""}${choices}; see \`${command} --help\`.\n`;
}

/**
 * Parse `argv` and run the command; the exit code. `--dry-run` alone means client, as in
 * kubectl (and as an option with an optional value it would swallow the next argument).
 */
export async function runCommand(argv: readonly string[], out: Output, execute: Execute): Promise<number> {
  let code: number | undefined;
  const args = argv.map((a) => (a === "--dry-run" ? "--dry-run=client" : a));
  if (args.length === 0) {
    out.stdout.write(HELP);
    return 0;
  }
  try {
    await program(out, execute, (c) => (code = c)).parseAsync([...args], { from: "user" });
  } catch (err) {
    if (!(err instanceof CommanderError)) throw err;
    // Help and version are exit 0; anything commander refused is bad input.
    return err.exitCode === 0 ? 0 : INPUT_ERROR;
  }
  return code ?? INPUT_ERROR;
}
