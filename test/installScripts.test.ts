/** `npm ci` stays quiet (every install script has a decision in allowScripts), and the pinned charts are what their provenance says. */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
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
  expect(Object.keys(read("package.json").allowScripts ?? {}).sort()).toEqual(
    [...new Set(withScripts)].sort(),
  );
});

test("the pinned charts are the files their PROVENANCE.md names, by checksum (scripts/pin-*.sh write both)", () => {
  for (const dir of ["data/kuberay/1.7.0", "data/kueue/0.19.2"]) {
    const recorded = /Checksum[^`]*`[^`]+`\):\s*`([0-9a-f]{64})`/.exec(
      fs.readFileSync(path.join(PROJECT_DIR, dir, "PROVENANCE.md"), "utf8"),
    )?.[1];
    const chart = path.join(PROJECT_DIR, dir, "chart");
    const files = execFileSync("find", [".", "-type", "f"], { cwd: chart, encoding: "utf8" })
      .split("\n")
      .filter(Boolean)
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    expect(files.length, dir).toBeGreaterThan(3);
    const lines = files
      .map(
        (f) =>
          `${createHash("sha256")
            .update(fs.readFileSync(path.join(chart, f)))
            .digest("hex")}  ${f}\n`,
      )
      .join("");
    expect(createHash("sha256").update(lines).digest("hex"), dir).toBe(recorded);
  }
});
