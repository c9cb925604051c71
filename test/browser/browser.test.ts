import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MockReport } from '../../src/mock/index.js';
import { RsbProcess } from '../support/processes.js';
import type { PageResults } from './page.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
/** Debian's chromium (`.ci/run` installs it when missing), driven by playwright-core: no browser download. */
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** The page's script, bundled for the browser: rsocket-js alpha.3 and rsb's codec, with a Buffer where they name one. */
async function bundlePage(): Promise<string> {
  const result = await build({
    entryPoints: [path.join(HERE, 'page.ts')],
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    target: 'chrome120',
    inject: [path.join(HERE, 'buffer-shim.ts')],
    logLevel: 'silent',
  });
  return result.outputFiles[0]!.text;
}

/** Serves the page and its script, as a web server would. */
async function servePage(script: string): Promise<{ server: Server; url: string }> {
  const server = createServer((request, response) => {
    if (request.url?.startsWith('/page.js')) {
      response.writeHead(200, { 'content-type': 'text/javascript' }).end(script);
    } else {
      response.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><html><head><title>rsb in a browser</title></head><body><script src="/page.js"></script></body></html>');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  return { server, url: `http://127.0.0.1:${address.port}/` };
}

describe('a browser through the broker', () => {
  let broker: RsbProcess;
  let mock: RsbProcess;
  let web: { server: Server; url: string };
  let context: BrowserContext;
  let userDataDir: string;
  let webSocketUri: string;

  beforeAll(async () => {
    broker = new RsbProcess(['start', '--port', '0', '--listen', 'ws://127.0.0.1:0/rsocket', '--no-admin']);
    const [, tcpPort, uri] = (await broker.waitForOutput(/listening on 127\.0\.0\.1:(\d+), (ws:\/\/127\.0\.0\.1:\d+\/rsocket)/)) as RegExpMatchArray;
    webSocketUri = uri!;
    mock = new RsbProcess(['mock', 'svc', '--methods', 'echo,ticks,chat,note', '--stream', 'ticks=5', '--broker', `127.0.0.1:${tcpPort}`, '--json']);
    await mock.waitForStderr(/rsb mock svc ready/, 20_000);
    web = await servePage(await bundlePage());
    userDataDir = await mkdtemp(path.join(tmpdir(), 'rsb-chromium-'));
    context = await chromium.launchPersistentContext(userDataDir, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS });
  }, 60_000);

  afterAll(async () => {
    await context?.close();
    await new Promise((resolve) => web?.server.close(resolve));
    await mock?.stop();
    await broker?.stop();
    if (userDataDir) await rm(userDataDir, { recursive: true, force: true });
  });

  it('calls an rsb mock from rsocket-js in headless Chromium: request-response, a stream taken two at a time, a channel, fire-and-forget', async () => {
    const page = await context.newPage();
    await page.goto(`${web.url}?broker=${encodeURIComponent(webSocketUri)}`);
    await page.waitForFunction(() => (globalThis as { rsbResults?: unknown }).rsbResults !== undefined, null, { timeout: 30_000 });
    const results = (await page.evaluate(() => (globalThis as { rsbResults?: unknown }).rsbResults)) as PageResults;
    expect(results.error).toBeUndefined();
    expect(results.requestResponse).toBe('hello from the browser');
    expect(results.stream.items).toHaveLength(5);
    expect(results.stream.credits).toEqual([2, 2, 2]);
    expect(results.channel).toEqual(['one', 'two', 'three']);
    // The mock's own count: the fire-and-forget reached it through the broker.
    await mock.stop();
    const report = JSON.parse(mock.stdout) as MockReport;
    expect(report.methods.find((method) => method.method === 'note')!.requests).toBe(1);
    expect(report.methods.find((method) => method.method === 'ticks')!.items).toBe(5);
  }, 60_000);
});
