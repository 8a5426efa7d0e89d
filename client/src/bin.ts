#!/usr/bin/env node
import { run } from "./cli";

run(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env }).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`rayctl: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 5;
  },
);
