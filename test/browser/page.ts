/**
 * The browser end of test/browser/browser.test.ts, bundled with esbuild: rsocket-js
 * 1.0.0-alpha.3's WebSocket client, as a web page uses it, calling an `rsb mock` through
 * `rsb start` in the four interaction models. What it saw is left in `window.rsbResults`
 * (and printed on the page), for the test to read.
 */
import { RSocketConnector, type Payload, type RSocket } from 'rsocket-core';
import { WebsocketClientTransport } from 'rsocket-websocket-client';
import { encodeSetupMetadata, MIME } from '../../src/protocol/index.js';
import { requestChannel, requestResponse, routed } from '../support/rsocket-js-requests.js';

/** The few page globals used here: the test's tsconfig has no DOM library. */
declare const location: { search: string };
declare const document: { body: { textContent: string | null } };
declare const window: { rsbResults?: PageResults };

export interface PageResults {
  requestResponse: string;
  /** Each item of the stream, and the REQUEST_N credits the page gave. */
  stream: { items: string[]; credits: number[] };
  channel: string[];
  fireAndForget: 'sent';
  error?: string;
}

/** A stream taken `credit` items at a time: each batch asked for once the previous one arrived. */
function requestStream(rsocket: RSocket, payload: Payload, credit: number): Promise<PageResults['stream']> {
  const items: string[] = [];
  const credits = [credit];
  return new Promise((resolve, reject) => {
    const stream = rsocket.requestStream(payload, credit, {
      onNext(item, isComplete) {
        items.push(item.data?.toString() ?? '');
        if (isComplete) resolve({ items, credits });
        else if (items.length === credits.reduce((sum, n) => sum + n, 0)) {
          credits.push(credit);
          stream.request(credit);
        }
      },
      onComplete: () => resolve({ items, credits }),
      onError: reject,
      onExtension() {},
    });
  });
}

async function run(): Promise<PageResults> {
  const broker = new URLSearchParams(location.search).get('broker')!;
  const connector = new RSocketConnector({
    setup: {
      keepAlive: 2_000,
      lifetime: 20_000,
      dataMimeType: 'text/plain',
      metadataMimeType: MIME.COMPOSITE_METADATA,
      payload: { data: null, metadata: encodeSetupMetadata({ app: { name: 'browser-page', uuid: 'browser-page-1' }, services: [] }) },
    },
    transport: new WebsocketClientTransport({ url: broker }),
  });
  const rsocket = await connector.connect();
  const results: PageResults = {
    requestResponse: (await requestResponse(rsocket, routed('svc.echo', 'hello from the browser'))).data!.toString(),
    stream: await requestStream(rsocket, routed('svc.ticks', 'tick'), 2),
    channel: await requestChannel(rsocket, routed('svc.chat', 'one'), ['two', 'three']),
    fireAndForget: 'sent',
  };
  rsocket.fireAndForget(routed('svc.note', 'noted'), { onComplete() {}, onError() {} });
  // A request after it on the same connection: once answered, the broker has forwarded the fire-and-forget too.
  await requestResponse(rsocket, routed('svc.echo', 'after'));
  rsocket.close();
  return results;
}

run().then(
  (results) => {
    window.rsbResults = results;
    document.body.textContent = JSON.stringify(results, null, 2);
  },
  (error: unknown) => {
    window.rsbResults = { requestResponse: '', stream: { items: [], credits: [] }, channel: [], fireAndForget: 'sent', error: String(error) };
  },
);
