import { checkClusterName, DEFAULT_CLUSTER_NAME, requireClusterState, resolveStateDir, type ClusterBrokerRecord } from '../client/index.js';
import { UsageError } from '../errors.js';
import { checkLabTools } from './lab-commands.js';
import { capLink, cutLink, parseRate, restoreLink, uncapLink, type HostLink } from './link-faults.js';

export interface LabFaultOptions {
  name?: string;
  stateDir?: string;
  /** A broker id (`lab-2`) or its number in the cluster (`2`). */
  broker: string;
  onProgress?: (line: string) => void;
  /** Ends the fault early (Ctrl-C): a partition heals, a cap is lifted. */
  signal?: AbortSignal;
}

export interface PartitionResult {
  broker: string;
  host: string;
  address: string;
  /** How long the host was cut off. */
  cutForMs: number;
  /** Healed before its time (the signal fired). */
  wasInterrupted: boolean;
}

export interface BandwidthResult {
  broker: string;
  host: string;
  address: string;
  /** `1mbit`, or `none` once lifted. */
  rate: string;
  /** How long the cap was held; undefined when it was left in place. */
  heldForMs: number | undefined;
}

/**
 * `rsb cluster partition`: cuts one host of a lab off (its link down) for `durationMs`,
 * then heals it. The link comes up again however this ends (the signal, an error), so
 * that no partition outlives the command.
 */
export async function partitionBroker(options: LabFaultOptions & { durationMs: number }): Promise<PartitionResult> {
  const { broker, host } = await findLabHost(options);
  const started = performance.now();
  options.onProgress?.(`partitioning ${broker.id} (host ${host.netns}, ${broker.host}): its link is down for ${(options.durationMs / 1000).toFixed(1)} s`);
  await cutLink(host);
  let wasInterrupted = false;
  try {
    wasInterrupted = await sleep(options.durationMs, options.signal);
  } finally {
    await restoreLink(host);
  }
  const cutForMs = performance.now() - started;
  options.onProgress?.(`healed ${broker.id} after ${(cutForMs / 1000).toFixed(1)} s`);
  return { broker: broker.id, host: host.netns, address: broker.host, cutForMs, wasInterrupted };
}

/**
 * `rsb cluster bandwidth`: caps one lab host's link both ways (tc tbf), for `durationMs`
 * and then lifts it, or until lifted with the rate `none` when no duration is given.
 */
export async function capBrokerBandwidth(options: LabFaultOptions & { rate: string; durationMs?: number | undefined }): Promise<BandwidthResult> {
  const { broker, host } = await findLabHost(options, true);
  const base = { broker: broker.id, host: host.netns, address: broker.host };
  if (options.rate === 'none') {
    await uncapLink(host);
    options.onProgress?.(`lifted the cap of ${broker.id}`);
    return { ...base, rate: 'none', heldForMs: undefined };
  }
  const rate = parseRate(options.rate);
  await capLink(host, rate);
  options.onProgress?.(`capped ${broker.id} (host ${host.netns}) at ${rate.text} both ways${options.durationMs !== undefined ? ` for ${(options.durationMs / 1000).toFixed(1)} s` : ''}`);
  if (options.durationMs === undefined) return { ...base, rate: rate.text, heldForMs: undefined };
  const started = performance.now();
  try {
    await sleep(options.durationMs, options.signal);
  } finally {
    await uncapLink(host);
  }
  return { ...base, rate: rate.text, heldForMs: performance.now() - started };
}

async function findLabHost(options: LabFaultOptions, needsTc = false): Promise<{ broker: ClusterBrokerRecord; host: HostLink }> {
  await checkLabTools({ tc: needsTc });
  const name = checkClusterName(options.name ?? DEFAULT_CLUSTER_NAME);
  const state = requireClusterState(resolveStateDir(options.stateDir), name);
  if (!state.lab) throw new UsageError(`cluster ${name} runs on this machine's loopback: only a lab of hosts has links to cut`, 'Start one with `rsb cluster up --hosts`.');
  const index = /^\d+$/.test(options.broker) ? Number(options.broker) - 1 : state.brokers.findIndex((broker) => broker.id === options.broker);
  const broker = state.brokers[index];
  if (!broker?.netns || !broker.link) {
    throw new UsageError(`cluster ${name} has no broker ${JSON.stringify(options.broker)}`, `Name one of ${state.brokers.map((known) => known.id).join(', ')}, or its number.`);
  }
  return { broker, host: { netns: broker.netns, link: broker.link } };
}

/** Waits `ms`; resolves true when the signal cut it short. */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(true);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(false);
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(true);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
