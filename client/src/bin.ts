#!/usr/bin/env node
// Commands, flags and help come from a small module (commands.ts); the SDK and everything a
// command needs load only when one runs (esbuild initialises a dynamically imported module
// only when it is imported), so `rayctl <command> --help` starts at once.
import { runCommand } from "./commands";

// A reader that stops early (`rayctl logs ... | head`) is not an error.
for (const stream of [process.stdout, process.stderr])
  stream.on("error", (err: NodeJS.ErrnoException) =>
    err.code === "EPIPE" ? process.exit(process.exitCode ?? 0) : undefined,
  );

const io = { stdout: process.stdout, stderr: process.stderr, env: process.env };
runCommand(process.argv.slice(2), io, async (call) => (await import("./cli")).execute(call, io)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`rayctl: internal error (please report): ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 5;
  },
);
