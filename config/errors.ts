/**
 * Configuration problems, reported the way a compiler reports them:
 *   teams/recsys.yaml:14:7 rayClusters[0].workerGroups[1].gpu.type: "a100" is not offered ...
 * Every check collects issues; nothing is registered until the whole configuration is clean.
 */

export type PathSegment = string | number;

export interface ConfigIssue {
  /** File as the user knows it, relative to the project (`teams/recsys.yaml`, `Pulumi.dev.yaml`). */
  readonly file: string;
  readonly line?: number;
  readonly col?: number;
  /** Field path inside the file, e.g. `rayClusters[0].name`; empty for whole-file problems. */
  readonly path: string;
  /** What is wrong, with the value found and what to do about it. */
  readonly message: string;
}

/** `["rayClusters", 0, "name"]` -> `rayClusters[0].name` */
export function formatPath(path: readonly PathSegment[]): string {
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else out += out === "" ? seg : `.${seg}`;
  }
  return out;
}

export function formatIssue(issue: ConfigIssue): string {
  const where = issue.line === undefined ? issue.file : `${issue.file}:${issue.line}:${issue.col ?? 1}`;
  return issue.path === "" ? `${where}: ${issue.message}` : `${where} ${issue.path}: ${issue.message}`;
}

function compareIssues(a: ConfigIssue, b: ConfigIssue): number {
  if (a.file !== b.file) return a.file < b.file ? -1 : 1;
  return (a.line ?? 0) - (b.line ?? 0) || (a.col ?? 0) - (b.col ?? 0) || a.path.localeCompare(b.path);
}

/** Thrown once, with every problem in every file, before any resource is registered. */
export class ConfigError extends Error {
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[]) {
    const sorted = [...issues].sort(compareIssues);
    const count = sorted.length === 1 ? "1 problem" : `${sorted.length} problems`;
    super(
      `ray-platform: the configuration has ${count}; nothing was changed.\n` +
        sorted.map(formatIssue).join("\n"),
    );
    this.name = "ConfigError";
    this.issues = sorted;
  }
}

/** Quote a value the user wrote, short enough for one line. */
export function show(value: unknown): string {
  if (value === undefined) return "nothing";
  // JSON has no NaN or Infinity (it would say null): an SDK caller can pass them.
  if (typeof value === "number" && !Number.isFinite(value)) return String(value);
  const text = typeof value === "string" ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** Records a problem at a field path of one file. */
export type Report = (path: readonly PathSegment[], message: string, opts?: { key?: boolean }) => void;

/** "a t4", "an a100", "an h100", "an l4": the article as the word is read aloud (GPU names are spelt out). */
export function withArticle(word: string): string {
  return `${/^([aeio]|[fhlmnrsx][0-9-]|[fhlmnrsx]$|8|11|18)/i.test(word) ? "an" : "a"} ${word}`;
}
