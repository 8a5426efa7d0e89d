#!/usr/bin/env node
// --help and --version answer from a small module; everything else loads the CLI (esbuild
// initialises a dynamically imported module only when it is imported).
import { CLIENT_VERSION, HELP } from "./help";

const argv = process.argv.slice(2);
if (argv.length === 0 || argv[0] === "help" || argv.includes("--help") || argv.includes("-h")) {
  process.stdout.write(HELP);
} else if (argv.includes("--version")) {
  process.stdout.write(`rayctl ${CLIENT_VERSION}\n`);
} else {
  import("./cli")
    .then(({ run }) => run(argv, { stdout: process.stdout, stderr: process.stderr, env: process.env }))
    .then(
      (code) => {
        process.exitCode = code;
      },
      (err) => {
        process.stderr.write(`rayctl: ${(err as Error).stack ?? String(err)}\n`);
        process.exitCode = 5;
      },
    );
}
