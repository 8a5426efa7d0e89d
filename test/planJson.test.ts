/** The plan JSON's shape without its text (asPlanJson): what a --diff compares the head as. */
import * as pulumi from "@pulumi/pulumi";
import { expect, test } from "vitest";
import { asPlanJson, planJson, planResources } from "../plan/planJson";
import { isSecretValue } from "../plan/engine";
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
  expect(asPlanJson(resources)).toEqual(JSON.parse(planJson(ev, undefined)).resources);
});
