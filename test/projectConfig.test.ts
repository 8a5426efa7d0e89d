/** Pulumi.yaml declares the scalar keys with the same defaults the program applies. */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { expect, test } from "vitest";
import { SCALAR_KEYS, stackSchema } from "../config/stackFile";
import { PROJECT_DIR } from "./mocks";

const project = parse(fs.readFileSync(path.join(PROJECT_DIR, "Pulumi.yaml"), "utf8"));

test("every scalar key is declared in Pulumi.yaml, with a description", () => {
  const declared = Object.keys(project.config).map((k) => `${project.name}:${k}`);
  expect(declared.sort()).toEqual([...SCALAR_KEYS].sort());
  for (const spec of Object.values<any>(project.config)) {
    expect(spec.type).toBe("string");
    expect(spec.description.length).toBeGreaterThan(20);
  }
});

test("Pulumi.yaml's defaults are the program's defaults", () => {
  const defaults = stackSchema.parse({});
  for (const [key, spec] of Object.entries<any>(project.config)) {
    const programDefault = defaults[`ray-platform:${key}` as keyof typeof defaults] ?? "";
    expect(spec.default, key).toBe(programDefault);
  }
});
