import { describe, expect, it } from 'vitest';
import { DEFAULT_CIRCUIT_BREAKER, type Broker } from '../../src/broker/index.js';
import { encodeCompositeMetadata, encodeRoutingTags, ERROR_CODE, FLAG, FRAME_TYPE, MIME } from '../../src/protocol/index.js';
import type { ResponderHandler } from '../../src/transport/index.js';
import { useInProcessBrokers } from '../support/in-process.js';
import { Caller, connectService, tally } from '../support/lean-peers.js';
import { RawClient } from '../support/raw-client.js';

const BREAKER = { ...DEFAULT_CIRCUIT_BREAKER, consecutiveFailures: 3, coolDownMs: 300, probes: 2 };

/** A mock whose health the test switches: failing, it answers APPLICATION_ERROR. */
function switchable(name: string): ResponderHandler & { isFailing: boolean; requests: number } {
  return {
    isFailing: true,
    requests: 0,
    handle(stream) {
      this.requests++;
      if (this.isFailing) stream.error(ERROR_CODE.APPLICATION_ERROR, `${name} is failing`);
      else stream.next(Buffer.from(name), null, true);
    },
  };
}

function circuitOf(broker: Broker, service: string, app: string): string | undefined {
  return broker.registry
    .list()
    .find((entry) => entry.key === service)
    ?.instances.find((instance) => instance.app === app)?.circuit?.state;
}

