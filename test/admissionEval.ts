/** Evaluates a ValidatingAdmissionPolicy's CEL the way the API server does: variables in order, then every validation. */
import { evaluate } from "@marcbachmann/cel-js";

/** The messages of the validations `object` fails ([] when it is admitted). */
export function policyDenials(spec: any, object: Record<string, unknown>): string[] {
  const variables: Record<string, unknown> = {};
  for (const v of spec.variables ?? []) variables[v.name] = evaluate(v.expression, { object, variables });
  return spec.validations.filter((v: any) => evaluate(v.expression, { object, variables }) !== true).map((v: any) => v.message);
}
