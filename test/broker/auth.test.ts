import { generateKeyPairSync } from 'node:crypto';
import { RSocketConnector } from 'rsocket-core';
import { TcpClientTransport } from 'rsocket-tcp-client';
import { describe, expect, it } from 'vitest';
import { createToken } from '../../src/broker/index.js';
import { SetupRejectedError } from '../../src/errors.js';
import {
  createSetupFrame,
  encodeCompositeMetadata,
  encodeFrame,
  encodeRoutingTags,
  encodeSetupMetadata,
  ERROR_CODE,
  FRAME_TYPE,
  MIME,
} from '../../src/protocol/index.js';
import { useInProcessBrokers } from '../support/in-process.js';
import { Caller, connectService } from '../support/lean-peers.js';
import { RawClient } from '../support/raw-client.js';
import { requestResponse, routed } from '../support/rsocket-js.js';

const SECRET = 'test-secret-of-the-broker';

async function refusal(connecting: Promise<unknown>): Promise<SetupRejectedError> {
  const error = await connecting.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(SetupRejectedError);
  expect((error as SetupRejectedError).errorCode).toBe(ERROR_CODE.REJECTED_SETUP);
  return error as SetupRejectedError;
}

/** JWT authentication at SETUP and authorization per request, every case, on loopback. */
describe('authentication', () => {
  const { startBroker, own } = useInProcessBrokers();

  async function tokenFor(claims: { sub: string; services?: string[]; routes?: string[]; ttlSeconds?: number }, secret = SECRET): Promise<string> {
    return (await createToken({ services: [], routes: [], ...claims, secret })).token;
  }

  it('refuses a connection without a token at SETUP, saying one is needed', async () => {
    const broker = await startBroker({ auth: { secret: SECRET } });
    const error = await refusal(Caller.connect(broker.port));
    expect(error.errorMessage).toBe('this broker requires authentication: send a bearer token (JWT) in the SETUP metadata');
    expect(broker.stats.setupsRejected).toBe(1);
  });

  it('refuses a token signed with another secret', async () => {
    const broker = await startBroker({ auth: { secret: SECRET } });
    const token = await tokenFor({ sub: 'mallory', routes: ['*'] }, 'another-secret');
    expect((await refusal(Caller.connect(broker.port, { token }))).errorMessage).toBe("the token's signature does not match the broker's key");
  });

  it('refuses something that is not a JWT', async () => {
    const broker = await startBroker({ auth: { secret: SECRET } });
    expect((await refusal(Caller.connect(broker.port, { token: 'not-a-jwt' }))).errorMessage).toMatch(/^the token is not a valid JWT/);
  });

  it('refuses an expired token, saying when it expired', async () => {
    const broker = await startBroker({ auth: { secret: SECRET } });
    const token = await tokenFor({ sub: 'late', routes: ['*'], ttlSeconds: -10 });
    expect((await refusal(Caller.connect(broker.port, { token }))).errorMessage).toMatch(/^the token expired at \d{4}-\d\d-\d\dT/);
  });

  it('refuses a connection publishing a service its token does not name', async () => {
    const broker = await startBroker({ auth: { secret: SECRET } });
    const token = await tokenFor({ sub: 'calc-service', services: ['calc'] });
    const error = await refusal(connectService(broker.port, { name: 'calc', services: ['calc', 'admin'], token }));
    expect(error.errorMessage).toBe('the token of calc-service does not allow publishing service admin (it allows: calc)');
    expect(broker.registry.instanceCount).toBe(0);
  });

  it('rejects a call to a route the token does not allow, on that request only', async () => {
    const broker = await startBroker({ auth: { secret: SECRET } });
    const serviceToken = await tokenFor({ sub: 'calc-service', services: ['calc', 'admin'] });
    own(await connectService(broker.port, { name: 'calc', services: ['calc', 'admin'], token: serviceToken }), (s) => s.peer.close());
    const client = own(await Caller.connect(broker.port, { token: await tokenFor({ sub: 'web', routes: ['calc.*'] }) }), (c) => c.close());
    expect(await client.call('admin.reset')).toEqual({
      ok: false,
      code: ERROR_CODE.REJECTED,
      message: 'the token of web does not allow calling admin.reset (it allows: calc.*)',
    });
    expect(await client.call('calc.add')).toEqual({ ok: true, data: 'calc' });
    expect(broker.snapshot().rejections.not_allowed).toBe(1);
  });

  it('lets a service with a valid token publish and a caller with a valid token call, and shows who they are', async () => {
    const broker = await startBroker({ auth: { secret: SECRET } });
    own(await connectService(broker.port, { name: 'calc', services: ['calc'], token: await tokenFor({ sub: 'calc-service', services: ['calc*'] }) }), (s) =>
      s.peer.close(),
    );
    const client = own(await Caller.connect(broker.port, { token: await tokenFor({ sub: 'web', routes: ['*'], ttlSeconds: 60 }) }), (c) => c.close());
    expect(await client.call('calc.add')).toEqual({ ok: true, data: 'calc' });
    expect(broker.listConnections().map((connection) => connection.subject).sort()).toEqual(['calc-service', 'web']);
  });

  it('verifies ES256 tokens against a public key, and refuses an HS256 one', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const broker = await startBroker({ auth: { keyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() } });
    const privatePem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const signed = await createToken({ sub: 'web', services: [], routes: ['*'], keyPem: privatePem });
    expect(signed.algorithm).toBe('ES256');
    own(await Caller.connect(broker.port, { token: signed.token }), (c) => c.close());
    const error = await refusal(Caller.connect(broker.port, { token: await tokenFor({ sub: 'web', routes: ['*'] }) }));
    expect(error.errorMessage).toBe('the token is not signed with ES256, the algorithm this broker\'s key accepts');
  });

  it('verifies RS256 tokens against an RSA public key', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const broker = await startBroker({ auth: { keyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() } });
    const signed = await createToken({ sub: 'web', services: [], routes: ['*'], keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() });
    expect(signed.algorithm).toBe('RS256');
    own(await Caller.connect(broker.port, { token: signed.token }), (c) => c.close());
    expect(broker.listConnections()).toHaveLength(1);
  });

  it('holds the frames that arrive with SETUP until its token is verified, then handles them in order', async () => {
    const broker = await startBroker({ auth: { secret: SECRET } });
    own(await connectService(broker.port, { name: 'calc', services: ['calc'], token: await tokenFor({ sub: 'calc-service', services: ['calc'] }) }), (s) =>
      s.peer.close(),
    );
    const raw = own(await RawClient.connect(broker.port), (client) => client.close());
    const token = await tokenFor({ sub: 'raw', routes: ['calc.*'] });
    const metadata = encodeCompositeMetadata([{ mimeType: MIME.ROUTING, content: encodeRoutingTags(['calc.add']) }]);
    // One write: SETUP, then two requests, all in the chunk whose SETUP starts the verification.
    raw.write(
      Buffer.concat([
        encodeFrame(createSetupFrame({ app: { name: 'raw', uuid: 'raw-1' }, authentication: { type: 'bearer', token } })),
        encodeFrame({ type: FRAME_TYPE.REQUEST_RESPONSE, streamId: 1, flags: 0, metadata, data: Buffer.from('a') }),
        encodeFrame({ type: FRAME_TYPE.REQUEST_RESPONSE, streamId: 3, flags: 0, metadata, data: Buffer.from('b') }),
      ]),
    );
    await raw.waitForFrame((frame) => frame.type === FRAME_TYPE.PAYLOAD && frame.streamId === 3);
    expect(raw.frames.filter((frame) => frame.type === FRAME_TYPE.PAYLOAD).map((frame) => frame.streamId)).toEqual([1, 3]);
  });

  it('serves an rsocket-js client whose requests follow its SETUP before the token is verified', async () => {
    const broker = await startBroker({ auth: { secret: SECRET } });
    own(await connectService(broker.port, { name: 'calc', services: ['calc'], token: await tokenFor({ sub: 'calc-service', services: ['calc'] }) }), (s) =>
      s.peer.close(),
    );
    const token = await tokenFor({ sub: 'js', routes: ['calc.*'] });
    const rsocket = await new RSocketConnector({
      setup: {
        keepAlive: 1_000,
        lifetime: 10_000,
        dataMimeType: 'application/octet-stream',
        metadataMimeType: MIME.COMPOSITE_METADATA,
        payload: { data: null, metadata: encodeSetupMetadata({ app: { name: 'js', uuid: 'js-1' }, authentication: { type: 'bearer', token } }) },
      },
      transport: new TcpClientTransport({ connectionOptions: { host: '127.0.0.1', port: broker.port } }),
    }).connect();
    own(rsocket, (socket) => socket.close());
    // connect() resolves as soon as SETUP is written: this request races the verification.
    const answer = await requestResponse(rsocket, routed('calc.add', '1+1'));
    expect(answer.data?.toString()).toBe('calc');
  });
});
