/**
 * rayctl's kubeconfig loader (client/src/kube.ts loadKubeconfig) side by side with kubectl's
 * (client-go's clientcmd) over the same files: for each case, what kubectl resolves
 * (`kubectl config view --minify --flatten --raw`) is what rayctl resolves — the server, CA,
 * client certificate and key, token, exec plugin, namespace and context. kubectl is the
 * reference users already trust; the hand-written loader stays because @kubernetes/client-node
 * would add ~30 dependencies to a CLI that must start in under 300 ms.
 */
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { dump, load as loadYaml } from "js-yaml";
import { expect, test } from "vitest";
import { type KubeTarget, loadKubeconfig } from "../client/src/kube";

const exec = promisify(execFile);
const b64 = (s: string) => Buffer.from(s).toString("base64");

/** What a loader resolved, in one comparable shape. */
interface Resolved {
  context: string;
  server: string;
  namespace?: string;
  ca?: string;
  insecure: boolean;
  cert?: string;
  key?: string;
  token?: string;
  exec?: unknown;
}

const ours = (t: KubeTarget): Resolved => ({
  context: t.context,
  server: t.server,
  namespace: t.namespace,
  ca: t.ca?.toString("utf8"),
  insecure: !!t.insecure,
  cert: t.cert?.toString("utf8"),
  key: t.key?.toString("utf8"),
  token: t.token,
  exec: t.exec,
});

/**
 * kubectl, with the paths `config view` prints as written resolved as client-go resolves them
 * when it uses them: a tokenFile, and an exec command given by a path, against the directory
 * of the file that set the user (clientcmd loader.go:607-613 GetAuthInfoFileReferences, v0.35.4).
 */
async function kubectls(env: Record<string, string>, flags: string[], files: string[]): Promise<Resolved> {
  const { stdout } = await exec(
    "kubectl",
    ["config", "view", "--minify", "--flatten", "--raw", "-o", "json", ...flags],
    { env: { PATH: process.env.PATH!, HOME: env.HOME, ...env } },
  );
  const v = JSON.parse(stdout);
  const cluster = v.clusters[0].cluster;
  const user = v.users?.[0]?.user ?? {};
  const data = (d: string | undefined) =>
    d === undefined ? undefined : Buffer.from(d, "base64").toString("utf8");
  const home = files.find(
    (f) =>
      fs.existsSync(f) &&
      (loadYaml(fs.readFileSync(f, "utf8")) as any).users?.some((u: any) => u.name === v.users?.[0]?.name),
  );
  const local = (p: string) => path.resolve(path.dirname(home ?? "."), p);
  const command: string | undefined = user.exec?.command;
  return {
    context: v["current-context"],
    // rayctl drops a trailing slash from the server; kubectl prints it as written.
    server: cluster.server.replace(/\/$/, ""),
    namespace: v.contexts[0].context.namespace,
    ca: data(cluster["certificate-authority-data"]),
    insecure: cluster["insecure-skip-tls-verify"] === true,
    cert: data(user["client-certificate-data"]),
    key: data(user["client-key-data"]),
    // kubectl prints tokenFile's path (resolved); client-go reads the file when it sends a request.
    token: user.token ?? (user.tokenFile ? fs.readFileSync(local(user.tokenFile), "utf8").trim() : undefined),
    exec: user.exec && {
      apiVersion: user.exec.apiVersion,
      command: command?.includes("/") ? local(command) : command,
      args: user.exec.args,
      env: user.exec.env ?? undefined,
    },
  };
}

const cluster = (name: string, server: string, extra: Record<string, unknown> = {}) => ({
  name,
  cluster: { server, ...extra },
});
const context = (name: string, c: string, u: string, namespace?: string) => ({
  name,
  context: { cluster: c, user: u, ...(namespace ? { namespace } : {}) },
});
const config = (body: Record<string, unknown>) => dump({ apiVersion: "v1", kind: "Config", ...body });

interface Case {
  what: string;
  files: Record<string, string>;
  /** $KUBECONFIG as file names joined by ":" (relative to the case's directory). */
  kubeconfig?: string;
  /** --kubeconfig FILE instead. */
  flag?: string;
  context?: string;
}

