import { formatCount, waitForShutdownSignal } from '../cli/output.js';
import { nameErrorCode } from '../protocol/index.js';
import { Broker, type BrokerEvent, type BrokerOptions, type BrokerSnapshot } from './broker.js';

export interface RunNodeOptions extends Partial<BrokerOptions> {
  /** Live Ink status line (a terminal) or plain log lines. */
  isInteractive: boolean;
  /** Where plain lines go. */
  print: (line: string) => void;
}

/** The one call behind `rsb start`: runs a broker in the foreground until SIGINT/SIGTERM, then stops it cleanly. */
export async function runBrokerNode(options: RunNodeOptions): Promise<BrokerSnapshot> {
  const { isInteractive, print, ...brokerOptions } = options;
  // Ink (and React, and its layout engine) cost ~45 MB: loaded only when a person watches.
  const view = isInteractive ? await InkView.create() : new PlainView(print);
  const broker = new Broker(brokerOptions, (event) => view.event(describeEvent(event)));
  const { host, port } = await broker.start();
  print(`rsb broker ${broker.id} listening on ${host}:${port}`);
  view.start(broker);
  const signal = await waitForShutdownSignal();
  view.stop();
  print(`rsb broker ${broker.id} stopping on ${signal}`);
  await broker.stop();
  const final = broker.snapshot();
  print(`rsb broker ${broker.id} stopped after routing ${formatCount(final.requestsRouted)} requests`);
  return final;
}

function describeEvent(event: BrokerEvent): string {
  const who = `${event.session.app.name} (${event.session.remoteAddress})`;
  switch (event.kind) {
    case 'session-ready': {
      const services = event.session.services.map((service) => service.service).join(', ');
      return `+ ${who} connected${services ? `, publishes ${services}` : ''}`;
    }
    case 'session-closed':
      return `- ${who} disconnected${event.error ? `: ${event.error.message}` : ''}`;
    case 'setup-rejected':
      return `! ${event.session.remoteAddress} refused at SETUP: ${event.message}`;
    case 'connection-error':
      return `! ${who} closed with ${event.code !== undefined ? nameErrorCode(event.code) : 'an error'}: ${event.message}`;
    case 'peer-error':
      return `! ${who} sent a connection error: ${event.message}`;
  }
}

/** Measures requests per second between ticks. */
class RateMeter {
  private last = 0;
  private lastAt = Date.now();

  rate(total: number): number {
    const now = Date.now();
    const perSecond = ((total - this.last) * 1000) / Math.max(1, now - this.lastAt);
    this.last = total;
    this.lastAt = now;
    return perSecond;
  }
}

interface View {
  event(text: string): void;
  start(broker: Broker): void;
  stop(): void;
}

/** Plain lines: every event, and a figures line every 10 s while requests flow. */
class PlainView implements View {
  private timer: NodeJS.Timeout | undefined;
  private readonly meter = new RateMeter();

  constructor(private readonly print: (line: string) => void) {}

  event(text: string): void {
    this.print(text);
  }

  start(broker: Broker): void {
    let lastRouted = 0;
    this.timer = setInterval(() => {
      const snapshot = broker.snapshot();
      const rate = this.meter.rate(snapshot.requestsRouted);
      if (snapshot.requestsRouted === lastRouted) return;
      lastRouted = snapshot.requestsRouted;
      this.print(
        `connections ${snapshot.connections}, services ${snapshot.services} (${snapshot.instances} instances), ` +
          `${formatCount(rate)} requests/s, ${formatCount(snapshot.requestsRouted)} routed, ${formatCount(snapshot.requestsRejected)} rejected`,
      );
    }, 10_000);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

type InkModules = [typeof import('ink'), typeof import('react'), typeof import('../ui/index.js')];

/** Ink: a status line redrawn twice a second, events kept above it. */
class InkView implements View {
  private readonly events: { key: number; text: string }[] = [];
  private timer: NodeJS.Timeout | undefined;
  private instance: ReturnType<InkModules[0]['render']> | undefined;
  private readonly meter = new RateMeter();

  private constructor(private readonly modules: InkModules) {}

  static async create(): Promise<InkView> {
    return new InkView(await Promise.all([import('ink'), import('react'), import('../ui/index.js')]));
  }

  event(text: string): void {
    this.events.push({ key: this.events.length, text });
  }

  start(broker: Broker): void {
    const [{ render }, React, { BrokerStatus }] = this.modules;
    const draw = (): void => {
      const snapshot = broker.snapshot();
      const element = React.createElement(BrokerStatus, {
        id: broker.id,
        address: `${snapshot.host}:${snapshot.port}`,
        connections: snapshot.connections,
        services: snapshot.services,
        instances: snapshot.instances,
        requestsPerSecond: this.meter.rate(snapshot.requestsRouted),
        requestsRouted: snapshot.requestsRouted,
        events: this.events,
      });
      if (this.instance) this.instance.rerender(element);
      else this.instance = render(element, { exitOnCtrlC: false, patchConsole: false });
    };
    draw();
    this.timer = setInterval(draw, 500);
  }

  stop(): void {
    clearInterval(this.timer);
    this.instance?.unmount();
  }
}
