import * as fs from "node:fs";
import { CORE_SCHEMA, load as loadYaml } from "js-yaml";
import {
  Document,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  type Node,
  type YAMLError,
} from "yaml";
import { type ConfigIssue, formatPath, type PathSegment, type Report } from "./errors";

/** Team files are short; anything bigger is a mistake or an attack, not a team. */
const MAX_FILE_BYTES = 256 * 1024;
/** YAML aliases make a small file expand without bound ("billion laughs"). */
const MAX_ALIASES = 50;

/**
 * A parsed YAML file that remembers where every value came from, so that a problem found
 * in the parsed data can be reported at its line and column.
 */
export class YamlSource {
  private constructor(
    /** Path shown in messages, relative to the project. */
    readonly file: string,
    /** The text; parsed for positions only when a message needs one. */
    private readonly text: string | undefined,
    private parsed: { doc: Document; lines: LineCounter } | undefined,
    /** The parsed data; undefined when parsing failed. */
    readonly data: unknown,
  ) {}

  /** Parse `text`; problems go to `issues` and leave `data` undefined. */
  static parse(file: string, text: string, issues: ConfigIssue[]): YamlSource {
    const source = YamlSource.parseText(file, text, issues);
    // A "\0" escape puts a NUL in a value; Kubernetes and GCS refuse it in names and values.
    const nul = source.data === undefined ? undefined : findNul(source.data, []);
    if (!nul) return source;
    issues.push(
      source.issue(nul, "contains a NUL character (\\0), which Kubernetes and GCS refuse; remove it."),
    );
    return new YamlSource(file, text, source.parsed, undefined);
  }

  private static parseText(file: string, text: string, issues: ConfigIssue[]): YamlSource {
    const fast = fastParse(text);
    if (fast) return new YamlSource(file, text, undefined, fast.data);
    const parsed = parseWithPositions(text);
    const { doc, lines } = parsed;
    const parseProblems = [...doc.errors, ...doc.warnings].sort((a, b) => a.pos[0] - b.pos[0]);
    // One mistake makes the parser stumble several times (a tab: eight errors); the first is the mistake.
    const [earliest] = parseProblems;
    const overIndented = parseProblems.find(
      (e) => e.code === "MULTILINE_IMPLICIT_KEY" && e.pos[0] === earliest?.pos[0],
    );
    const first = parseProblems.find((e) => e.code === "TAB_AS_INDENT") ?? overIndented ?? earliest;
    if (first) issues.push(syntaxIssue(file, text, lines, first));
    if (parseProblems.length > 0) return new YamlSource(file, text, parsed, undefined);
    try {
      return new YamlSource(file, text, parsed, doc.toJS({ maxAliasCount: MAX_ALIASES }));
    } catch (err) {
      const alias = /Unresolved alias.*: (\S+)$/.exec((err as Error).message)?.[1];
      // An unresolved alias at itself; too many aliases (a "billion laughs") at the first one.
      const at = alias
        ? text.search(new RegExp(`\\*${alias.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(?![\\w-])`))
        : firstAlias(text);
      issues.push({
        file,
        ...(at >= 0 ? lines.linePos(at) : {}),
        path: "",
        message: alias
          ? `the alias *${alias} has no anchor &${alias} before it; define the anchor first, or write the value out.`
          : `${(err as Error).message}; write the values out instead of using YAML anchors and aliases.`,
      });
      return new YamlSource(file, text, parsed, undefined);
    }
  }

