/**
 * `npm run plan`: the offline plan of a stack. Evaluates the program under Pulumi's mock
 * engine (no CLI, credentials or network) and prints what `pulumi up` would create.
 *
 * Exit codes: 0 plan ok, 1 invalid configuration (file:line errors) or policy violation,
 * 2 usage, 3 the program failed, 4 the --diff base revision does not evaluate.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { ConfigError } from "../config/errors";
import { stackSchema } from "../config/stackFile";
import { type PlatformView } from "../config/view";
import { adoptionNotes } from "./adoption";
import {
  evaluate,
  type Evaluation,
  EvaluationFailed,
  type RegisteredResource,
  readStackConfig,
  UsageError,
} from "./engine";
import { diffPlans } from "./diff";
import { writeManifests } from "./manifests";
import { asPlanJson, planResources, writePlanJson } from "./planJson";
import { checkPolicies } from "./policies";
import { platformView } from "./model";
import { markdownReport } from "./report";
import { BaseRevisionFailed, planAtRevision, resolveRevision } from "./revision";
import { diffText, summary } from "./summary";

const USAGE = `usage: npm run plan -- [--stack NAME] [--json FILE] [--out DIR] [--diff REF [--report FILE] [--full] [--fresh-base]] [--quiet]

  --stack NAME    stack to plan (Pulumi.NAME.yaml); default dev
  --json FILE     write every registered resource as JSON ({ type, name, parent, inputs, ... })
  --out DIR       write the Kubernetes objects as YAML manifests, one file per namespace
  --diff REF      print only the changes against the plan at git revision REF (e.g.
                  origin/main): dangerous changes first, then every changed field old -> new
  --report FILE   with --diff: write the comparison as Markdown (for a pull request comment)
  --full          with --diff: print the whole plan after the changes
  --fresh-base    with --diff: plan REF again rather than read its plan from the cache
                  (\${XDG_CACHE_HOME:-~/.cache}/ray-platform/base-plans, by REF's files,
                  package-lock.json, node's version and the stack)
  --quiet         only what was asked for, and errors: no progress or notes on stderr, and
                  with --json or --out no plan on stdout
  --help          this text

The plan (or, with --diff, the changes) goes to stdout; progress and notes go to stderr.

exit codes: 0 ok, 1 invalid configuration or policy violation, 2 usage, 3 the program
failed, 4 the --diff base revision does not evaluate (its configuration is invalid)
`;

/** Where the plan writes: the process's streams, or a test's buffers (test/plan.test.ts runs it in-process). */
export interface PlanIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
}

interface PlanArgs {
  io: PlanIo;
  stack: string;
  json?: string;
  out?: string;
  diff?: string;
  report?: string;
  full: boolean;
  freshBase: boolean;
  quiet: boolean;
  help: boolean;
  projectDir: string;
}

