/** `npm ci` stays quiet: every dependency with an install script has a decision in package.json's allowScripts. */
import * as fs from "node:fs";
import * as path from "node:path";
import { expect, test } from "vitest";
import { PROJECT_DIR } from "./mocks";

test("every package with an install script is allowed or denied in allowScripts", () => {
  const read = (f: string) => JSON.parse(fs.readFileSync(path.join(PROJECT_DIR, f), "utf8"));
  const lock = read("package-lock.json") as { packages: Record<string, { hasInstallScript?: boolean }> };
  const withScripts = Object.entries(lock.packages)
    .filter(([, p]) => p.hasInstallScript)
    .map(([where]) => where.split("node_modules/").pop()!);
  expect(withScripts.length).toBeGreaterThan(0);
  expect(Object.keys(read("package.json").allowScripts ?? {}).sort()).toEqual([...new Set(withScripts)].sort());
});
