import type { JSX } from 'react';

/** A finished line, kept above the live part of an Ink view. */
export interface EventLine {
  key: number;
  text: string;
}

type Components = typeof import('./components.js');

/** The views a command can draw, by component name. */
export type ViewName = 'BridgeStatus' | 'BrokerStatus' | 'ClusterStatus' | 'LoadDashboard' | 'MockStatus' | 'StatusTable';
export type ViewProps<Name extends ViewName> = Parameters<Components[Name]>[0];

/**
 * What a command that draws shows while it runs: lines that stay (events), and figures
 * that change. On a terminal with CI unset (the command decides: `isInteractiveTerminal`)
 * Ink redraws a component; elsewhere the same run prints plain lines (docs/architecture.md,
 * "Output"). Ink's last frame is not a log: what must stay after the run is printed as plain
 * lines once the view is stopped.
 */
export interface LiveView {
  /** A line that stays: printed at once as plain text; on Ink kept above the live part (<Static>). */
  event(text: string): void;
  /** New figures are in: Ink redraws now; plain output prints `plainLines` (none by default). */
  refresh(plainLines?: readonly string[]): void;
  start(): void;
  stop(): void;
}

export interface LiveViewOptions<Name extends ViewName> {
  isInteractive: boolean;
  /** Where plain lines go. */
  print: (line: string) => void;
  /** Ink: the component to draw. */
  view: Name;
  /** Ink: its props but the events, read at each redraw. */
  props: () => Omit<ViewProps<Name>, 'events'>;
  /** Ink: a redraw this often besides refresh() (for a clock or a progress bar). */
  redrawMs?: number;
  /** Plain output: a figures line read every `plainIntervalMs`, or undefined to print nothing this time (nothing changed). */
  plainLine?: () => string | undefined;
  plainIntervalMs?: number;
}

const DEFAULT_REDRAW_MS = 500;
/** Ink never draws more often than this, however often figures come: never one frame per request. */
const MAX_FPS = 30;

/** Ink (with React and its layout engine, ~45 MB) is imported only for an interactive view. */
export async function createLiveView<Name extends ViewName>(options: LiveViewOptions<Name>): Promise<LiveView> {
  if (!options.isInteractive) return new PlainView(options);
  const [ink, react, components] = await Promise.all([import('ink'), import('react'), import('./components.js')]);
  return new InkView(options, ink, react, components[options.view] as unknown as (props: ViewProps<Name>) => JSX.Element);
}

/** Plain lines: every event and refresh at once, and the figures line every `plainIntervalMs` when there is one. */
class PlainView implements LiveView {
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: Pick<LiveViewOptions<ViewName>, 'print' | 'plainLine' | 'plainIntervalMs'>) {}

  event(text: string): void {
    this.options.print(text);
  }

  refresh(plainLines: readonly string[] = []): void {
    for (const line of plainLines) this.options.print(line);
  }

  start(): void {
    const { plainLine, plainIntervalMs } = this.options;
    if (!plainLine || !plainIntervalMs || this.timer) return;
    this.timer = setInterval(() => {
      const line = plainLine();
      if (line !== undefined) this.options.print(line);
    }, plainIntervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}

/** Ink: the component redrawn on refresh and every `redrawMs`, events kept above it with <Static>. */
class InkView<Name extends ViewName> implements LiveView {
  private readonly events: EventLine[] = [];
  private timer: NodeJS.Timeout | undefined;
  private instance: ReturnType<typeof import('ink').render> | undefined;
  private isInterrupted = false;
  private readonly onInterrupt = (): void => {
    this.isInterrupted = true;
  };

  constructor(
    private readonly options: LiveViewOptions<Name>,
    private readonly ink: typeof import('ink'),
    private readonly react: typeof import('react'),
    private readonly component: (props: ViewProps<Name>) => JSX.Element,
  ) {}

  event(text: string): void {
    this.events.push({ key: this.events.length, text });
    this.draw();
  }

  refresh(): void {
    this.draw();
  }

  start(): void {
    if (this.instance) return;
    this.instance = this.ink.render(this.element(), { exitOnCtrlC: false, patchConsole: false, maxFps: MAX_FPS });
    this.timer = setInterval(() => this.draw(), this.options.redrawMs ?? DEFAULT_REDRAW_MS);
    // `once`: a listener left behind must not keep a second Ctrl-C from ending the process.
    process.once('SIGINT', this.onInterrupt);
  }

  stop(): void {
    clearInterval(this.timer);
    process.off('SIGINT', this.onInterrupt);
    if (!this.instance) return;
    this.instance.unmount();
    this.instance = undefined;
    // The terminal echoed `^C` after the last frame: what is printed next starts on a line of its own.
    if (this.isInterrupted) process.stdout.write('\n');
  }

  private draw(): void {
    this.instance?.rerender(this.element());
  }

  private element(): JSX.Element {
    // The props the view gives plus the events: the component's own props.
    return this.react.createElement(this.component, { ...this.options.props(), events: this.events } as unknown as ViewProps<Name>);
  }
}