  /** Read a file from disk with the checks every team file gets (size, encoding, emptiness). */
  static read(absPath: string, file: string, issues: ConfigIssue[]): YamlSource {
    const none = new YamlSource(file, undefined, undefined, undefined);
    let bytes: Buffer;
    try {
      const size = fs.statSync(absPath).size;
      if (size > MAX_FILE_BYTES) {
        issues.push({
          file,
          path: "",
          message: `the file has ${size} bytes, more than the ${MAX_FILE_BYTES} a team file may have; split it or remove what is not configuration.`,
        });
        return none;
      }
      bytes = fs.readFileSync(absPath);
    } catch (err) {
      issues.push({
        file,
        path: "",
        message: `cannot be read (${(err as NodeJS.ErrnoException).code}); check that it exists and is readable.`,
      });
      return none;
    }
    let text: string;
    try {
      // Old-Mac line ends (CR only) are line ends: the positions parser does not read them as such.
      text = new TextDecoder("utf-8", { fatal: true }).decode(bytes).replace(/\r\n?/g, "\n");
    } catch {
      const at = firstInvalidUtf8(bytes);
      issues.push({ file, ...at, path: "", message: "is not valid UTF-8; save the file as UTF-8." });
      return none;
    }
    const nul = text.indexOf("\0");
    if (nul >= 0) {
      issues.push({
        file,
        ...lineCol(text, nul),
        path: "",
        message:
          "contains a NUL character (byte 0), which Kubernetes and GCS refuse in names and values; remove it.",
      });
      return none;
    }
    // YAML 1.2 reads NEL, LS and PS as ordinary characters: a file using them as line ends is one long line.
    const oddBreak = /[\u0085\u2028\u2029]/.exec(text);
    if (oddBreak) {
      const name = {
        "\u0085": "NEL (U+0085)",
        "\u2028": "LINE SEPARATOR (U+2028)",
        "\u2029": "PARAGRAPH SEPARATOR (U+2029)",
      }[oddBreak[0]];
      issues.push({
        file,
        ...lineCol(text, oddBreak.index),
        path: "",
        message: `contains ${name}, which YAML does not read as a line end and nobody sees; save the file with ordinary line ends (\\n).`,
      });
      return none;
    }
    if (text.trim() === "" || isOnlyComments(text)) {
      issues.push({
        file,
        path: "",
        message:
          "is empty; write the team's settings (copy teams/ray-playground.yaml as a start) or delete the file.",
      });
      return none;
    }
    return YamlSource.parse(file, text, issues);
  }

  /**
   * Line and column of the value at `path`; for a missing key, of the deepest parent that
   * exists. `key: true` points at the key itself (for unknown keys).
   */
  locate(path: readonly PathSegment[], opts: { key?: boolean } = {}): { line?: number; col?: number } {
    if (!this.parsed && this.text !== undefined) this.parsed = parseWithPositions(this.text);
    if (!this.parsed) return {};
    let node: unknown = this.parsed.doc.contents;
    let at: Node | undefined = node as Node | undefined;
    for (let i = 0; i < path.length; i++) {
      const seg = path[i];
      const last = i === path.length - 1;
      if (isMap(node)) {
        const pair = node.items.find(
          (p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg),
        );
        if (!pair) break;
        if (last && opts.key) {
          at = pair.key as Node;
          break;
        }
        node = pair.value;
        if (node) at = node as Node;
        else {
          at = pair.key as Node;
          break;
        }
      } else if (isSeq(node) && typeof seg === "number" && seg < node.items.length) {
        node = node.items[seg];
        at = node as Node;
      } else break;
    }
    const offset = at?.range?.[0];
    if (offset === undefined) return {};
    const pos = this.parsed.lines.linePos(offset);
    return { line: pos.line, col: pos.col };
  }

  /**
   * An issue at `path` in this file. `under` is where the path starts in the document
   * without being shown (`["config"]` in a Pulumi stack file).
   */
  issue(
    path: readonly PathSegment[],
    message: string,
    opts: { key?: boolean; under?: readonly PathSegment[] } = {},
  ): ConfigIssue {
    return {
      file: this.file,
      ...this.locate([...(opts.under ?? []), ...path], opts),
      path: formatPath(path),
      message,
    };
  }
}

function parseWithPositions(text: string): { doc: Document; lines: LineCounter } {
  const lines = new LineCounter();
  // Merge keys (<<: *defaults) as YAML 1.1 and most tools read them.
  return {
    doc: parseDocument(text, {
      lineCounter: lines,
      prettyErrors: false,
      uniqueKeys: true,
      strict: true,
      merge: true,
    }),
    lines,
  };
}

/**
 * Most files are valid: js-yaml reads them ~6x faster than the parser that keeps positions,
 * which then runs only for files with a problem to point at. Anything js-yaml refuses, and any
 * text that may hold anchors or aliases (alias limits), takes the careful path.
 */