function parsePlanArgs(argv: string[], io: PlanIo): PlanArgs {
  const { values } = parseArgs({
    args: argv,
    options: {
      stack: { type: "string", default: "dev" },
      json: { type: "string" },
      out: { type: "string" },
      diff: { type: "string" },
      report: { type: "string" },
      full: { type: "boolean", default: false },
      "fresh-base": { type: "boolean", default: false },
      quiet: { type: "boolean", default: false },
      "project-dir": { type: "string" },
      help: { type: "boolean", default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if ((values.report || values.full || values["fresh-base"]) && !values.diff)
    throw new UsageError(
      "--report, --full and --fresh-base need --diff REF: they are about a comparison; add --diff origin/main, for example.",
    );
  return {
    io,
    stack: values.stack!,
    json: values.json,
    out: values.out,
    diff: values.diff,
    report: values.report,
    full: values.full!,
    freshBase: values["fresh-base"]!,
    quiet: values.quiet!,
    help: values.help!,
    projectDir: path.resolve(values["project-dir"] ?? path.join(__dirname, "..")),
  };
}

/** ray-platform:maxCostIncrease of the stack (validated by the program, which has just run). */
function maxCostIncrease(args: PlanArgs): number {
  const key = "ray-platform:maxCostIncrease";
  return Number(stackSchema.shape[key].parse(readStackConfig(args.projectDir, args.stack)[key] || undefined));
}

/**
 * The view of the evaluated program, from the configuration it returned. Undefined for a
 * program that returns none. Returned as JSON reads it back (no undefined fields), so a view
 * compared with one read from a base revision's plan JSON differs only where values do.
 */
function evaluatedView(ev: Evaluation): PlatformView | undefined {
  return ev.config && (JSON.parse(JSON.stringify(platformView(ev.config, ev.resources))) as PlatformView);
}

/** Progress and timing for people watching a large plan; stderr, so stdout stays the plan. */
function progress(args: PlanArgs, started: number, message: string): void {
  if (!args.quiet) args.io.stderr.write(`[${((Date.now() - started) / 1000).toFixed(1)}s] ${message}\n`);
}

async function run(args: PlanArgs): Promise<number> {
  if (args.help) {
    args.io.stdout.write(USAGE);
    return 0;
  }
  const started = Date.now();
  // Checked before the slow part: a typo in the revision should not cost a whole plan.
  const baseCommit = args.diff ? resolveRevision(args.diff, args.projectDir) : undefined;
  // The base revision is planned in a child process while this one evaluates the head.
  const basePlan = baseCommit
    ? planAtRevision(baseCommit, args.projectDir, args.stack, { fresh: args.freshBase })
    : undefined;
  basePlan?.catch(() => undefined); // handled below; not an unhandled rejection meanwhile
  if (baseCommit)
    progress(args, started, `planning ${args.diff} (${baseCommit.slice(0, 12)}) in parallel to compare`);
  progress(args, started, `evaluating stack ${args.stack} under the mock engine`);
  let ev: Evaluation;
  try {
    ev = await evaluate({
      stack: args.stack,
      projectDir: args.projectDir,
      loadProgram: () => import(path.join(args.projectDir, "index.ts")),
    });
  } catch (err) {
    const config = findConfigError(err instanceof EvaluationFailed ? err.cause : err);
    if (!config) throw err instanceof EvaluationFailed ? err.cause : err;
    args.io.stderr.write(`${config}\n`);
    return 1;
  }
  progress(args, started, `${ev.resources.length} resources registered`);
  const view = evaluatedView(ev);
  if (args.json) writePlanJson(args.json, ev, view);
  if (args.out)
    progress(
      args,
      started,
      `wrote ${writeManifests(ev.resources, args.out).length} manifest files to ${args.out}`,
    );
  const head = () => {
    if (!view)
      throw new Error(
        `the program in ${args.projectDir} returns no validated configuration for the plan (config/load.ts PLATFORM_CONFIG); plan it with the npm run plan of its own revision.`,
      );
    return view;
  };
  const notes = (ev.outputs.notes as string[] | undefined) ?? [];
  const plan = () => summary(head(), { stack: args.stack, mode: String(ev.outputs.mode) });
  if (basePlan && args.diff) {
    let base: Awaited<typeof basePlan>;
    try {
      base = await basePlan;
    } catch (err) {
      if (!(err instanceof BaseRevisionFailed)) throw err;
      args.io.stderr.write(`--diff ${args.diff}: ${err.message}\n`);
      return 4;
    }
    progress(args, started, base.cached ? `${args.diff}'s plan read from the cache` : `${args.diff} planned`);
    // Both plans in the same shape, the plan JSON's (no undefined fields), before comparing.
    const d = diffPlans(base.resources, asPlanJson(planResources(ev)) as RegisteredResource[]);
    args.io.stdout.write(diffText(d, args.diff, base.note));
    if (args.report) {
      if (!base.view)
        progress(
          args,
          started,
          `${args.diff} predates the configuration view in its plan: the report compares its resources only (no team table or costs)`,
        );
      fs.writeFileSync(
        args.report,
        markdownReport(d, base.view, head(), {
          stack: args.stack,
          baseRef: args.diff,
          note: base.note,
          maxCostIncrease: maxCostIncrease(args),
        }),
      );
    }
    const adoption = adoptionNotes(base.resources, ev.resources);
    if (adoption.length > 0)
      args.io.stdout.write(`\nretained objects:\n${adoption.map((n) => `  ${n}`).join("\n")}\n`);
    if (args.report && adoption.length > 0)
      fs.appendFileSync(
        args.report,
        `\n### Retained objects\n\n${adoption.map((n) => `- ${n}`).join("\n")}\n`,
      );
    if (args.full) args.io.stdout.write(`\n${plan()}`);
  } else if (!(args.quiet && (args.json || args.out))) args.io.stdout.write(plan());
  if (!args.quiet && notes.length > 0)
    args.io.stderr.write(`Notes\n${notes.map((n) => `  ${n}\n`).join("")}`);
  // What the program logged, but the notes, which the plan has just listed.
  const logged = ev.logs.filter((l) => !notes.some((n) => l.endsWith(`] ${n}`)));
  if (!args.quiet && logged.length > 0) args.io.stderr.write(`${logged.join("\n")}\n`);
  const violations = checkPolicies(ev.resources);
  if (violations.length > 0) {
    args.io.stderr.write(
      `policy violations (${violations.length}):\n${violations.map((v) => `  ${v}`).join("\n")}\n`,
    );
    return 1;
  }
  if (!args.quiet)
    args.io.stderr.write(
      `planned ${ev.resources.length} resources in ${((Date.now() - started) / 1000).toFixed(1)}s\n`,
    );
  return 0;
}

/** The plan for `argv` (as after `npm run plan --`); resolves to the exit code. */
export async function main(argv: string[], io: PlanIo = process): Promise<number> {
  try {
    return await run(parsePlanArgs(argv, io));
  } catch (err) {
    const badArgs = String((err as { code?: string }).code).startsWith("ERR_PARSE_ARGS");
    if (!(err instanceof UsageError) && !badArgs) throw err;
    io.stderr.write(`${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
}

/** The configuration problems behind an error, as the program reports them (ConfigError or its RunError). */
function findConfigError(err: unknown): string | undefined {
  if (err instanceof ConfigError) return err.message;
  const message = (err as Error)?.message ?? "";
  return message.startsWith("ray-platform: the configuration has") ? message : undefined;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => {
      process.stderr.write(
        `${(err as Error).stack ?? err}\n${process.env.RAY_PLATFORM_PLAN_STACKS ? "" : "(set RAY_PLATFORM_PLAN_STACKS=1 for a full stack trace)\n"}`,
      );
      process.exit(3);
    },
  );
}
