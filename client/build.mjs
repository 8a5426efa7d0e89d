// Bundles the CLI and the SDK, with the program's planning and rendering code they share,
// into two files that need only Node.js 20: nothing to install beside them.
//   node client/build.mjs [OUTDIR]      (default client/dist)
// esbuild comes from the repository's devDependencies (build from a checkout).
import { build } from "esbuild";
import * as path from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const out = path.resolve(process.argv[2] ?? path.join(here, "dist"));
const common = { bundle: true, platform: "node", target: "node20", format: "cjs", legalComments: "none", logLevel: "warning", minifySyntax: true };
// bin.ts starts with #!/usr/bin/env node, which esbuild keeps.
await build({ ...common, entryPoints: [path.join(here, "src/bin.ts")], outfile: path.join(out, "rayctl.js") });
await build({ ...common, entryPoints: [path.join(here, "src/sdk.ts")], outfile: path.join(out, "sdk.js") });
