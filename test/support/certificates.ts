import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { createDevelopmentCertificates } from '../../src/cluster/index.js';

/** A development CA and what it signed, as PEM bytes. */
export interface TestCertificates {
  dir: string;
  ca: Buffer;
  brokerCert: Buffer;
  brokerKey: Buffer;
  clientCert: Buffer;
  clientKey: Buffer;
  /** Paths, for flags. */
  files: Awaited<ReturnType<typeof createDevelopmentCertificates>>;
}

/** Makes a CA (and its certificates) named `name` once for the file's tests, with openssl, in a temporary folder removed afterwards. */
export function useCertificates(name = 'test'): () => TestCertificates {
  let certificates: TestCertificates | undefined;
  beforeAll(async () => {
    const dir = await mkdtemp(path.join(tmpdir(), `rsb-certs-${name}-`));
    const files = await createDevelopmentCertificates(dir, { name });
    const [ca, brokerCert, brokerKey, clientCert, clientKey] = await Promise.all(
      [files.ca, files.brokerCert, files.brokerKey, files.clientCert, files.clientKey].map((file) => readFile(file)),
    );
    certificates = { dir, ca: ca!, brokerCert: brokerCert!, brokerKey: brokerKey!, clientCert: clientCert!, clientKey: clientKey!, files };
  });
  afterAll(async () => {
    if (certificates) await rm(certificates.dir, { recursive: true, force: true });
  });
  return () => certificates!;
}
