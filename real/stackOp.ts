/**
 * One Pulumi operation on the project in `projectDir` with the real engine (the Pulumi CLI,
 * through the Automation API), the program run inline from that project's index.ts. Run in a
 * process of its own (real/stack.ts): the program registers its resources when its module is
 * evaluated, once per process.
 *
 *   tsx real/stackOp.ts <projectDir> <stack> <preview|up|destroy|refresh> <result.json>
 *
 * Writes { ok, error?, changes, steps, outputs } to result.json; the engine's output goes to stdout.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { LocalWorkspace, type EngineEvent } from "@pulumi/pulumi/automation";

export interface Step {
  readonly op: string;
  readonly urn: string;
  readonly type: string;
  /** Top-level properties that differ (an update's or replacement's reason). */
  readonly diffs: readonly string[];
  /** Property paths that differ, with the kind of difference. */
  readonly detailedDiff: Readonly<Record<string, string>>;
}

export interface OpResult {
  readonly ok: boolean;
  readonly error?: string;
  /** Resources per operation (create, update, delete, replace, same, ...). */
  readonly changes: Readonly<Record<string, number>>;
  readonly steps: readonly Step[];
  readonly outputs: Readonly<Record<string, unknown>>;
}

async function main(): Promise<void> {
  const [projectDir, stackName, op, resultFile] = process.argv.slice(2) as [string, string, string, string];
  const program = async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(path.join(projectDir, "index.ts"));
    return (mod.default ?? mod)();
  };
  const steps: Step[] = [];
  // A step once it is done (its outputs), or at once when nothing is to be done.
  const onEvent = (e: EngineEvent) => {
    const m =
      e.resOutputsEvent?.metadata ??
      (e.resourcePreEvent?.metadata.op === "same" ? e.resourcePreEvent.metadata : undefined);
    if (m) steps.push(stepOf(m));
  };
  const onOutput = (s: string) => process.stdout.write(s);
  let result: OpResult;
  try {
    const stack = await LocalWorkspace.createOrSelectStack(
      { stackName, projectName: "ray-platform", program },
      { workDir: projectDir },
    );
    let changes: Record<string, number> = {};
    let outputs: Record<string, unknown> = {};
    if (op === "up") {
      const r = await stack.up({ onOutput, onEvent });
      changes = r.summary.resourceChanges ?? {};
      outputs = Object.fromEntries(Object.entries(r.outputs).map(([k, v]) => [k, v.value]));
    } else if (op === "preview") {
      const r = await stack.preview({
        onOutput,
        onEvent: (e) => (e.resourcePreEvent ? steps.push(stepOf(e.resourcePreEvent.metadata)) : undefined),
      });
      changes = r.changeSummary;
    } else if (op === "destroy") {
      const r = await stack.destroy({ onOutput, onEvent });
      changes = r.summary.resourceChanges ?? {};
    } else if (op === "refresh") {
      const r = await stack.refresh({ onOutput, onEvent });
      changes = r.summary.resourceChanges ?? {};
    } else {
      throw new Error(`unknown operation ${op}: preview, up, destroy or refresh`);
    }
    result = { ok: true, changes, steps, outputs };
  } catch (err) {
    result = { ok: false, error: String((err as Error).message ?? err), changes: {}, steps, outputs: {} };
  }
  fs.writeFileSync(resultFile, JSON.stringify(result, null, 1));
}

function stepOf(m: NonNullable<EngineEvent["resourcePreEvent"]>["metadata"]): Step {
  return {
    op: m.op,
    urn: m.urn,
    type: m.type,
    diffs: m.diffs ?? [],
    detailedDiff: Object.fromEntries(Object.entries(m.detailedDiff ?? {}).map(([k, v]) => [k, v.diffKind])),
  };
}

void main();