function fastParse(text: string): { data: unknown } | undefined {
  // Also the careful path: directives (%YAML 1.1 changes what yes/on mean) and old-Mac line
  // ends, which js-yaml reads but the positions parser does not.
  if (/[&*]/.test(text) || /^%/m.test(text) || /\r(?!\n)/.test(text)) return undefined;
  // Also what the two read differently: tags (js-yaml resolves !!float 64, yaml refuses it),
  // merge keys (yaml merges them) and exponents (js-yaml reads 1e400 as text, yaml as Infinity).
  if (/!|<<|[0-9.][eE][+-]?[0-9]/.test(text)) return undefined;
  // Numbers the two parsers read differently (js-yaml: YAML 1.1 binary and signed hex; yaml:
  // YAML 1.2 core, which also reads -.5): the careful path decides, so a file parses the same
  // whether or not it has anchors.
  if (/(^|[^\w.])([-+]?0[box]|[-+]\.[0-9])/im.test(text)) return undefined;
  try {
    return { data: loadYaml(text, { schema: CORE_SCHEMA }) };
  } catch {
    return undefined;
  }
}

function firstAlias(text: string): number {
  const m = /(^|[\s[{,:-])\*[^\s,\]}]/m.exec(text);
  // The match may start with the character before the "*" (never itself a "*").
  return m ? m.index + m[0].indexOf("*") : -1;
}

function findNul(value: unknown, path: PathSegment[]): PathSegment[] | undefined {
  if (typeof value === "string") return value.includes("\0") ? path : undefined;
  if (value === null || typeof value !== "object") return undefined;
  for (const [k, v] of Object.entries(value)) {
    const seg = Array.isArray(value) ? Number(k) : k;
    if (k.includes("\0")) return [...path, seg];
    const found = findNul(v, [...path, seg]);
    if (found) return found;
  }
  return undefined;
}

function lineCol(text: string, offset: number): { line: number; col: number } {
  const before = text.slice(0, offset);
  const lastLine = before.slice(before.lastIndexOf("\n") + 1);
  return { line: before.split("\n").length, col: lastLine.length + 1 };
}

/** A syntax error at the mistake: an over-indented line at that line, not at the key above it. */
function syntaxIssue(file: string, text: string, lines: LineCounter, err: YAMLError): ConfigIssue {
  const [start, end] = err.pos;
  const breakAt = text.indexOf("\n", start);
  if (err.code === "MULTILINE_IMPLICIT_KEY" && breakAt >= 0 && breakAt < end) {
    const next = breakAt + 1 + (/^[ ]*/.exec(text.slice(breakAt + 1))?.[0].length ?? 0);
    const above = lines.linePos(start).line;
    // Where the key of the line above starts: after its indentation and any "- " list markers.
    const aboveText = text.split("\n")[above - 1] ?? "";
    const [, indent, key] = /^([ ]*(?:-[ ]+)*)([^\s:#][^:#]*?)\s*:/.exec(aboveText) ?? [];
    const alignWith =
      indent !== undefined && key !== undefined
        ? `start it in column ${indent.length + 1}, under ${key} of line ${above}`
        : `indent it like line ${above}`;
    return {
      file,
      ...lines.linePos(next),
      path: "",
      message: `this line is indented more than line ${above}, so YAML reads it as part of that line's value; if it is a key of its own, ${alignWith}.`,
    };
  }
  const pos = lines.linePos(start);
  return {
    file,
    line: pos.line,
    col: pos.col,
    path: "",
    message: `${yamlMessage(err.code, err.message)}; fix the YAML syntax (a linter such as yamllint shows it too).`,
  };
}

function yamlMessage(code: string, message: string): string {
  const [firstLine = ""] = message.split("\n");
  const first = firstLine.replace(/ at line \d+, column \d+:?$/, "");
  if (code === "DUPLICATE_KEY") return "a key appears twice in the same mapping; keep one";
  if (code === "TAG_RESOLVE_FAILED")
    return "a YAML tag (such as !!float) that does not fit its value: tags are not needed here, remove it and write the value plainly";
  return first;
}

function isOnlyComments(text: string): boolean {
  return text.split("\n").every((l) => l.trim() === "" || l.trim().startsWith("#") || l.trim() === "---");
}

function firstInvalidUtf8(bytes: Buffer): { line: number; col: number } {
  const decoded = bytes.toString("utf8");
  const bad = decoded.indexOf("\uFFFD");
  return lineCol(decoded, Math.max(bad, 0));
}

/** A Report that records issues of `source` into `issues`. */
export function reporter(
  source: YamlSource,
  issues: ConfigIssue[],
  under: readonly PathSegment[] = [],
): Report {
  return (path, message, opts = {}) => issues.push(source.issue(path, message, { ...opts, under }));
}
