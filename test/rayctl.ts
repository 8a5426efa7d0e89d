/**
 * One way to run rayctl in the tests: in this process (client/src/cli.ts `run`, fast, sees the
 * fake API server's state at once) or as users get it (the bundle in a fresh node process).
 * Either way the exit code and output come back instead of a throw.
 */
import { execFile } from "node:child_process";
import { run } from "../client/src/cli";

export interface RayctlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RayctlOptions {
  readonly env?: NodeJS.ProcessEnv;
  /** Flags every call gets (`--context alice`); put before a "--", after which a job's entrypoint starts. */
  readonly flags?: readonly string[];
  readonly signal?: AbortSignal;
  readonly pollMs?: number;
  /** Sees stderr as rayctl writes it (in-process only), for a test that waits on a running command. */
  readonly onStderr?: (text: string) => void;
}

/** A command line as argv (split on spaces: no quoting), with `flags` before any "--". */
export function rayctlArgv(line: string, flags: readonly string[] = []): string[] {
  const args = line.split(" ").filter(Boolean);
  args.splice(args.includes("--") ? args.indexOf("--") : args.length, 0, ...flags);
  return args;
}

/** rayctl in this process. */
export async function rayctlInProcess(line: string, o: RayctlOptions = {}): Promise<RayctlResult> {
  let stdout = "";
  let stderr = "";
  const code = await run(rayctlArgv(line, o.flags), {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: {
      write: (s: string) => {
        stderr += s;
        o.onStderr?.(s);
      },
    },
    env: o.env ?? {},
    pollMs: o.pollMs ?? 5,
    signal: o.signal,
  });
  return { code, stdout, stderr };
}

/** The bundled rayctl.js at `bin`, in a fresh node process. */
export function rayctlBundled(
  bin: string,
  line: string,
  o: Omit<RayctlOptions, "onStderr"> & { cwd?: string; timeoutMs?: number } = {},
): Promise<RayctlResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [bin, ...rayctlArgv(line, o.flags)],
      { env: o.env, cwd: o.cwd, timeout: o.timeoutMs ?? 300_000 },
      (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}
