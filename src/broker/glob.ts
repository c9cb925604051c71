/**
 * Glob patterns as tokens and config files write them: `*` matches any run of characters
 * (dots included, so `svc.*` matches every method of svc), `?` one character, anything
 * else itself. Used for route grants in tokens and for service and app names in the config.
 */
export function compileGlob(patterns: readonly string[]): RegExp {
  if (patterns.length === 0) return /(?!)/;
  const alternatives = patterns.map((pattern) =>
    pattern
      .split('')
      .map((char) => (char === '*' ? '.*' : char === '?' ? '.' : char.replace(/[\\^$.|+()[\]{}]/g, '\\$&')))
      .join(''),
  );
  return new RegExp(`^(?:${alternatives.join('|')})$`, 's');
}

export function isGlob(pattern: string): boolean {
  return pattern.includes('*') || pattern.includes('?');
}

/**
 * Finds the rule for a name among keyed rules: an exact key wins, then the first glob
 * key that matches, in the order written.
 */
export function findRule<T>(rules: ReadonlyMap<string, T>, name: string): T | undefined {
  const exact = rules.get(name);
  if (exact !== undefined) return exact;
  for (const [pattern, rule] of rules) if (isGlob(pattern) && compileGlob([pattern]).test(name)) return rule;
  return undefined;
}
