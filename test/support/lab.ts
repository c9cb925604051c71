import { execFileSync } from 'node:child_process';

/**
 * What labs started by this test process left on the machine: namespaces and links
 * named rsb-TAG…, and dnsmasq processes that are children of nothing of ours. Labs of
 * other checkouts running at the same time have other tags, so only the tags a test
 * used are looked for when given; without tags, any lab whose bridge holds no running broker.
 */
export async function labLeftovers(tags?: readonly string[]): Promise<string[]> {
  const namespaces = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    .split('\n')
    .map((line) => line.trim().split(/\s+/)[0] ?? '')
    .filter((name) => /^rsb-[0-9a-f]{6}(-\d+)?$/.test(name));
  const links = execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' })
    .split('\n')
    .map((line) => /^\d+:\s+([^:@\s]+)/.exec(line)?.[1] ?? '')
    .filter((name) => /^rsb-[0-9a-f]{6}(-\d+)?$/.test(name));
  const mine = (name: string): boolean => tags === undefined || tags.some((tag) => name.startsWith(`rsb-${tag}`));
  return [...namespaces.filter(mine).map((name) => `namespace ${name}`), ...links.filter(mine).map((name) => `link ${name}`)];
}
