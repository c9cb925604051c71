import { execFileSync } from 'node:child_process';

/**
 * The namespaces and links of labs on this machine (named rsb-TAG…), sorted: with tags,
 * only those labs' (other checkouts may run labs of their own at the same time).
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
  return [...namespaces.filter(mine).sort().map((name) => `namespace ${name}`), ...links.filter(mine).sort().map((name) => `link ${name}`)];
}
