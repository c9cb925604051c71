import { describe, expect, it } from 'vitest';
import { LINK_EVENT, type LinkEvent } from '../../src/client/index.js';
import { LinkLog } from '../../src/mock/link-log.js';

const B1 = 'default-1 (127.0.0.1:9999)';
const B2 = 'default-2 (127.0.0.1:10000)';

const lost = (broker: string): LinkEvent => ({ kind: LINK_EVENT.DISCONNECTED, broker, slot: 0, error: undefined, message: 'closed by the broker', retryInMs: 100 });
const refused = (broker: string, why = 'ECONNREFUSED'): LinkEvent => {
  const address = /\((.+)\)/.exec(broker)![1];
  return { kind: LINK_EVENT.CONNECT_FAILED, broker, slot: 0, error: new Error(why), message: `could not connect to ${address}: ${why}`, retryInMs: 200 };
};
const connected = (broker: string, isReconnect = true): LinkEvent => ({ kind: LINK_EVENT.CONNECTED, broker, slot: 0, isReconnect });

/** A log of two instances with a clock the test moves. */
function makeLog(instances = 2) {
  const lines: string[] = [];
  let now = 0;
  const log = new LinkLog({ instances, print: (line) => lines.push(line), now: () => now });
  return { log, lines, advance: (ms: number) => (now += ms) };
}

describe('the log of a mock\'s broker connections', () => {
  it('says once per broker that it is lost and unreachable, however many instances retry how often', () => {
    const { log, lines } = makeLog();
    for (const broker of [B1, B2]) for (const instance of [1, 2]) log.record(instance, lost(broker));
    for (let retry = 0; retry < 20; retry++) for (const broker of [B1, B2]) for (const instance of [1, 2]) log.record(instance, refused(broker));
    expect(lines).toEqual([
      `- lost ${B1}: closed by the broker; reconnecting`,
      `- lost ${B2}: closed by the broker; reconnecting`,
      `  cannot reach ${B1}: ECONNREFUSED; retrying`,
      `  cannot reach ${B2}: ECONNREFUSED; retrying`,
    ]);
  });

  it('says it again when the reason changes', () => {
    const { log, lines } = makeLog(1);
    log.record(1, refused(B1, 'ECONNRESET'));
    log.record(1, refused(B1, 'ECONNREFUSED'));
    log.record(1, refused(B1, 'ECONNREFUSED'));
    expect(lines).toEqual([`  cannot reach ${B1}: ECONNRESET; retrying`, `  cannot reach ${B1}: ECONNREFUSED; retrying`]);
  });

  it('says a broker is back once every instance registered again, with how long it was away', () => {
    const { log, lines, advance } = makeLog();
    log.record(1, lost(B1));
    log.record(2, lost(B1));
    advance(3_000);
    log.record(1, connected(B1));
    expect(lines).toEqual([`- lost ${B1}: closed by the broker; reconnecting`]);
    log.record(2, connected(B1));
    expect(lines.at(-1)).toBe(`+ back on ${B1}: all 2 instances registered again after 3s`);
    log.record(1, lost(B1));
    expect(lines.at(-1)).toBe(`- lost ${B1}: closed by the broker; reconnecting`);
  });

  it('sums up the brokers away for a while, and has nothing to say while all are up', () => {
    const { log, advance } = makeLog(1);
    log.record(1, connected(B1, false));
    expect(log.summarize()).toBeUndefined();
    log.record(1, lost(B1));
    advance(5_000);
    expect(log.summarize(), 'lost 5 s ago, and said so').toBeUndefined();
    log.record(1, refused(B2));
    advance(7_000);
    expect(log.summarize()).toBe(`  still unreachable, retrying: ${B1} for 12s`);
    advance(10_000);
    expect(log.summarize()).toBe(`  still unreachable, retrying: ${B1} for 22s, ${B2} for 17s`);
    log.record(1, connected(B1));
    log.record(1, connected(B2, false));
    expect(log.summarize()).toBeUndefined();
  });

  it('tells a broker the cluster list adds or drops once, not once per instance, and follows its label once its id is known', () => {
    const { log, lines } = makeLog();
    for (const instance of [1, 2]) log.record(instance, { kind: LINK_EVENT.BROKER_ADDED, broker: '127.0.0.1:10001' });
    log.record(1, lost('default-3 (127.0.0.1:10001)'));
    for (const instance of [1, 2]) log.record(instance, { kind: LINK_EVENT.BROKER_REMOVED, broker: 'default-3 (127.0.0.1:10001)' });
    expect(lines).toEqual([
      "+ joins 127.0.0.1:10001, named by the cluster's broker list",
      '- lost default-3 (127.0.0.1:10001): closed by the broker; reconnecting',
      "- leaves default-3 (127.0.0.1:10001), no longer in the cluster's broker list",
    ]);
  });
});
