import { createServer, type Server } from 'node:net';
import { decodeCompositeMetadata, decodeRoutes, WellKnownMimeType } from 'rsocket-composite-metadata';
import { RSocketServer, type OnExtensionSubscriber, type OnNextSubscriber, type OnTerminalSubscriber, type Payload, type RSocket } from 'rsocket-core';
import { TcpServerTransport } from 'rsocket-tcp-server';
import { decodeSetupMetadata, parseRoute } from '../protocol/index.js';

type Subscriber = OnTerminalSubscriber & OnNextSubscriber & OnExtensionSubscriber;

/**
 * The benchmark's reference: a broker built on the full rsocket-js stack, as one would
 * write it with the standard library. Each request is decoded, its route read with
 * rsocket-composite-metadata, and re-issued through the chosen service's requester;
 * answers come back the same way. rsb's broker is measured against this.
 */
export class ReferenceBroker {
  private readonly services = new Map<string, RSocket[]>();
  private cursor = 0;
  private server: Server | undefined;
  private closeable: { close(): void } | undefined;

  async start(host: string, port: number): Promise<number> {
    const transport = new TcpServerTransport({
      listenOptions: { host, port },
      socketCreator: (options) => (this.server = createServer(options)),
    });
    const rsocketServer = new RSocketServer({
      transport,
      acceptor: { accept: async (setup, remotePeer) => this.accept(setup.metadata, remotePeer) },
    });
    this.closeable = await rsocketServer.bind();
    const address = this.server!.address();
    return typeof address === 'object' && address ? address.port : port;
  }

  stop(): void {
    this.closeable?.close();
  }

  private accept(metadata: Buffer | undefined, remotePeer: RSocket): Partial<RSocket> {
    for (const service of decodeSetupMetadata(metadata ?? null).services) {
      const instances = this.services.get(service.service) ?? [];
      instances.push(remotePeer);
      this.services.set(service.service, instances);
    }
    return {
      requestResponse: (payload, subscriber) => {
        const target = this.pick(payload);
        if (!target) return rejectNow(subscriber);
        return target.requestResponse(payload, relayTo(subscriber));
      },
      fireAndForget: (payload, subscriber) => {
        const target = this.pick(payload);
        return target ? target.fireAndForget(payload, subscriber) : { cancel() {} };
      },
      requestStream: (payload, initialN, subscriber) => {
        const target = this.pick(payload);
        if (!target) return { ...rejectNow(subscriber), request() {} };
        return target.requestStream(payload, initialN, relayTo(subscriber));
      },
    };
  }

  private pick(payload: Payload): RSocket | undefined {
    let route = '';
    for (const entry of decodeCompositeMetadata(payload.metadata ?? Buffer.alloc(0))) {
      if (entry.mimeType === WellKnownMimeType.MESSAGE_RSOCKET_ROUTING.toString()) {
        route = decodeRoutes(entry.content).next().value ?? '';
        break;
      }
    }
    const instances = this.services.get(parseRoute(route).service);
    if (!instances?.length) return undefined;
    return instances[this.cursor++ % instances.length];
  }
}

function relayTo(subscriber: Subscriber): Subscriber {
  return {
    onNext: (payload, isComplete) => subscriber.onNext(payload, isComplete),
    onComplete: () => subscriber.onComplete(),
    onError: (error) => subscriber.onError(error),
    onExtension: () => {},
  };
}

function rejectNow(subscriber: OnTerminalSubscriber): { cancel(): void; onExtension(): void } {
  subscriber.onError(new Error('no instance'));
  return { cancel() {}, onExtension() {} };
}
