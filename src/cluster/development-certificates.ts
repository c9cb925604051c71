import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PROCESS_START_FAILURE, ProcessStartError } from '../errors.js';
import { runCommand } from '../process/index.js';

/** PEM files of a throw-away certificate authority and what it signed, as absolute paths. */
export interface DevelopmentCertificates {
  ca: string;
  caKey: string;
  /** The brokers' certificate (serverAuth), valid for every host named. */
  brokerCert: string;
  brokerKey: string;
  /** A client certificate (clientAuth), for brokers that require one. */
  clientCert: string;
  clientKey: string;
}

/** The CA's rules: it signs, and nothing else. */
const CA_CONFIG = `[req]
distinguished_name = dn
prompt = no
[dn]
[ext]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
`;

function leafConfig(usage: 'serverAuth' | 'clientAuth', hosts: readonly string[]): string {
  const names = hosts.map((host) => (/^[\d.]+$|:/.test(host) ? `IP:${host}` : `DNS:${host}`)).join(',');
  return `[req]
distinguished_name = dn
prompt = no
[dn]
[ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = ${usage}
authorityKeyIdentifier = keyid
${names ? `subjectAltName = ${names}\n` : ''}`;
}

/** Hosts a broker certificate names when none are given: this machine by every loopback name. */
export const LOOPBACK_HOSTS = ['127.0.0.1', '::1', 'localhost'] as const;

/** P-256 keys, 30 days: small, fast to make, and short-lived as throw-away certificates should be. */
const KEY_ARGS = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '30'];

/**
 * Makes a development CA in `dir` and has it sign a broker certificate for `hosts` and a
 * client certificate, with the `openssl` command-line tool (no hand-written ASN.1). For
 * `rsb cluster up --tls` and tests; never for production. Rejects with ProcessStartError
 * when openssl is missing or fails.
 */
export async function createDevelopmentCertificates(dir: string, options: { name: string; hosts?: readonly string[] }): Promise<DevelopmentCertificates> {
  const root = path.resolve(dir);
  await mkdir(root, { recursive: true });
  const file = (name: string): string => path.join(root, name);
  const certificates: DevelopmentCertificates = {
    ca: file('ca.pem'),
    caKey: file('ca-key.pem'),
    brokerCert: file('broker.pem'),
    brokerKey: file('broker-key.pem'),
    clientCert: file('client.pem'),
    clientKey: file('client-key.pem'),
  };
  await writeFile(file('ca.cnf'), CA_CONFIG);
  await writeFile(file('broker.cnf'), leafConfig('serverAuth', options.hosts ?? LOOPBACK_HOSTS));
  await writeFile(file('client.cnf'), leafConfig('clientAuth', []));
  const subject = (cn: string): string => `/CN=${cn}/O=rsb development`;
  await runOpenssl(['req', '-x509', '-config', file('ca.cnf'), '-extensions', 'ext', ...KEY_ARGS, '-keyout', certificates.caKey, '-out', certificates.ca, '-subj', subject(`rsb ${options.name} CA`)]);
  const sign = (config: string, cn: string, cert: string, key: string): Promise<void> =>
    runOpenssl(['req', '-x509', '-config', file(config), '-extensions', 'ext', ...KEY_ARGS, '-keyout', key, '-out', cert, '-subj', subject(cn), '-CA', certificates.ca, '-CAkey', certificates.caKey]);
  await sign('broker.cnf', `rsb ${options.name} broker`, certificates.brokerCert, certificates.brokerKey);
  await sign('client.cnf', `rsb ${options.name} client`, certificates.clientCert, certificates.clientKey);
  return certificates;
}

/** `openssl ARGS` to its end; ProcessStartError (spawn-failed: not installed; exited: its last line kept) when it fails. */
async function runOpenssl(args: string[]): Promise<void> {
  const result = await runCommand('openssl', args);
  if (result.code === 0) return;
  const isMissing = result.code === 127;
  const detail = isMissing ? 'is not installed' : `exited with ${result.code ?? 'a signal'}`;
  const tail = result.stderr.trim().split('\n').slice(-5);
  const last = tail.at(-1) ?? '';
  throw new ProcessStartError(isMissing ? PROCESS_START_FAILURE.SPAWN_FAILED : PROCESS_START_FAILURE.EXITED, detail, `openssl ${detail}${last && !isMissing ? `: ${last}` : ''}`, tail, undefined);
}