/** Circuit breaking per instance, end to end on loopback. */
describe('circuit breaking', () => {
  const { startBroker, own } = useInProcessBrokers();

  async function caller(port: number): Promise<Caller> {
    return own(await Caller.connect(port), (c) => c.close());
  }

  it('opens on a failing service, rejects without forwarding, then half-opens and closes once it recovers', async () => {
    const broker = await startBroker({ circuitBreaker: BREAKER });
    const flaky = switchable('flaky');
    own(await connectService(broker.port, { name: 'flaky', services: ['flaky'], handler: flaky }), (s) => s.peer.close());
    const client = await caller(broker.port);

    for (let i = 0; i < 3; i++) expect(await client.call('flaky.work')).toMatchObject({ ok: false, code: ERROR_CODE.APPLICATION_ERROR });
    expect(circuitOf(broker, 'flaky', 'flaky')).toBe('open');
    const refused = await client.call('flaky.work');
    expect(refused).toMatchObject({ ok: false, code: ERROR_CODE.REJECTED, message: expect.stringMatching(/^circuit open for service flaky: all 1 instance failing/) });
    expect(flaky.requests).toBe(3);
    const health = await client.call('rsb.broker.health');
    expect(health.ok && JSON.parse(health.data)).toMatchObject({ status: 'up', openCircuits: 1, rejections: { circuit_open: 1 } });

    flaky.isFailing = false;
    await expect.poll(() => circuitOf(broker, 'flaky', 'flaky'), { timeout: 3_000 }).toBe('half-open');
    // Two probes: as many successes close the circuit.
    expect(await client.call('flaky.work')).toEqual({ ok: true, data: 'flaky' });
    expect(circuitOf(broker, 'flaky', 'flaky')).toBe('half-open');
    expect(await client.call('flaky.work')).toEqual({ ok: true, data: 'flaky' });
    expect(circuitOf(broker, 'flaky', 'flaky')).toBe('closed');
    expect(tally(await client.callMany('flaky.work', 20))).toEqual({ flaky: 20 });
    expect(broker.snapshot().rejections.circuit_open).toBe(1);
  });

  it('opens again when a probe fails', async () => {
    const broker = await startBroker({ circuitBreaker: BREAKER });
    const flaky = switchable('flaky');
    own(await connectService(broker.port, { name: 'flaky', services: ['flaky'], handler: flaky }), (s) => s.peer.close());
    const client = await caller(broker.port);
    for (let i = 0; i < 3; i++) await client.call('flaky.work');
    await expect.poll(() => circuitOf(broker, 'flaky', 'flaky'), { timeout: 3_000 }).toBe('half-open');
    expect(await client.call('flaky.work')).toMatchObject({ ok: false, code: ERROR_CODE.APPLICATION_ERROR });
    expect(circuitOf(broker, 'flaky', 'flaky')).toBe('open');
  });

  it('takes a failing instance out of balancing while the healthy one serves everything', async () => {
    const broker = await startBroker({ circuitBreaker: BREAKER });
    const sick = switchable('sick');
    own(await connectService(broker.port, { name: 'sick', services: ['calc'], handler: sick }), (s) => s.peer.close());
    own(await connectService(broker.port, { name: 'well', services: ['calc'] }), (s) => s.peer.close());
    const client = await caller(broker.port);
    const first = tally(await client.callMany('calc.add', 6));
    expect(first).toEqual({ well: 3, [`error 0x${ERROR_CODE.APPLICATION_ERROR.toString(16)}`]: 3 });
    expect(circuitOf(broker, 'calc', 'sick')).toBe('open');
    expect(tally(await client.callMany('calc.add', 50))).toEqual({ well: 50 });
    expect(sick.requests).toBe(3);
  });

  it('opens on an error ratio over the window even when failures are not consecutive', async () => {
    const broker = await startBroker({ circuitBreaker: { ...BREAKER, consecutiveFailures: 0, errorRatio: 0.5, minRequests: 10, windowMs: 60_000 } });
    let count = 0;
    const everyOther: ResponderHandler = {
      handle: (stream) => (count++ % 2 ? stream.error(ERROR_CODE.APPLICATION_ERROR, 'odd') : stream.next(Buffer.from('even'), null, true)),
    };
    own(await connectService(broker.port, { name: 'half', services: ['half'], handler: everyOther }), (s) => s.peer.close());
    const client = await caller(broker.port);
    for (let i = 0; i < 9; i++) await client.call('half.work');
    expect(circuitOf(broker, 'half', 'half')).toBe('closed');
    await client.call('half.work');
    expect(circuitOf(broker, 'half', 'half')).toBe('open');
  });

  it('ends a request-response unanswered past the request timeout, cancels it at the instance, and counts it as a failure', async () => {
    const broker = await startBroker({ circuitBreaker: { ...BREAKER, consecutiveFailures: 2 }, requestTimeoutMs: 200 });
    let cancels = 0;
    const silent: ResponderHandler = {
      handle(stream) {
        stream.onCancel = () => cancels++;
      },
    };
    own(await connectService(broker.port, { name: 'silent', services: ['silent'], handler: silent }), (s) => s.peer.close());
    const client = await caller(broker.port);
    const timedOut = await client.call('silent.wait');
    expect(timedOut).toMatchObject({ ok: false, code: ERROR_CODE.APPLICATION_ERROR, message: expect.stringContaining('within the request timeout of 200 ms') });
    await expect.poll(() => cancels).toBe(1);
    expect(circuitOf(broker, 'silent', 'silent')).toBe('closed');
    await client.call('silent.wait');
    expect(circuitOf(broker, 'silent', 'silent')).toBe('open');
    const services = broker.registry.list().find((entry) => entry.key === 'silent')!;
    expect(services.requests.timeout).toBe(2);
    expect(services.instances[0]!.inFlight).toBe(0);
  });

  it('leaves streams alone when the request timeout passes', async () => {
    const broker = await startBroker({ requestTimeoutMs: 100 });
    const feed = own(await RawClient.connect(broker.port), (client) => client.close());
    feed.setup({}, ['feed']);
    const requester = own(await RawClient.connect(broker.port), (client) => client.close());
    requester.setup();
    await expect.poll(() => broker.registry.instanceCount).toBe(1);
    const metadata = encodeCompositeMetadata([{ mimeType: MIME.ROUTING, content: encodeRoutingTags(['feed.ticks']) }]);
    requester.write({ type: FRAME_TYPE.REQUEST_STREAM, streamId: 1, flags: 0, requestN: 10, metadata, data: Buffer.alloc(0) });
    const request = await feed.waitForFrame((frame) => frame.type === FRAME_TYPE.REQUEST_STREAM);
    await new Promise((resolve) => setTimeout(resolve, 400));
    feed.write({ type: FRAME_TYPE.PAYLOAD, streamId: request.streamId, flags: FLAG.NEXT, metadata: null, data: Buffer.from('late') });
    expect(await requester.waitForFrame((frame) => frame.type === FRAME_TYPE.PAYLOAD)).toMatchObject({ streamId: 1, data: Buffer.from('late') });
    expect(requester.frames.some((frame) => frame.type === FRAME_TYPE.ERROR)).toBe(false);
    expect(feed.frames.some((frame) => frame.type === FRAME_TYPE.CANCEL)).toBe(false);
  });
});
