import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

interface ManifestFlag {
  char?: string;
  type: 'option' | 'boolean';
  default?: unknown;
  options?: string[];
  helpValue?: string;
}
const manifest = JSON.parse(readFileSync(fileURLToPath(new URL('../../oclif.manifest.json', import.meta.url)), 'utf8')) as {
  commands: Record<string, { flags: Record<string, ManifestFlag> }>;
};
const everyFlag = Object.entries(manifest.commands).flatMap(([command, { flags }]) => Object.entries(flags).map(([name, flag]) => ({ command, name, flag })));

/** What `--help` shows, read from the manifest it is drawn from. */
describe('flags across commands', () => {
  it('give a one-letter form to one flag only: -d is --data wherever it exists', () => {
    const namesByChar = new Map<string, Set<string>>();
    for (const { name, flag } of everyFlag) if (flag.char) namesByChar.set(flag.char, (namesByChar.get(flag.char) ?? new Set()).add(name));
    const clashes = [...namesByChar].filter(([, names]) => names.size > 1).map(([char, names]) => `-${char}: ${[...names].join(', ')}`);
    expect(clashes).toEqual([]);
    expect(namesByChar.get('d')).toEqual(new Set(['data']));
  });

  it('give a flag the same one-letter form and the same allowed values in every command that has it', () => {
    const byName = new Map<string, { command: string; char?: string; values?: string }[]>();
    for (const { command, name, flag } of everyFlag) {
      byName.set(name, [...(byName.get(name) ?? []), { command, char: flag.char, values: (flag.options ?? []).join('|') || flag.helpValue }]);
    }
    for (const [name, uses] of byName) {
      expect(new Set(uses.map((use) => use.char)).size, `--${name}: ${JSON.stringify(uses)}`).toBe(1);
      expect(new Set(uses.map((use) => use.values)).size, `--${name}: ${JSON.stringify(uses)}`).toBe(1);
    }
  });

  it('show --mode with the same four values in rsb call and rsb load, and the defaults of rsb load', () => {
    const modes = 'request-response|fire-and-forget|request-stream|request-channel';
    expect(manifest.commands.call!.flags.mode!.helpValue).toBe(modes);
    expect(manifest.commands.load!.flags.mode!.helpValue).toBe(modes);
    const load = manifest.commands.load!.flags;
    expect({ qps: load.qps!.default, duration: load.duration!.default, mode: load.mode!.default, route: load.route!.default, payload: load.payload!.default }).toEqual({
      qps: '1000',
      duration: '10s',
      mode: 'request-response',
      route: 'svc.echo',
      payload: '32',
    });
  });
});
