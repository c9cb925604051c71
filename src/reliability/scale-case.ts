import { readWireDataStart } from '../protocol/index.js';
import { ECHO_HANDLER, LeanRequester, PeerConnection, prepareRequest, ResponderConnection } from '../transport/index.js';
import { BrokerProcess } from './broker-process.js';
import type { CaseResult } from './case-result.js';

export interface ScaleOptions {
  connections: number;
  /** Connections opened at once; the broker's accept backlog is 511. */
  concurrency?: number;
}

const NO_HANDLER = { onStreamFrame() {}, onConnectionLost() {} };

/**
 * Many concurrent connections on one broker process: each completes SETUP, then each sends
 * one request and must get its answer. Reports the broker's resident memory per idle connection.
 */
export async function runScaleCase(options: ScaleOptions): Promise<CaseResult> {
  const broker = await BrokerProcess.start(['--max-connections', String(options.connections + 16), '--id', 'scale']);
  const peers: PeerConnection[] = [];
  let service: ResponderConnection | undefined;
  try {
    service = await ResponderConnection.connect({ host: '127.0.0.1', port: broker.port, services: [{ service: 'scale', group: '', version: '' }] }, ECHO_HANDLER);
    const baseline = broker.memory().rssBytes;
    const concurrency = options.concurrency ?? 200;
    for (let opened = 0; opened < options.connections; opened += concurrency) {
      const batch = Math.min(concurrency, options.connections - opened);
      peers.push(
        ...(await Promise.all(
          Array.from({ length: batch }, (_, i) => PeerConnection.connect({ host: '127.0.0.1', port: broker.port, app: { name: 'scale-client', uuid: `c${opened + i}` } }, NO_HANDLER)),
        )),
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
    const idle = broker.memory().rssBytes;

    let answered = 0;
    let errored = 0;
    let wrongAnswers = 0;
    const template = prepareRequest({ route: 'scale.echo', data: Buffer.from('ping') });
    await new Promise<void>((resolve) => {
      const settle = (): void => {
        if (answered + errored === peers.length) resolve();
      };
      const observer = {
        onNext: (_: number, buf: Buffer, start: number, end: number) => {
          if (buf.toString('utf8', readWireDataStart(buf, start, end), end) !== 'ping') wrongAnswers++;
        },
        onComplete: () => {
          answered++;
          settle();
        },
        onError: () => {
          errored++;
          settle();
        },
      };
      for (const peer of peers) new LeanRequester<number>(peer, observer).send(template, 0);
      setTimeout(resolve, 30_000).unref();
    });
    const memory = broker.memory();
    const perConnection = (idle - baseline) / peers.length;
    return {
      name: 'scale',
      claim: `${options.connections.toLocaleString('en-US')} concurrent connections on one broker, every one served`,
      connections: peers.length + 1,
      requestsSent: peers.length,
      answered,
      errored,
      unanswered: peers.length - answered - errored,
      brokerRestarts: 0,
      peakBrokerRssBytes: memory.peakRssBytes,
      isPassed: answered === options.connections && errored === 0 && wrongAnswers === 0 && broker.isRunning,
      notes: [`broker memory per idle connection: ${(perConnection / 1024).toFixed(1)} KiB (RSS ${mib(baseline)} → ${mib(idle)} MiB)`],
    };
  } finally {
    await Promise.all(peers.map((peer) => peer.close()));
    await service?.peer.close();
    await broker.stop();
  }
}

function mib(bytes: number): string {
  return (bytes / 2 ** 20).toFixed(1);
}
