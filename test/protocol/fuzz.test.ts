import fc from 'fast-check';
import { describe, it } from 'vitest';
import {
  decodeAuthentication,
  decodeCompositeMetadata,
  decodeRoutingTags,
  decodeSetupMetadata,
  decodeFrame,
  decodeWireFrame,
  encodeFrame,
  FrameSplitter,
  METADATA_FORMAT,
  ProtocolError,
  readWireDataStart,
  readWireRequestN,
  readWireRoute,
  type Frame,
} from '../../src/protocol/index.js';
import { arbitraryFrame } from '../support/frame-arbitraries.js';

/** Runs `read` and fails the property if anything but a ProtocolError escapes. */
function onlyProtocolErrors(read: () => unknown): void {
  try {
    read();
  } catch (error) {
    if (!(error instanceof ProtocolError)) throw new Error(`escaped: ${String(error)}`, { cause: error });
  }
}

const mutation = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bits: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('extend' as const), extra: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
  fc.record({ kind: fc.constant('length' as const), value: fc.integer({ min: 0, max: 0xffffff }) }),
  fc.record({ kind: fc.constant('splice' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
);
type Mutation = typeof mutation extends fc.Arbitrary<infer M> ? M : never;

/** A valid frame with a handful of mutations: the shape fuzzers find bugs with. */
function mutate(frame: Frame, mutations: Mutation[]): Buffer {
  let bytes = Buffer.from(encodeFrame(frame));
  for (const change of mutations) {
    switch (change.kind) {
      case 'flip':
        bytes[change.at % bytes.length]! ^= change.bits;
        break;
      case 'truncate':
        bytes = bytes.subarray(0, change.at % (bytes.length + 1));
        break;
      case 'extend':
        bytes = Buffer.concat([bytes, Buffer.from(change.extra)]);
        break;
      case 'length':
        if (bytes.length >= 3) bytes.writeUIntBE(change.value, 0, 3);
        break;
      case 'splice': {
        const at = change.at % (bytes.length + 1);
        bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from(change.bytes), bytes.subarray(at)]);
        break;
      }
    }
  }
  return bytes;
}

describe('codec under fuzzing', () => {
  it('lets nothing but ProtocolError escape any reader, on mutated valid frames', () => {
    fc.assert(
      fc.property(arbitraryFrame(), fc.array(mutation, { minLength: 1, maxLength: 4 }), (frame, mutations) => {
        const bytes = mutate(frame, mutations);
        onlyProtocolErrors(() => decodeWireFrame(bytes));
        onlyProtocolErrors(() => new FrameSplitter().push(bytes, { onFrame: (buf, start, end) => decodeFrame(buf, start, end) }));
        if (bytes.length >= 9) {
          onlyProtocolErrors(() => readWireRoute(bytes, 0, bytes.length, METADATA_FORMAT.COMPOSITE));
          onlyProtocolErrors(() => readWireRoute(bytes, 0, bytes.length, METADATA_FORMAT.ROUTING));
          onlyProtocolErrors(() => readWireDataStart(bytes, 0, bytes.length));
          onlyProtocolErrors(() => readWireRequestN(bytes, 0, bytes.length));
        }
      }),
      { numRuns: 10_000 },
    );
  });

  it('lets nothing but ProtocolError escape the metadata readers, on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 96 }), (array) => {
        const bytes = Buffer.from(array);
        onlyProtocolErrors(() => decodeCompositeMetadata(bytes));
        onlyProtocolErrors(() => decodeRoutingTags(bytes));
        onlyProtocolErrors(() => decodeAuthentication(bytes));
        onlyProtocolErrors(() => decodeSetupMetadata(bytes));
      }),
      { numRuns: 10_000 },
    );
  });

  it('lets nothing but ProtocolError escape the SETUP metadata reader, on mutated valid JSON entries', () => {
    const entryJson = fc.oneof(fc.json(), fc.constant('{"name":"a","uuid":"b"}'), fc.constant('{"published":[{"service":"s"}]}'));
    fc.assert(
      fc.property(entryJson, entryJson, (app, services) => {
        const metadata = Buffer.concat([
          Buffer.from([33]),
          Buffer.from('message/x.rsocket.application+json'),
          Buffer.from([0, 0, Buffer.byteLength(app) & 0xff]),
          Buffer.from(app),
          Buffer.from([41]),
          Buffer.from('message/x.rsocket.service.registry.v0+json'),
          Buffer.from([0, 0, Buffer.byteLength(services) & 0xff]),
          Buffer.from(services),
        ]);
        onlyProtocolErrors(() => decodeSetupMetadata(metadata));
      }),
      { numRuns: 5_000 },
    );
  });

  it('splits any byte stream into frames or a ProtocolError, never anything else', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 6 }), (chunks) => {
        const splitter = new FrameSplitter(1024);
        onlyProtocolErrors(() => {
          for (const chunk of chunks) splitter.push(Buffer.from(chunk), { onFrame: () => {} });
        });
      }),
      { numRuns: 10_000 },
    );
  });

  it('refuses out-of-range fields on encoding with ProtocolError only', () => {
    const wild = fc.oneof(fc.integer(), fc.double(), fc.constant(-1), fc.constant(2 ** 31), fc.constant(2 ** 32));
    fc.assert(
      fc.property(arbitraryFrame(), wild, fc.constantFrom('streamId', 'requestN', 'keepAlive', 'lifetime', 'ttl', 'code', 'extendedType', 'majorVersion'), (frame, value, field) => {
        onlyProtocolErrors(() => encodeFrame({ ...frame, [field]: value } as Frame));
      }),
      { numRuns: 5_000 },
    );
  });
});
