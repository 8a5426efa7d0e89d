/**
 * vitest's global setup: one directory per test run where the first test file to ask for a
 * stack's evaluation (test/mocks.ts sharedStack) leaves it as JSON for the others. Sixteen
 * files read the dev or kind stack; evaluating each once per run instead of once per file
 * saves about half a minute of CPU in `npm test`. The directory is new for every run and emptied when watch mode
 * reruns, so a cached evaluation never outlives the sources it was made from.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    stackCacheDir: string;
  }
}

export default function setup(project: TestProject): () => void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ray-platform-dev-stack-"));
  project.provide("stackCacheDir", dir);
  project.onTestsRerun(() => {
    for (const f of fs.readdirSync(dir)) fs.rmSync(path.join(dir, f));
  });
  return () => fs.rmSync(dir, { recursive: true, force: true });
}
