/**
 * The plan JSON: its text written a resource at a time (writePlanJson), and its shape without the
 * text (asPlanJson), what a --diff compares the head as.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { expect, test } from "vitest";
import { asPlanJson, planResources, writePlanJson } from "../plan/planJson";
import { type PlatformView } from "../config/view";
import { platformView } from "../plan/model";
import { type Evaluation, isSecretValue } from "../plan/engine";
import { runProgram } from "./mocks";

const secret = (value: unknown) => ({
  [pulumi.runtime.specialSigKey]: pulumi.runtime.specialSecretSig,
  value,
});

test("values come out as JSON.parse of their JSON text: secrets masked, undefined left out or null, non-finite numbers null", () => {
  const value = {
    kept: { s: "a", n: 1.5, t: true, f: null, nested: [1, "b", { deep: [] }] },
    gone: undefined,
    fn: () => 1,
    list: [undefined, NaN, Infinity, () => 1, secret("x")],
    token: secret({ data: "hidden" }),
    when: new Date(0),
  };
  const viaText = JSON.parse(JSON.stringify(value, (_k, v) => (isSecretValue(v) ? "[secret]" : v)));
  expect(asPlanJson(value)).toEqual(viaText);
  expect(viaText.list).toEqual([null, null, null, null, "[secret]"]);
  expect(viaText.token).toBe("[secret]");
  expect(asPlanJson(undefined)).toBeUndefined();
});

test("the dev stack's resources come out as its plan JSON lists them, secrets and all", async () => {
  const ev = await runProgram();
  const resources = planResources(ev);
  // Not vacuous: the stack has secrets (the clusters' tokens) and fields the JSON leaves out.
  const inputs = JSON.stringify(
    ev.resources.map((r) => r.inputs),
    (_k, v) => (isSecretValue(v) ? "SECRET" : v),
  );
  expect(inputs).toContain("SECRET");
  expect(resources.some((r) => r.parent === undefined)).toBe(true);
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "plan-json-")), "plan.json");
  writePlanJson(file, ev, undefined);
  expect(asPlanJson(resources)).toEqual(JSON.parse(fs.readFileSync(file, "utf8")).resources);
});

test("the plan JSON is written a resource at a time as the whole text would be: byte for byte, with and without resources", async () => {
  const ev = await runProgram();
  const mask = (_k: string, v: unknown) => (isSecretValue(v) ? "[secret]" : v);
  const view = platformView(ev.config!, ev.resources);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "plan-json-"));
  const cases: [string, Evaluation, PlatformView | undefined][] = [
    ["dev", ev, view],
    ["dev, no view", ev, undefined],
    ["empty", { ...ev, resources: [] }, view],
  ];
  for (const [name, evaluation, v] of cases) {
    const file = path.join(dir, `${name}.json`);
    writePlanJson(file, evaluation, v);
    const whole =
      JSON.stringify(
        { outputs: evaluation.outputs, view: v, resources: planResources(evaluation) },
        mask,
        2,
      ) + "\n";
    expect(fs.readFileSync(file, "utf8"), name).toBe(whole);
  }
  // More than one chunk of a MiB is written, and the text masks the clusters' tokens.
  expect(fs.statSync(path.join(dir, "dev.json")).size).toBeGreaterThan(1 << 20);
  expect(fs.readFileSync(path.join(dir, "dev.json"), "utf8")).toContain('"[secret]"');
});
