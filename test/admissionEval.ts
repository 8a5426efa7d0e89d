/**
 * Evaluates a ValidatingAdmissionPolicy's CEL the way the API server does: match conditions
 * (a false one skips the policy), then variables in order, then every validation.
 */
import { evaluate } from "@marcbachmann/cel-js";

/**
 * The messages of the validations `object` fails ([] when it is admitted): a CREATE, or given
 * `oldObject` an UPDATE. `matched`: the policy's match conditions are taken as met, for those
 * that ask the authorizer (who the requester is), which this evaluator has not.
 */
export function policyDenials(
  spec: any,
  object: Record<string, unknown>,
  oldObject: Record<string, unknown> | null = null,
  opts: { matched?: boolean } = {},
): string[] {
  const ctx = { object, oldObject, request: { operation: oldObject ? "UPDATE" : "CREATE" } };
  if (!opts.matched && !(spec.matchConditions ?? []).every((c: any) => evaluate(c.expression, ctx) === true))
    return [];
  const variables: Record<string, unknown> = {};
  for (const v of spec.variables ?? []) variables[v.name] = evaluate(v.expression, { ...ctx, variables });
  return spec.validations
    .filter((v: any) => evaluate(v.expression, { ...ctx, variables }) !== true)
    .map((v: any) => v.message);
}
