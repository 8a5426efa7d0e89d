/**
 * `npm run plan`: the offline plan of a stack. Evaluates the program under Pulumi's mock
 * engine (no CLI, credentials or network) and prints what `pulumi up` would create.
 *
 * Exit codes: 0 plan ok, 1 invalid configuration (file:line errors), 2 usage.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { ConfigError } from "../config/errors";
import { stackSchema } from "../config/stack";
import { adoptionNotes } from "./adoption";
import { evaluate, type Evaluation, EvaluationFailed, isSecretValue, readStackConfig, UsageError } from "./engine";
import { diffPlans } from "./diff";
import { writeManifests } from "./manifests";
import { platformView } from "./model";
import { checkPolicies } from "./policies";
import { markdownReport } from "./report";
import { planAtRevision, resolveRevision } from "./revision";
import { diffText, summary } from "./summary";

const USAGE = `usage: npm run plan -- [--stack NAME] [--json FILE] [--out DIR] [--diff REF [--report FILE]] [--quiet]

  --stack NAME    stack to plan (Pulumi.NAME.yaml); default dev
  --json FILE     write every registered resource as JSON ({ type, name, parent, inputs, ... })
  --out DIR       write the Kubernetes objects as YAML manifests, one file per namespace
  --diff REF      compare with the plan at git revision REF (e.g. origin/main): added,
                  removed and changed resources, dangerous changes first
  --report FILE   with --diff: write the comparison as Markdown (for a pull request comment)
  --quiet         print nothing but errors

exit codes: 0 ok, 1 invalid configuration or policy violation, 2 usage
`;

export interface PlanArgs {
  stack: string;
  json?: string;
  out?: string;
  diff?: string;
  report?: string;
  quiet: boolean;
  projectDir: string;
}

export function parsePlanArgs(argv: string[]): PlanArgs {
  const { values } = parseArgs({
    args: argv,
    options: {
      stack: { type: "string", default: "dev" },
      json: { type: "string" },
      out: { type: "string" },
      diff: { type: "string" },
      report: { type: "string" },
      quiet: { type: "boolean", default: false },
      "project-dir": { type: "string" },
      help: { type: "boolean", default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) throw new UsageError("");
  if (values.report && !values.diff) throw new UsageError("--report needs --diff REF: the report describes a comparison.");
  return {
    stack: values.stack!,
    json: values.json,
    out: values.out,
    diff: values.diff,
    report: values.report,
    quiet: values.quiet!,
    projectDir: path.resolve(values["project-dir"] ?? path.join(__dirname, "..")),
  };
}

/** ray-platform:maxCostIncrease of the stack (validated by the program, which has just run). */
function maxCostIncrease(args: PlanArgs): number {
  const key = "ray-platform:maxCostIncrease";
  return Number(stackSchema.shape[key].parse(readStackConfig(args.projectDir, args.stack)[key] || undefined));
}

/** Every resource in a stable order, secrets masked: the format other tools read. */
export function planJson(ev: Evaluation): string {
  const resources = [...ev.resources]
    .sort((a, b) => (a.urn < b.urn ? -1 : a.urn > b.urn ? 1 : 0))
    .map((r) => ({ type: r.type, name: r.name, urn: r.urn, parent: r.parent, provider: r.provider, inputs: r.inputs, options: r.options }));
  return JSON.stringify({ outputs: ev.outputs, resources }, maskSecrets, 2) + "\n";
}

function maskSecrets(_key: string, value: unknown): unknown {
  return isSecretValue(value) ? "[secret]" : value;
}

/** Progress and timing for people watching a large plan; stderr, so stdout stays the plan. */
function progress(args: PlanArgs, started: number, message: string): void {
  if (!args.quiet) process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(1)}s] ${message}\n`);
}

async function run(args: PlanArgs): Promise<number> {
  const started = Date.now();
  // Checked before the slow part: a typo in the revision should not cost a whole plan.
  const baseCommit = args.diff ? resolveRevision(args.diff, args.projectDir) : undefined;
  progress(args, started, `evaluating stack ${args.stack} under the mock engine`);
  let ev: Evaluation;
  try {
    ev = await evaluate({ stack: args.stack, projectDir: args.projectDir, loadProgram: () => import(path.join(args.projectDir, "index.ts")) });
  } catch (err) {
    const config = findConfigError(err instanceof EvaluationFailed ? err.cause : err);
    if (!config) throw err instanceof EvaluationFailed ? err.cause : err;
    process.stderr.write(`${config}\n`);
    return 1;
  }
  progress(args, started, `${ev.resources.length} resources registered`);
  if (args.json) fs.writeFileSync(args.json, planJson(ev));
  if (args.out) progress(args, started, `wrote ${writeManifests(ev.resources, args.out).length} manifest files to ${args.out}`);
  const head = platformView(ev.resources);
  if (!args.quiet) {
    const notes = (ev.outputs.notes as string[] | undefined) ?? [];
    process.stdout.write(summary(head, { stack: args.stack, mode: String(ev.outputs.mode), notes }));
  }
  if (args.diff && baseCommit) {
    progress(args, started, `planning ${args.diff} (${baseCommit.slice(0, 12)}) to compare`);
    const base = planAtRevision(baseCommit, args.projectDir, args.stack);
    // The JSON round trip gives both plans the same shape (no undefined fields) before comparing.
    const d = diffPlans(base.resources, JSON.parse(planJson(ev)).resources);
    if (!args.quiet) process.stdout.write(`\n${diffText(d, args.diff, base.note)}`);
    if (args.report) fs.writeFileSync(args.report, markdownReport(d, platformView(base.resources), head, { stack: args.stack, baseRef: args.diff, note: base.note, maxCostIncrease: maxCostIncrease(args) }));
    const adoption = adoptionNotes(base.resources, ev.resources);
    if (!args.quiet && adoption.length > 0) process.stdout.write(`\nretained objects:\n${adoption.map((n) => `  ${n}`).join("\n")}\n`);
    if (args.report && adoption.length > 0) fs.appendFileSync(args.report, `\n### Retained objects\n\n${adoption.map((n) => `- ${n}`).join("\n")}\n`);
  }
  const violations = checkPolicies(ev.resources);
  if (violations.length > 0) {
    process.stderr.write(`policy violations (${violations.length}):\n${violations.map((v) => `  ${v}`).join("\n")}\n`);
    return 1;
  }
  process.stderr.write(`planned ${ev.resources.length} resources in ${((Date.now() - started) / 1000).toFixed(1)}s\n`);
  return 0;
}

async function main(argv: string[]): Promise<number> {
  try {
    return await run(parsePlanArgs(argv));
  } catch (err) {
    const badArgs = String((err as { code?: string }).code).startsWith("ERR_PARSE_ARGS");
    if (!(err instanceof UsageError) && !badArgs) throw err;
    process.stderr.write(`${(err as Error).message ? `${(err as Error).message}\n\n` : ""}${USAGE}`);
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
      process.stderr.write(`${(err as Error).stack ?? err}\n${process.env.RAY_PLATFORM_PLAN_STACKS ? "" : "(set RAY_PLATFORM_PLAN_STACKS=1 for a full stack trace)\n"}`);
      process.exit(3);
    },
  );
}
