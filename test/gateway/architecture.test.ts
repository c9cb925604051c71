import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToken } from '../../src/broker/index.js';
import { RsbProcess, runRsb, startBrokerProcess } from '../support/processes.js';

/**
 * The whole architecture in real processes: an HTTP backend ← `rsb proxy` ← broker ←
 * `rsb gateway` ← an HTTP client, with an `rsb mock` beside the proxy for streams and failures.
 */
describe('HTTP gateway and proxy around a broker', () => {
  const processes: RsbProcess[] = [];
  let backend: Server;
  let gatewayUrl: string;
  let brokerAddress: string;
  const backendSeen: { path: string; body: string; contentType: string | undefined; tenant: string | undefined }[] = [];

  beforeAll(async () => {
    backend = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        backendSeen.push({ path: request.url!, body, contentType: request.headers['content-type'], tenant: request.headers['x-meta-tenant'] as string | undefined });
        if (request.url === '/api/missing') return void response.writeHead(404).end('no such user');
        if (request.url === '/api/busy') return void response.writeHead(503).end('try later');
        if (request.url === '/api/sleep') return void setTimeout(() => response.end('late'), 2_000);
        response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ found: JSON.parse(body || '{}') }));
      });
    });
    await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
    const backendPort = (backend.address() as { port: number }).port;
    const { broker, port } = await startBrokerProcess();
    processes.push(broker);
    brokerAddress = `127.0.0.1:${port}`;
    const proxy = new RsbProcess(['proxy', '--service', 'users', '--target', `http://127.0.0.1:${backendPort}/api`, '--broker', brokerAddress, '--timeout', '500ms']);
    // The gateway's timeout sits well between a cold first request on a busy machine and the slow method's answer.
    const mock = new RsbProcess(['mock', 'svc', '--methods', 'echo,ticks,fail,slow', '--stream', 'ticks=3@5ms', '--latency', 'slow=3s', '--broker', brokerAddress]);
    const gateway = new RsbProcess(['gateway', '--port', '0', '--broker', brokerAddress, '--timeout', '1s', '--max-body', '64']);
    processes.push(proxy, mock, gateway);
    await Promise.all([proxy.waitForOutput(/ready/), mock.waitForOutput(/ready/)]);
    gatewayUrl = (await gateway.waitForOutput(/listening on (http:\/\/[\d.]+:\d+)/))[1]!;
  }, 30_000);

  afterAll(async () => {
    for (const process of processes.reverse()) await process.stop();
    await new Promise((resolve) => backend?.close(resolve));
  });

  const post = (path: string, body: string, headers: Record<string, string> = {}) => fetch(`${gatewayUrl}${path}`, { method: 'POST', body, headers });
  const errorOf = async (response: Response) => ((await response.json()) as { error: { status: number; code: string; message: string } }).error;

  it('carries a POST through gateway, broker and proxy to the backend and its answer back', async () => {
    const response = await post('/users/find', '{"id":7}', { 'content-type': 'application/json', 'x-meta-tenant': 'acme' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(await response.json()).toEqual({ found: { id: 7 } });
    expect(backendSeen.at(-1)).toEqual({ path: '/api/find', body: '{"id":7}', contentType: 'application/json', tenant: 'acme' });
  });

  it('sends a GET query as a JSON object', async () => {
    const response = await fetch(`${gatewayUrl}/users/search?name=ada&tag=a&tag=b`);
    expect(await response.json()).toEqual({ found: { name: 'ada', tag: ['a', 'b'] } });
  });

  it('answers fire-and-forget with 202 and the backend still gets the request', async () => {
    const response = await post('/users/log', '{"event":"x"}', { 'x-rsocket-mode': 'fire-and-forget' });
    expect(response.status).toBe(202);
    await expect.poll(() => backendSeen.some((seen) => seen.path === '/api/log')).toBe(true);
  });

  it('streams items as server-sent events when the client accepts text/event-stream', async () => {
    const response = await post('/svc/ticks', 'tick', { accept: 'text/event-stream' });
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    expect(await response.text()).toBe('data: tick\n\n'.repeat(3));
  });

  it('streams items as ndjson when the client accepts application/x-ndjson', async () => {
    const response = await post('/svc/ticks', '{"n":1}', { accept: 'application/x-ndjson' });
    expect(response.headers.get('content-type')).toBe('application/x-ndjson');
    expect(await response.text()).toBe('{"n":1}\n'.repeat(3));
  });

  it('maps REJECTED to 503 with a JSON body naming the service', async () => {
    const response = await post('/ghost/echo', 'x');
    expect(response.status).toBe(503);
    expect(await errorOf(response)).toMatchObject({ status: 503, code: 'REJECTED', message: expect.stringContaining('ghost') });
  });

  it('maps APPLICATION_ERROR to 502', async () => {
    const response = await post('/svc/fail', 'x');
    expect(response.status).toBe(502);
    expect(await errorOf(response)).toMatchObject({ code: 'APPLICATION_ERROR' });
  });

  it('maps a timeout to 504', async () => {
    const response = await post('/svc/slow', 'x');
    expect(response.status).toBe(504);
    expect(await errorOf(response)).toMatchObject({ code: 'ERR_TIMEOUT' });
  });

  it('maps a malformed path to 400 and a body over the limit to 413', async () => {
    expect((await post('/only-one-segment', 'x')).status).toBe(400);
    const tooLarge = await post('/svc/echo', 'x'.repeat(65));
    expect(tooLarge.status).toBe(413);
    expect(await errorOf(tooLarge)).toMatchObject({ code: 'ERR_BODY_TOO_LARGE' });
  });

  it('turns backend HTTP errors into RSocket errors with the status in the message', async () => {
    const missing = await post('/users/missing', 'x');
    expect(missing.status).toBe(502);
    expect((await errorOf(missing)).message).toContain('HTTP 404');
    const busy = await post('/users/busy', 'x');
    expect(busy.status).toBe(503);
    expect(await errorOf(busy)).toMatchObject({ code: 'REJECTED', message: expect.stringContaining('HTTP 503') });
  });

  it('reports a backend that does not answer within the proxy timeout as APPLICATION_ERROR', async () => {
    const call = await runRsb(['call', 'users.sleep', '-d', 'x', '--timeout', '3s', '--broker', brokerAddress]);
    expect(call.code).toBe(5);
    expect(call.stderr).toContain('APPLICATION_ERROR');
    expect(call.stderr).toContain('no answer from the backend within 500 ms');
  });

  it('answers /healthz while a broker is connected', async () => {
    const response = await fetch(`${gatewayUrl}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: 'ok', brokers: [{ isConnected: true }] });
  });
});

describe('HTTP gateway and proxy in front of a broker that requires authentication', () => {
  it('get in with --token, and a gateway without one is refused at SETUP', async () => {
    const backend = createServer((request, response) => request.resume().on('end', () => response.end(`backend saw ${request.url}`)));
    await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
    const { broker, port } = await startBrokerProcess(['--auth', 'jwt', '--jwt-secret', 'gw-secret', '--no-admin']);
    const brokerAddress = `127.0.0.1:${port}`;
    const proxyToken = (await createToken({ sub: 'users-proxy', services: ['users'], routes: [], secret: 'gw-secret' })).token;
    const gatewayToken = (await createToken({ sub: 'web', services: [], routes: ['users.*'], secret: 'gw-secret' })).token;
    const backendUrl = `http://127.0.0.1:${(backend.address() as { port: number }).port}`;
    const proxy = new RsbProcess(['proxy', '--service', 'users', '--target', backendUrl, '--broker', brokerAddress, '--token', proxyToken]);
    const gateway = new RsbProcess(['gateway', '--port', '0', '--broker', brokerAddress], { RSB_TOKEN: gatewayToken });
    try {
      await proxy.waitForOutput(/ready/);
      const gatewayUrl = (await gateway.waitForOutput(/listening on (http:\/\/[\d.]+:\d+)/))[1]!;
      const response = await fetch(`${gatewayUrl}/users/find`, { method: 'POST', body: 'x' });
      expect(response.status).toBe(200);
      expect(await response.text()).toBe('backend saw /find');
      const refused = await runRsb(['gateway', '--port', '0', '--broker', brokerAddress], { env: { RSB_TOKEN: '' } });
      expect(refused.code).toBe(7);
      expect(refused.stderr).toContain('this broker requires authentication');
    } finally {
      await Promise.all([proxy.stop(), gateway.stop()]);
      await broker.stop();
      await new Promise((resolve) => backend.close(resolve));
    }
  }, 60_000);
});
