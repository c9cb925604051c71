import type { ConnectLoad, LoadConnections, LoadTarget } from '../load/index.js';
import type { RequestObserver, RequestTemplate } from '../transport/index.js';
import { NATS_ECHO_SUBJECT, NatsConnection, NatsRequester } from './nats-connection.js';

/**
 * rsb load's generator driving NATS: each connection a NatsRequester publishing `payload`
 * to the echo subject. The generator's RSocket request templates are not used — every
 * request is the same PUB — so the mix must be one request-response route.
 */
export function connectNatsLoad(payload: Buffer): ConnectLoad {
  return (plan, observer) => new NatsLoadConnections(plan.targets, plan.connectionsPerTarget, plan.appName, payload, observer);
}

class NatsLoadConnections implements LoadConnections {
  readonly targetOf: Int32Array;
  private readonly requesters: (NatsRequester<number> | undefined)[];
  /** Connections written to since the last flush. */
  private readonly isDirty: Uint8Array;
  private next = 0;

  constructor(
    private readonly targets: readonly LoadTarget[],
    perTarget: number,
    private readonly appName: string,
    private readonly payload: Buffer,
    private readonly observer: RequestObserver<number>,
  ) {
    const count = targets.length * perTarget;
    this.targetOf = Int32Array.from({ length: count }, (_, c) => Math.floor(c / perTarget));
    this.requesters = new Array<NatsRequester<number> | undefined>(count).fill(undefined);
    this.isDirty = new Uint8Array(count);
  }

  async open(): Promise<void> {
    await Promise.all(
      this.requesters.map(async (_, c) => {
        const target = this.targets[this.targetOf[c]!]!;
        const connection = await NatsConnection.connect(target.host, target.port, this.appName);
        this.requesters[c] = new NatsRequester(connection, NATS_ECHO_SUBJECT, this.payload, this.observer);
      }),
    );
  }

  pick(): number {
    const count = this.requesters.length;
    for (let tried = 0; tried < count; tried++) {
      const c = this.next;
      this.next = c + 1 === count ? 0 : c + 1;
      if (this.requesters[c]?.isConnected) return c;
    }
    return -1;
  }

  isConnected(c: number): boolean {
    return this.requesters[c]?.isConnected ?? false;
  }

  send(c: number, _template: RequestTemplate, context: number): number {
    this.isDirty[c] = 1;
    return this.requesters[c]!.send(context);
  }

  cancel(c: number, id: number): void {
    this.requesters[c]?.cancel(id);
  }

  flush(): void {
    for (let c = 0; c < this.isDirty.length; c++) {
      if (this.isDirty[c] === 0) continue;
      this.isDirty[c] = 0;
      this.requesters[c]?.connection.flush();
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.requesters.map((requester) => requester?.connection.close()));
  }
}
