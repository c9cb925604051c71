import { UsageError } from '../errors.js';
import { runCommand } from '../process/index.js';
import { ip, tc } from './lab-commands.js';

/*
 * Network faults on a lab host's link (netem is not in every kernel, and there is no
 * iptables here): a partition takes the host's link to the bridge down — its packets go
 * nowhere and nothing answers, as when a cable is pulled — and a bandwidth cap puts a
 * token bucket (tc tbf) on both ends of the link.
 */

/** The two ends of a lab host's link: on the bridge, and `eth0` inside its namespace. */
export interface HostLink {
  netns: string;
  link: string;
}

/** Cuts the host off: its link to the bridge goes down (carrier lost inside). */
export async function cutLink(host: HostLink): Promise<void> {
  await ip('link', 'set', 'dev', host.link, 'down');
}

/** Heals a cut: the link comes up again and the bridge forwards to it at once. */
export async function restoreLink(host: HostLink): Promise<void> {
  await ip('link', 'set', 'dev', host.link, 'up');
}

/** A rate as tc writes it (`1mbit`, `500kbit`, `2gbit`) and in bytes per second. */
export interface Rate {
  text: string;
  bytesPerSecond: number;
}

const RATE_UNITS: Record<string, number> = { bit: 1, kbit: 1e3, mbit: 1e6, gbit: 1e9 };

/** `1mbit`, `500kbit`, `10Mbit`... → a Rate; throws UsageError naming the form. */
export function parseRate(text: string, what = '--rate'): Rate {
  const match = /^(\d+(?:\.\d+)?)\s*(bit|kbit|mbit|gbit)$/i.exec(text.trim());
  const bits = match ? Number(match[1]) * RATE_UNITS[match[2]!.toLowerCase()]! : NaN;
  if (!match || !(bits >= 8_000)) throw new UsageError(`${what} ${JSON.stringify(text)} is not a rate of at least 8kbit`, 'Write it like 1mbit, 500kbit or 1gbit (bits per second).');
  return { text: `${match[1]}${match[2]!.toLowerCase()}`, bytesPerSecond: bits / 8 };
}

/**
 * Caps the host's traffic both ways at `rate`: a tbf on the bridge end (traffic to the
 * host) and on `eth0` inside (traffic from it). The bucket holds a tenth of a second of
 * the rate (at least 16 KiB, so that one full-size frame always fits), and a packet
 * waits at most 200 ms in it before it is dropped, as a slow link would.
 */
export async function capLink(host: HostLink, rate: Rate): Promise<void> {
  const burst = String(Math.max(16 * 1024, Math.ceil(rate.bytesPerSecond / 10)));
  const spec = ['root', 'tbf', 'rate', rate.text, 'burst', burst, 'latency', '200ms'];
  await tc('qdisc', 'replace', 'dev', host.link, ...spec);
  await tc('-n', host.netns, 'qdisc', 'replace', 'dev', 'eth0', ...spec);
}

/** Removes a cap; a link without one is fine. */
export async function uncapLink(host: HostLink): Promise<void> {
  // tc says "Cannot delete qdisc with handle of zero" for a link without a cap: nothing to undo.
  await runCommand('tc', ['qdisc', 'del', 'dev', host.link, 'root']);
  await runCommand('tc', ['-n', host.netns, 'qdisc', 'del', 'dev', 'eth0', 'root']);
}
