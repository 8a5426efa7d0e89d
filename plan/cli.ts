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
import { evaluate, type Evaluation, EvaluationFailed, UsageError } from "./engine";
import { platformView } from "./model";
import { summary } from "./summary";

const USAGE = `usage: npm run plan -- [--stack NAME] [--json FILE] [--quiet]

  --stack NAME   stack to plan (Pulumi.NAME.yaml); default dev
  --json FILE    write every registered resource as JSON ({ type, name, parent, inputs, ... })
  --quiet        print nothing but errors
`;

export interface PlanArgs {
  stack: string;
  json?: string;
  quiet: boolean;
  projectDir: string;
}

export function parsePlanArgs(argv: string[]): PlanArgs {
  const { values } = parseArgs({
    args: argv,
    options: {
      stack: { type: "string", default: "dev" },
      json: { type: "string" },
      quiet: { type: "boolean", default: false },
      "project-dir": { type: "string" },
      help: { type: "boolean", default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) throw new UsageError("");
  return { stack: values.stack!, json: values.json, quiet: values.quiet!, projectDir: path.resolve(values["project-dir"] ?? path.join(__dirname, "..")) };
}

/** Every resource in a stable order, secrets masked: the format other tools read. */
export function planJson(ev: Evaluation): string {
  const resources = [...ev.resources]
    .sort((a, b) => a.urn.localeCompare(b.urn))
    .map((r) => ({ type: r.type, name: r.name, urn: r.urn, parent: r.parent, provider: r.provider, inputs: r.inputs, options: r.options }));
  return JSON.stringify({ outputs: ev.outputs, resources }, maskSecrets, 2) + "\n";
}

/** Pulumi marks secret values with this signature key when they cross the wire. */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";
function maskSecrets(_key: string, value: unknown): unknown {
  if (value && typeof value === "object" && (value as Record<string, unknown>)[SECRET_SIG] === "1b47061264138c4ac30d75fd1eb44270") return "[secret]";
  return value;
}

async function main(argv: string[]): Promise<number> {
  let args: PlanArgs;
  try {
    args = parsePlanArgs(argv);
  } catch (err) {
    process.stderr.write(`${(err as Error).message ? `${(err as Error).message}\n\n` : ""}${USAGE}`);
    return 2;
  }
  const started = Date.now();
  let ev: Evaluation;
  try {
    ev = await evaluate({ stack: args.stack, projectDir: args.projectDir, loadProgram: () => import(path.join(args.projectDir, "index.ts")) });
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`${err.message}\n`);
      return 2;
    }
    const config = findConfigError(err instanceof EvaluationFailed ? err.cause : err);
    if (config) {
      process.stderr.write(`${config}\n`);
      return 1;
    }
    throw err;
  }
  if (args.json) fs.writeFileSync(args.json, planJson(ev));
  if (!args.quiet) {
    const notes = (ev.outputs.notes as string[] | undefined) ?? [];
    process.stdout.write(summary(platformView(ev.resources), { stack: args.stack, mode: String(ev.outputs.mode), notes }));
  }
  process.stderr.write(`planned ${ev.resources.length} resources in ${((Date.now() - started) / 1000).toFixed(1)}s\n`);
  return 0;
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
      process.stderr.write(`${(err as Error).stack ?? err}\n`);
      process.exit(3);
    },
  );
}
