import { LabError, LabUnavailableError } from '../errors.js';
import { runCommand } from '../process/index.js';

/*
 * The system tools the host lab drives — `ip` (namespaces, links, addresses), `tc`
 * (bandwidth caps) and dnsmasq — and the checks that they are there. Every call goes
 * through runCommand: no shell, arguments passed as they are.
 */

/** What the lab needs beyond `ip` as root. */
export interface LabNeeds {
  dnsmasq?: boolean;
  tc?: boolean;
}

/**
 * Throws LabUnavailableError, one sentence naming what is missing, unless this process
 * is root and has `ip` (and dnsmasq or `tc` when asked): network namespaces, links and
 * qdiscs need all of them.
 */
export async function checkLabTools(needs: LabNeeds = {}): Promise<void> {
  const missing: string[] = [];
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) missing.push('root (it creates network namespaces, a bridge and links)');
  if ((await runCommand('ip', ['-V'])).code === 127) missing.push('the `ip` command (iproute2)');
  if (needs.tc && (await runCommand('tc', ['-V'])).code === 127) missing.push('the `tc` command (iproute2)');
  if (needs.dnsmasq && (await runCommand('dnsmasq', ['--version'])).code === 127) missing.push('dnsmasq (Debian: apt-get install dnsmasq-base)');
  if (missing.length > 0) {
    throw new LabUnavailableError(`the host lab needs ${missing.join(', and ')}, which this machine lacks`, 'Run it as root on Linux with iproute2 and dnsmasq installed.');
  }
}

/** `ip ARGS`, failing with LabError quoting what `ip` said. */
export async function ip(...args: string[]): Promise<string> {
  return runTool('ip', args);
}

/** `tc ARGS`, failing with LabError quoting what `tc` said. */
export async function tc(...args: string[]): Promise<string> {
  return runTool('tc', args);
}

async function runTool(tool: string, args: string[]): Promise<string> {
  const result = await runCommand(tool, args);
  if (result.code === 0) return result.stdout;
  if (result.code === 127) throw new LabUnavailableError(`the host lab needs the \`${tool}\` command, which this machine lacks`);
  throw new LabError(`\`${tool} ${args.join(' ')}\` failed: ${result.stderr.trim() || `exit ${result.code}`}`);
}

/** Network namespaces by name (`ip netns list`). */
export async function listNamespaces(): Promise<string[]> {
  return (await ip('netns', 'list'))
    .split('\n')
    .map((line) => line.trim().split(/\s+/)[0] ?? '')
    .filter((name) => name !== '');
}

/** Link names of this namespace (`ip -o link show`), without the `@peer` suffix. */
export async function listLinks(): Promise<string[]> {
  return (await ip('-o', 'link', 'show'))
    .split('\n')
    .map((line) => /^\d+:\s+([^:@\s]+)/.exec(line)?.[1] ?? '')
    .filter((name) => name !== '');
}

/** The IPv4 addresses of this namespace's interfaces. */
export async function listIpv4Addresses(): Promise<string[]> {
  return [...(await ip('-o', '-4', 'addr', 'show')).matchAll(/\sinet\s+(\d+\.\d+\.\d+\.\d+)\//g)].map((match) => match[1]!);
}

/** Pids of the processes living in a namespace (`ip netns pids`). */
export async function listNamespacePids(namespace: string): Promise<number[]> {
  const result = await runCommand('ip', ['netns', 'pids', namespace]);
  if (result.code !== 0) return [];
  return result.stdout
    .split('\n')
    .map(Number)
    .filter((pid) => Number.isInteger(pid) && pid > 0);
}
