/**
 * Synthetic team files for the benchmark: shaped like the repo's teams/ (quota, owners and
 * contributors, a bucket, one or two RayClusters with T4/A100 workers from the dev stack's
 * pools), with quotas that admit their clusters so every file validates.
 */
import * as fs from "node:fs";
import * as path from "node:path";

export function teamName(i: number): string {
  return `team-${String(i).padStart(4, "0")}`;
}

/** Team i: even teams have one T4 cluster, odd teams add an A100 cluster (tutorials, VS Code). */
function teamYaml(i: number): string {
  const name = teamName(i);
  const a100 = i % 2 === 1;
  const lines = [
    `# Synthetic team ${i} for bench/run.ts.`,
    `name: ${name}`,
    `description: Synthetic team ${i} training models on T4${a100 ? " and A100" : ""} GPUs.`,
    `owners:`,
    `  - group:${name}-leads@example.com`,
    `contributors:`,
    `  - group:${name}@example.com`,
    `  - user:dev${i}@example.com`,
    `quota:`,
    `  cpu: 200`,
    `  memory: 1Ti`,
    `  gpus:`,
    `    t4: 4`,
    ...(a100 ? [`    a100: 2`] : []),
    `  rayClusters: 4`,
    `  storage: 500Gi`,
    // A thousand teams share one /20 Service range: each gets what its clusters need (head and tools Services), no more.
    `  objects: { services: ${a100 ? 4 : 3} }`,
    `bucket: true`,
    `rayClusters:`,
    `  - name: train`,
    `    description: T4 workers scaled from zero, CPU workers for preprocessing.`,
    `    notebook: true`,
    `    workerGroups:`,
    `      - name: t4`,
    `        gpu: { type: t4 }`,
    `        minReplicas: 0`,
    `        maxReplicas: 4`,
    `      - name: preprocess`,
    `        cpu: 8`,
    `        memory: 32Gi`,
    `        minReplicas: 0`,
    `        maxReplicas: 4`,
  ];
  if (a100) {
    lines.push(
      `  - name: big`,
      `    description: A100 training; a small head.`,
      `    head:`,
      `      cpu: 8`,
      `      memory: 32Gi`,
      `    vscode: true`,
      `    tutorials: true`,
      `    workerGroups:`,
      `      - name: a100`,
      `        gpu: { type: a100 }`,
      `        minReplicas: 0`,
      `        maxReplicas: 2`,
    );
  }
  return lines.join("\n") + "\n";
}

/** Write n team files into dir (created if needed). */
export function writeTeams(dir: string, n: number): void {
  fs.mkdirSync(dir, { recursive: true });
  for (let i = 1; i <= n; i++) fs.writeFileSync(path.join(dir, `${teamName(i)}.yaml`), teamYaml(i));
}
