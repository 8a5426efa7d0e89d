/**
 * The Node.js options the program runs with: Pulumi.yaml's `runtime.options.nodeargs`, which
 * the Pulumi CLI's language host puts before the program on node's command line
 * (pulumi/pulumi sdk/nodejs/cmd/pulumi-language-nodejs/main.go, `shlex.Split(opts.nodeargs)`).
 * The offline plan, its --diff base, the benchmark and the real engine's tests start node with
 * the same options, so each measures and runs the program as `pulumi up` does.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { parse } from "yaml";

/** `nodeargs` of the project's Pulumi.yaml, split into arguments; none when it sets none. */
export function projectNodeArgs(projectDir: string): string[] {
  const file = path.join(projectDir, "Pulumi.yaml");
  const project = parse(fs.readFileSync(file, "utf8")) as { runtime?: { options?: { nodeargs?: unknown } } };
  const nodeargs = project?.runtime?.options?.nodeargs;
  if (nodeargs === undefined) return [];
  // Options only: the language host splits like a shell, this reads words, so quotes would differ.
  if (typeof nodeargs !== "string" || /["'\\]/.test(nodeargs))
    throw new Error(
      `${file}: runtime.options.nodeargs must be a string of node options without quotes (e.g. "--max-semi-space-size=32"); got ${JSON.stringify(nodeargs)}.`,
    );
  return nodeargs.split(/\s+/).filter(Boolean);
}

/** node's arguments to run a TypeScript file of the project as `npm run plan` runs plan/cli.ts: its node options, then tsx's loader (this checkout's, wherever the process starts). */
export function tsNodeArgv(projectDir: string, file: string, args: readonly string[]): string[] {
  return [
    ...projectNodeArgs(projectDir),
    "--import",
    pathToFileURL(require.resolve("tsx")).href,
    file,
    ...args,
  ];
}
