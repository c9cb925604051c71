import { describe, expect, it } from 'vitest';
import { describeBehaviour, parseResponseSize, parseErrorSpec, parseLatency, parseMockSpec, parseResponse, parseStream } from '../../src/mock/index.js';
import { ERROR_CODE } from '../../src/protocol/index.js';

const usageError = (text: string) => expect.objectContaining({ code: 'ERR_USAGE', message: expect.stringContaining(text) });

describe('mock spec parser', () => {
  it('echoes with method echo by default', () => {
    const spec = parseMockSpec({ service: 'svc' });
    expect(spec).toEqual({
      service: 'svc',
      methods: [{ method: 'echo', response: { kind: 'echo' }, latency: null, error: null, stream: { count: 10, intervalMs: 0 } }],
    });
  });

  it('gives slow a 200 ms latency and fail an error on every request, by their names', () => {
    const [echo, slow, fail] = parseMockSpec({ service: 'svc', methods: 'echo,slow,fail' }).methods;
    expect(echo).toMatchObject({ latency: null, error: null });
    expect(slow).toMatchObject({ latency: { kind: 'fixed', ms: 200 }, error: null });
    expect(fail).toMatchObject({ latency: null, error: { rate: 1, code: ERROR_CODE.APPLICATION_ERROR, message: 'svc.fail failed (rsb mock)' } });
  });

  it('applies METHOD=SPEC flags to the method named, and *=SPEC to every method', () => {
    const spec = parseMockSpec({
      service: 'svc',
      methods: 'get,put,ticks',
      latency: ['*=1ms', 'get=p50=2ms,p99=20ms'],
      response: ['put=size:1KiB'],
      error: ['put=10%:REJECTED:overloaded'],
      stream: ['ticks=5@100ms'],
    });
    const [get, put, ticks] = spec.methods;
    expect(get!.latency).toEqual({ kind: 'percentiles', points: [{ percentile: 50, ms: 2 }, { percentile: 99, ms: 20 }] });
    expect(put).toMatchObject({ latency: { kind: 'fixed', ms: 1 }, response: { kind: 'size', bytes: 1024 }, error: { rate: 0.1, code: ERROR_CODE.REJECTED, message: 'overloaded' } });
    expect(ticks).toMatchObject({ latency: { kind: 'fixed', ms: 1 }, stream: { count: 5, intervalMs: 100 } });
  });

  it('lets a flag override a default of the method name', () => {
    const [slow, fail] = parseMockSpec({ service: 'svc', methods: 'slow,fail', latency: ['slow=none'], error: ['fail=0'] }).methods;
    expect(slow!.latency).toBeNull();
    expect(fail!.error).toMatchObject({ rate: 0 });
  });

  it('refuses a flag for a method that is not in --methods, naming the methods', () => {
    expect(() => parseMockSpec({ service: 'svc', methods: 'echo', latency: ['slow=5ms'] })).toThrowError(usageError('names method "slow", which is not in --methods (echo)'));
  });

  it('refuses a flag without METHOD=', () => {
    expect(() => parseMockSpec({ service: 'svc', latency: ['5ms'] })).toThrowError(usageError('must be METHOD=SPEC'));
  });

  it('refuses bad service and method names', () => {
    expect(() => parseMockSpec({ service: 'my svc' })).toThrowError(usageError('service name'));
    expect(() => parseMockSpec({ service: 'svc', methods: 'echo,a.b' })).toThrowError(usageError('method name "a.b"'));
    expect(() => parseMockSpec({ service: 'svc', methods: 'echo,echo' })).toThrowError(usageError('names a method twice'));
  });

  it('reads every latency form', () => {
    expect(parseLatency('5ms')).toEqual({ kind: 'fixed', ms: 5 });
    expect(parseLatency('1.5s')).toEqual({ kind: 'fixed', ms: 1500 });
    expect(parseLatency('uniform:1ms..5ms')).toEqual({ kind: 'uniform', minMs: 1, maxMs: 5 });
    expect(parseLatency('normal:10ms,2ms')).toEqual({ kind: 'normal', meanMs: 10, sdMs: 2 });
    expect(parseLatency('p99=20ms,p50=2ms,p90=8ms')).toEqual({
      kind: 'percentiles',
      points: [{ percentile: 50, ms: 2 }, { percentile: 90, ms: 8 }, { percentile: 99, ms: 20 }],
    });
    expect(parseLatency('none')).toBeNull();
  });

  it('refuses latencies that make no sense', () => {
    expect(() => parseLatency('fast')).toThrowError(usageError('"fast" is not a duration'));
    expect(() => parseLatency('uniform:5ms..1ms')).toThrowError(usageError('ends before it starts'));
    expect(() => parseLatency('p50=20ms,p99=2ms')).toThrowError(usageError('p99 is below p50'));
    expect(() => parseLatency('p100=2ms')).toThrowError(usageError('above 0 and below 100'));
    expect(() => parseLatency('p50=2ms,p50=3ms')).toThrowError(usageError('given twice'));
  });

  it('reads responses: echo, text, generated size and file', () => {
    expect(parseResponse('echo')).toEqual({ kind: 'echo' });
    expect(parseResponse('text:a:b')).toEqual({ kind: 'text', text: 'a:b' });
    expect(parseResponse('size:2KiB')).toEqual({ kind: 'size', bytes: 2048 });
    expect(parseResponse('@answer.json')).toEqual({ kind: 'file', path: 'answer.json' });
    expect(() => parseResponse('json')).toThrowError(usageError('is not a response'));
    expect(parseResponseSize('1MiB')).toBe(1024 * 1024);
    expect(() => parseResponseSize('20MiB')).toThrowError(usageError('do not fit one frame'));
  });

  it('reads error rates as fractions or percentages, codes by name or number, and messages with colons', () => {
    expect(parseErrorSpec('1', 'e', 'svc.x')).toEqual({ rate: 1, code: ERROR_CODE.APPLICATION_ERROR, message: 'svc.x failed with APPLICATION_ERROR (rsb mock)' });
    expect(parseErrorSpec('25%:0x301:stock: none left')).toEqual({ rate: 0.25, code: 0x301, message: 'stock: none left' });
    expect(parseErrorSpec('0.5:invalid:bad')).toEqual({ rate: 0.5, code: ERROR_CODE.INVALID, message: 'bad' });
    expect(() => parseErrorSpec('2')).toThrowError(usageError('between 0 and 1'));
    expect(() => parseErrorSpec('1:CONNECTION_ERROR')).toThrowError(usageError('is not an error code a stream may end with'));
  });

  it('reads stream length and pace', () => {
    expect(parseStream('3')).toEqual({ count: 3, intervalMs: 0 });
    expect(parseStream('3@250ms')).toEqual({ count: 3, intervalMs: 250 });
    expect(() => parseStream('-1')).toThrowError(usageError('is not COUNT[@INTERVAL]'));
  });

  it('describes each behaviour in one line', () => {
    const [echo, slow, fail, big] = parseMockSpec({
      service: 'svc',
      methods: 'echo,slow,fail,big',
      response: ['big=size:64'],
      error: ['big=5%:REJECTED:busy'],
      stream: ['big=3@1s'],
    }).methods;
    expect(describeBehaviour(echo!)).toBe('echo');
    expect(describeBehaviour(slow!)).toBe('echo, latency 200 ms');
    expect(describeBehaviour(fail!)).toBe('always fails with APPLICATION_ERROR "svc.fail failed (rsb mock)"');
    expect(describeBehaviour(big!)).toBe('64 bytes, 5% fail with REJECTED "busy", stream 3 items every 1000 ms');
  });
});
