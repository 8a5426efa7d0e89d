/**
 * `npm run docs:config`: rewrite the configuration reference in README.md from the zod schemas
 * in config/ (scripts/configReference.ts). Run it after changing a setting, its description or
 * its default; test/configReference.test.ts fails until you do.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { referenceTables, withReference } from "./configReference";

const README = path.join(__dirname, "..", "README.md");
const tables = referenceTables();
const before = fs.readFileSync(README, "utf8");
const after = withReference(before, tables);
const settings = tables.reduce((n, t) => n + t.rows.length, 0);
if (after === before) console.log(`README.md: configuration reference up to date (${settings} settings).`);
else {
  fs.writeFileSync(README, after);
  console.log(`README.md: configuration reference rewritten (${settings} settings in ${tables.length} tables).`);
}
