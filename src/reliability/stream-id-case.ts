import { MAX_STREAM_ID } from '../protocol/index.js';
import { ECHO_HANDLER, LeanRequester, PeerConnection, prepareRequest, ResponderConnection } from '../transport/index.js';
import { BrokerProcess } from './broker-process.js';
import type { CaseResult } from './case-result.js';

/**
 * A requester whose stream ids start just below 2^31-1 sends `requests` request-responses
 * through a broker process: its ids wrap back to 1 midway and every request is answered.
 */
export async function runStreamIdCase(options: { requests: number }): Promise<CaseResult> {
  const broker = await BrokerProcess.start(['--id', 'stream-ids']);
  let service: ResponderConnection | undefined;
  let peer: PeerConnection | undefined;
  try {
    service = await ResponderConnection.connect({ host: '127.0.0.1', port: broker.port, services: [{ service: 'echo', group: '', version: '' }] }, ECHO_HANDLER);
    peer = await PeerConnection.connect({ host: '127.0.0.1', port: broker.port }, { onStreamFrame() {}, onConnectionLost() {} });
    const template = prepareRequest({ route: 'echo.say', data: Buffer.from('wrap') });
    let sent = 0;
    let answered = 0;
    let errored = 0;
    let sawWrap = false;
    await new Promise<void>((resolve) => {
      const next = (): void => {
        if (sent === options.requests) {
          if (answered + errored === sent) resolve();
          return;
        }
        sent++;
        if (requester.send(template, 0) < 64) sawWrap = true;
      };
      const requester: LeanRequester<number> = new LeanRequester<number>(
        peer!,
        { onComplete: () => (answered++, next()), onError: () => (errored++, next()) },
        { firstStreamIdAfter: MAX_STREAM_ID - options.requests },
      );
      for (let i = 0; i < 32; i++) next();
      setTimeout(resolve, 60_000).unref();
    });
    return {
      name: 'stream ids',
      claim: `a requester's stream ids pass 2^31-1 and wrap while ${options.requests.toLocaleString('en-US')} requests cross the broker`,
      connections: 2,
      requestsSent: sent,
      answered,
      errored,
      unanswered: sent - answered - errored,
      brokerRestarts: 0,
      peakBrokerRssBytes: broker.memory().peakRssBytes,
      isPassed: sawWrap && answered === options.requests && errored === 0,
      notes: [sawWrap ? 'ids wrapped from 2,147,483,647 to 1' : 'ids did NOT wrap'],
    };
  } finally {
    await peer?.close();
    await service?.peer.close();
    await broker.stop();
  }
}
