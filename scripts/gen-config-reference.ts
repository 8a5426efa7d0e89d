/**
 * `npm run docs:config`: rewrite the configuration reference in README.md, and the scalar keys'
 * descriptions and defaults in Pulumi.yaml, from the zod schemas in config/
 * (scripts/configReference.ts). Run it after changing a setting, its description or its
 * default; test/configReference.test.ts fails until you do.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { referenceTables, withProjectConfig, withReference } from "./configReference";

const tables = referenceTables();
const settings = tables.reduce((n, t) => n + t.rows.length, 0);
for (const [file, rewrite] of [
  ["README.md", withReference],
  ["Pulumi.yaml", withProjectConfig],
] as const) {
  const at = path.join(__dirname, "..", file);
  const before = fs.readFileSync(at, "utf8");
  const after = rewrite(before, tables);
  if (after !== before) fs.writeFileSync(at, after);
  console.log(
    `${file}: ${after === before ? "up to date" : "rewritten"} (${settings} settings in ${tables.length} tables).`,
  );
}
