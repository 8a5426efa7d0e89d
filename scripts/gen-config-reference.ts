/**
 * `npm run docs:config`: rewrite the configuration reference in docs/team-file.md and
 * docs/stack-config.md, and the scalar keys' descriptions and defaults in Pulumi.yaml, from the
 * zod schemas in config/ (scripts/configReference.ts). Run it after changing a setting, its
 * description or its default; test/configReference.test.ts fails until you do.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { REFERENCE_PAGES, referenceTables, withProjectConfig, withReference } from "./configReference";

const tables = referenceTables();
const settings = (page: string) => {
  const held = tables.filter((t) => t.page === page);
  return ` (${held.reduce((n, t) => n + t.rows.length, 0)} settings in ${held.length} tables)`;
};
for (const [file, rewrite, what] of [
  ...REFERENCE_PAGES.map(
    (page) => [page, (text: string) => withReference(page, text, tables), settings(page)] as const,
  ),
  ["Pulumi.yaml", (text: string) => withProjectConfig(text, tables), " (the scalar stack keys)"] as const,
]) {
  const at = path.join(__dirname, "..", file);
  const before = fs.readFileSync(at, "utf8");
  const after = rewrite(before);
  if (after !== before) fs.writeFileSync(at, after);
  console.log(`${file}: ${after === before ? "up to date" : "rewritten"}${what}.`);
}
