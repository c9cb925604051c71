import type { JSX } from 'react';

/** A finished log line, kept above the live part of an Ink view. */
export interface EventLine {
  key: number;
  text: string;
}

/**
 * What a long-running command (`rsb start`, `rsb mock`) shows while it runs: events as
 * they happen, and its figures now and then — redrawn by Ink on a terminal, as plain lines
 * otherwise (DESIGN.md, "Output conventions").
 */
export interface LiveView {
  event(text: string): void;
  start(): void;
  stop(): void;
}

type UiModule = typeof import('../ui/index.js');

export interface LiveViewOptions<Props extends { events: readonly EventLine[] }> {
  isInteractive: boolean;
  /** Where plain lines go. */
  print: (line: string) => void;
  /** Plain lines: the figures line, or undefined to print nothing this time (nothing changed). */
  plainLine: () => string | undefined;
  plainIntervalMs: number;
  /** Ink: the component to draw, picked from src/ui once it is loaded. */
  component: (ui: UiModule) => (props: Props) => JSX.Element;
  /** Ink: its props but the events, read at each redraw. */
  props: () => Omit<Props, 'events'>;
}

const INK_REDRAW_MS = 500;

/**
 * Ink (with React and its layout engine, ~45 MB) is imported only for an interactive
 * view: a load run starts many brokers and mocks, none of them on a terminal.
 */
export async function createLiveView<Props extends { events: readonly EventLine[] }>(options: LiveViewOptions<Props>): Promise<LiveView> {
  if (!options.isInteractive) return new PlainView(options);
  const [ink, react, ui] = await Promise.all([import('ink'), import('react'), import('../ui/index.js')]);
  return new InkView(options, ink, react, options.component(ui));
}

/** Plain lines: every event at once, and the figures line every `plainIntervalMs` when there is one. */
class PlainView implements LiveView {
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: Pick<LiveViewOptions<never>, 'print' | 'plainLine' | 'plainIntervalMs'>) {}

  event(text: string): void {
    this.options.print(text);
  }

  start(): void {
    this.timer = setInterval(() => {
      const line = this.options.plainLine();
      if (line !== undefined) this.options.print(line);
    }, this.options.plainIntervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

/** Ink: the component redrawn twice a second, events kept above it with <Static>. */
class InkView<Props extends { events: readonly EventLine[] }> implements LiveView {
  private readonly events: EventLine[] = [];
  private timer: NodeJS.Timeout | undefined;
  private instance: ReturnType<typeof import('ink').render> | undefined;

  constructor(
    private readonly options: LiveViewOptions<Props>,
    private readonly ink: typeof import('ink'),
    private readonly react: typeof import('react'),
    private readonly component: (props: Props) => JSX.Element,
  ) {}

  event(text: string): void {
    this.events.push({ key: this.events.length, text });
  }

  start(): void {
    const draw = (): void => {
      // Props is the component's own props type, of which events is a part.
      const element = this.react.createElement(this.component, { ...this.options.props(), events: this.events } as unknown as Props);
      if (this.instance) this.instance.rerender(element);
      else this.instance = this.ink.render(element, { exitOnCtrlC: false, patchConsole: false });
    };
    draw();
    this.timer = setInterval(draw, INK_REDRAW_MS);
  }

  stop(): void {
    clearInterval(this.timer);
    this.instance?.unmount();
  }
}
