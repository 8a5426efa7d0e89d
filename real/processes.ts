/** Long-running programs of the test control plane: started with a log file each, awaited, stopped. */
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as https from "node:https";
import * as http from "node:http";
import * as path from "node:path";

export interface Started {
  readonly name: string;
  readonly child: ChildProcess;
  readonly log: string;
  /** Set once the process has exited: its code or signal. */
  exited?: string;
}

export function start(
  name: string,
  command: string,
  args: readonly string[],
  opts: { logDir: string; env?: NodeJS.ProcessEnv; cwd?: string; prefix?: readonly string[] },
): Started {
  const log = path.join(opts.logDir, `${name}.log`);
  const out = fs.openSync(log, "a");
  const argv = [...(opts.prefix ?? []), command, ...args];
  const child = spawn(argv[0]!, argv.slice(1), {
    stdio: ["ignore", out, out],
    env: opts.env ?? process.env,
    cwd: opts.cwd,
  });
  fs.closeSync(out);
  const started: Started = { name, child, log };
  child.on("exit", (code, signal) => (started.exited = signal ?? `exit code ${code}`));
  child.on("error", (err) => (started.exited = err.message));
  return started;
}

/** The last lines of a process's log, for an error message. */
export function tail(p: Started, lines = 15): string {
  const text = fs.existsSync(p.log) ? fs.readFileSync(p.log, "utf8") : "";
  return text.split("\n").slice(-lines).join("\n");
}

/** Resolves once `url` answers 200 (any certificate accepted: the caller checks what it trusts elsewhere). */
export async function waitHealthy(
  p: Started,
  url: string,
  timeoutMs: number,
  headers: Record<string, string> = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (p.exited)
      throw new Error(
        `${p.name} exited (${p.exited}) before it was ready; its log ${p.log} ends:\n${tail(p)}`,
      );
    if ((await status(url, headers)) === 200) return;
    if (Date.now() > deadline)
      throw new Error(
        `${p.name} was not ready at ${url} after ${timeoutMs / 1000} s; its log ${p.log} ends:\n${tail(p)}`,
      );
    await sleep(250);
  }
}

export function status(url: string, headers: Record<string, string> = {}): Promise<number> {
  const lib = url.startsWith("https:") ? https : http;
  return new Promise((resolve) => {
    const req = lib.get(url, { headers, rejectUnauthorized: false, timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(0));
  });
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves when every process is gone. */
export async function stopAll(procs: readonly Started[], graceMs = 5000): Promise<void> {
  await Promise.all(
    procs.map(async (p) => {
      if (p.exited || p.child.exitCode !== null) return;
      const gone = new Promise<void>((resolve) => p.child.once("exit", () => resolve()));
      p.child.kill("SIGTERM");
      const timer = setTimeout(() => p.child.kill("SIGKILL"), graceMs);
      await gone;
      clearTimeout(timer);
    }),
  );
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
