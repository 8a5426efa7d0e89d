// Bundles the CLI and the SDK, with the program's planning and rendering code they share,
// into two files that need only Node.js 20: nothing to install beside them.
//   node client/build.mjs [OUTDIR]      (default client/dist)
// esbuild comes from the repository's devDependencies (build from a checkout).
import { build } from "esbuild";
import { load } from "js-yaml";
import * as fs from "node:fs";
import * as path from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const out = path.resolve(process.argv[2] ?? path.join(here, "dist"));
const common = {
  bundle: true,
  platform: "node",
  target: "node20",
  format: "cjs",
  legalComments: "none",
  logLevel: "warning",
  minifySyntax: true,
};
// bin.ts starts with #!/usr/bin/env node, which esbuild keeps.
await build({
  ...common,
  entryPoints: [path.join(here, "src/bin.ts")],
  outfile: path.join(out, "rayctl.js"),
});
await build({ ...common, entryPoints: [path.join(here, "src/sdk.ts")], outfile: path.join(out, "sdk.js") });

// The RayCluster schema of every pinned KubeRay version, for --file checks (client/src/crdSchema.ts),
// with KubeRay's licence (the CRDs are Apache-2.0, data/kuberay/<version>/PROVENANCE.md).
const pinned = path.join(here, "..", "data", "kuberay");
for (const version of fs.readdirSync(pinned)) {
  const crd = load(fs.readFileSync(path.join(pinned, version, "crds", "ray.io_rayclusters.yaml"), "utf8"));
  const dir = path.join(out, "crds", version);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(
    path.join(dir, "rayclusters.schema.json"),
    JSON.stringify(crd.spec.versions.find((v) => v.name === "v1").schema.openAPIV3Schema),
  );
  fs.copyFileSync(path.join(pinned, version, "LICENSE"), path.join(dir, "LICENSE"));
}