const CASES: Case[] = [
  {
    what: "one file: the current context, a token and an inline CA",
    files: {
      config: config({
        "current-context": "dev",
        clusters: [cluster("gke", "https://10.0.0.1", { "certificate-authority-data": b64("CA-ONE") })],
        users: [{ name: "me", user: { token: "tok-1" } }],
        contexts: [context("dev", "gke", "me", "recsys")],
      }),
    },
    kubeconfig: "config",
  },
  {
    what: "several $KUBECONFIG files: the first to set current-context, a context, a cluster or a user wins; a missing file is skipped",
    files: {
      a: config({
        "current-context": "first",
        clusters: [cluster("shared", "https://a.example:443/")],
        users: [{ name: "u", user: { token: "from-a" } }],
        contexts: [context("first", "shared", "u")],
      }),
      b: config({
        "current-context": "second",
        clusters: [cluster("shared", "https://b.example"), cluster("only-b", "https://only-b.example")],
        users: [{ name: "u", user: { token: "from-b" } }],
        contexts: [context("first", "only-b", "u"), context("second", "only-b", "u")],
      }),
    },
    kubeconfig: "a:missing:b",
  },
  {
    what: "a context chosen with --context, from the second file",
    files: {
      a: config({
        "current-context": "first",
        clusters: [cluster("c", "https://a.example")],
        users: [{ name: "u", user: { token: "t" } }],
        contexts: [context("first", "c", "u")],
      }),
      b: config({
        clusters: [cluster("c2", "https://b.example", { "insecure-skip-tls-verify": true })],
        users: [{ name: "u2", user: { token: "t2" } }],
        contexts: [context("other", "c2", "u2", "vision")],
      }),
    },
    kubeconfig: "a:b",
    context: "other",
  },
  {
    what: "certificate, key, CA and token files by paths relative to the file that names them",
    files: {
      "sub/config": config({
        "current-context": "x",
        clusters: [cluster("c", "https://10.0.0.2", { "certificate-authority": "pki/ca.crt" })],
        users: [{ name: "u", user: { "client-certificate": "pki/me.crt", "client-key": "pki/me.key" } }],
        contexts: [context("x", "c", "u")],
      }),
      "sub/pki/ca.crt": "CA-FILE",
      "sub/pki/me.crt": "CERT-FILE",
      "sub/pki/me.key": "KEY-FILE",
      other: config({
        users: [{ name: "tf", user: { tokenFile: "tokens/t" } }],
        clusters: [cluster("c3", "https://10.0.0.3")],
        contexts: [context("y", "c3", "tf")],
      }),
      "tokens/t": "token-from-file\n",
    },
    kubeconfig: "sub/config:other",
  },
  {
    what: "the token file of a context in the second file",
    files: {
      a: config({
        "current-context": "y",
        clusters: [cluster("c", "https://10.0.0.4")],
        users: [{ name: "u", user: { token: "t" } }],
        contexts: [context("x", "c", "u")],
      }),
      "d/b": config({
        users: [{ name: "tf", user: { tokenFile: "../tokens/t" } }],
        clusters: [cluster("c3", "https://10.0.0.3")],
        contexts: [context("y", "c3", "tf")],
      }),
      "tokens/t": "token-from-file\n",
    },
    kubeconfig: "a:d/b",
  },
  {
    what: "an exec plugin (gke-gcloud-auth-plugin) kept as written: command, args, env and apiVersion",
    files: {
      config: config({
        "current-context": "gke",
        clusters: [cluster("gke", "https://34.1.2.3", { "certificate-authority-data": b64("GKE-CA") })],
        users: [
          {
            name: "gke",
            user: {
              exec: {
                apiVersion: "client.authentication.k8s.io/v1beta1",
                command: "gke-gcloud-auth-plugin",
                args: ["--verbose"],
                env: [{ name: "CLOUDSDK_CORE_PROJECT", value: "p" }],
                provideClusterInfo: true,
                interactiveMode: "IfAvailable",
              },
            },
          },
        ],
        contexts: [context("gke", "gke", "gke")],
      }),
    },
    kubeconfig: "config",
  },
  {
    what: "an exec plugin by a relative path, from the second file: relative to that file",
    files: {
      a: config({
        "current-context": "p",
        clusters: [cluster("c", "https://a.example")],
        users: [{ name: "u", user: { token: "t" } }],
        contexts: [context("x", "c", "u")],
      }),
      "d/b": config({
        users: [
          {
            name: "p",
            user: {
              exec: { apiVersion: "client.authentication.k8s.io/v1", command: "bin/auth-plugin", args: [] },
            },
          },
        ],
        clusters: [cluster("c2", "https://b.example")],
        contexts: [context("p", "c2", "p")],
      }),
    },
    kubeconfig: "a:d/b",
  },
  {
    what: "--kubeconfig wins over $KUBECONFIG",
    files: {
      env: config({
        "current-context": "e",
        clusters: [cluster("c", "https://env.example")],
        users: [{ name: "u", user: { token: "env" } }],
        contexts: [context("e", "c", "u")],
      }),
      flag: config({
        "current-context": "f",
        clusters: [cluster("c", "https://flag.example")],
        users: [{ name: "u", user: { token: "flag" } }],
        contexts: [context("f", "c", "u", "ray-playground")],
      }),
    },
    kubeconfig: "env",
    flag: "flag",
  },
];

test.each(CASES.map((c) => [c.what, c] as const))(
  "%s: rayctl resolves what kubectl resolves",
  async (_what, c) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rayctl-kubeconfig-"));
    for (const [name, text] of Object.entries(c.files)) {
      fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
      fs.writeFileSync(path.join(dir, name), text);
    }
    const env = {
      HOME: dir,
      ...(c.kubeconfig
        ? {
            KUBECONFIG: c.kubeconfig
              .split(":")
              .map((f) => path.join(dir, f))
              .join(":"),
          }
        : {}),
    };
    const flags = [
      ...(c.flag ? ["--kubeconfig", path.join(dir, c.flag)] : []),
      ...(c.context ? ["--context", c.context] : []),
    ];
    const theirs = await kubectls(
      env,
      flags,
      c.flag ? [path.join(dir, c.flag)] : (env.KUBECONFIG ?? "").split(":"),
    );
    const mine = ours(
      loadKubeconfig({ env, file: c.flag ? path.join(dir, c.flag) : undefined, context: c.context }),
    );
    // The exec section as client-go uses it: the fields rayctl runs the plugin with.
    if (mine.exec)
      mine.exec = {
        apiVersion: (mine.exec as any).apiVersion,
        command: (mine.exec as any).command,
        args: (mine.exec as any).args,
        env: (mine.exec as any).env ?? undefined,
      };
    expect(mine).toEqual(theirs);
    // Each case resolves something to compare: a server, and a credential or a CA.
    expect(theirs.server).toMatch(/^https:\/\//);
    expect(theirs.token ?? theirs.cert ?? theirs.exec ?? theirs.ca).toBeDefined();
  },
);
