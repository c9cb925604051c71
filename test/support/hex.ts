/**
 * Turns a vector as written in the wire notes into bytes: hex digits, with `|` and spaces
 * between fields ignored and "quoted text" standing for its ASCII bytes.
 */
export function bytesOf(vector: string): Buffer {
  const parts: Buffer[] = [];
  for (const token of vector.match(/"[^"]*"|[^\s|"]+/g) ?? []) {
    parts.push(token.startsWith('"') ? Buffer.from(token.slice(1, -1), 'ascii') : Buffer.from(token, 'hex'));
  }
  return Buffer.concat(parts);
}
