/**
 * The test control plane's keys and certificates, made with the openssl CLI: a cluster CA and
 * the API server's serving certificate, the front-proxy CA and client the aggregator presents
 * to extension API servers (Kueue's visibility API), and the service-account signing key.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

export interface Pki {
  readonly dir: string;
  readonly caCert: string;
  readonly caKey: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly frontProxyCaCert: string;
  readonly frontProxyClientCert: string;
  readonly frontProxyClientKey: string;
  readonly serviceAccountKey: string;
  readonly serviceAccountPub: string;
}

const openssl = (args: string[], cwd: string) =>
  execFileSync("openssl", args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
const KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

function ca(dir: string, name: string, cn: string): void {
  openssl(
    [
      "req",
      "-x509",
      ...KEY,
      "-keyout",
      `${name}.key`,
      "-out",
      `${name}.crt`,
      "-days",
      "2",
      "-subj",
      `/CN=${cn}`,
    ],
    dir,
  );
}

function signed(dir: string, name: string, caName: string, subject: string, ext: string): void {
  fs.writeFileSync(path.join(dir, `${name}.ext`), ext);
  openssl(["req", ...KEY, "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", subject], dir);
  openssl(
    [
      "x509",
      "-req",
      "-in",
      `${name}.csr`,
      "-CA",
      `${caName}.crt`,
      "-CAkey",
      `${caName}.key`,
      "-CAcreateserial",
      "-out",
      `${name}.crt`,
      "-days",
      "2",
      "-extfile",
      `${name}.ext`,
    ],
    dir,
  );
}

/** Keys and certificates for an API server reachable at `ips` (and the in-cluster names). */
export function makePki(dir: string, ips: readonly string[]): Pki {
  fs.mkdirSync(dir, { recursive: true });
  ca(dir, "ca", "ray-platform-test-ca");
  const names = [
    "localhost",
    "kubernetes",
    "kubernetes.default",
    "kubernetes.default.svc",
    "kubernetes.default.svc.cluster.local",
  ];
  const san = [...ips.map((ip) => `IP:${ip}`), ...names.map((n) => `DNS:${n}`)].join(",");
  signed(
    dir,
    "apiserver",
    "ca",
    "/CN=kube-apiserver",
    `subjectAltName=${san}\nextendedKeyUsage=serverAuth\n`,
  );
  ca(dir, "front-proxy-ca", "front-proxy-ca");
  signed(
    dir,
    "front-proxy-client",
    "front-proxy-ca",
    "/CN=front-proxy-client",
    "extendedKeyUsage=clientAuth\n",
  );
  openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-out", "sa.key"], dir);
  openssl(["pkey", "-in", "sa.key", "-pubout", "-out", "sa.pub"], dir);
  const f = (n: string) => path.join(dir, n);
  return {
    dir,
    caCert: f("ca.crt"),
    caKey: f("ca.key"),
    serverCert: f("apiserver.crt"),
    serverKey: f("apiserver.key"),
    frontProxyCaCert: f("front-proxy-ca.crt"),
    frontProxyClientCert: f("front-proxy-client.crt"),
    frontProxyClientKey: f("front-proxy-client.key"),
    serviceAccountKey: f("sa.key"),
    serviceAccountPub: f("sa.pub"),
  };
}
