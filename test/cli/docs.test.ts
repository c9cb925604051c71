import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BROKER_CONFIG_SCHEMA } from '../../src/start/index.js';
import { EXIT_CODE } from '../../src/cli/exit-codes.js';
import { RSB_ERROR_CODE } from '../../src/errors.js';
import { PROTOCOL_ERROR_CODE } from '../../src/protocol/index.js';
import { useInProcessBrokers } from '../support/in-process.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const read = (path: string): string => readFileSync(join(ROOT, path), 'utf8');
const DOC_FILES = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((name) => name.endsWith('.md')).map((name) => `docs/${name}`)];

/** The words inside a Markdown text's code spans and code blocks: where keys and names are written. */
function codeWords(markdown: string): Set<string> {
  const code = [...markdown.matchAll(/`([^`\n]+)`/g)].map((match) => match[1]).join(' ');
  return new Set(code.split(/[^A-Za-z0-9_]+/).filter(Boolean));
}

/** Level-2 sections of a Markdown text, by heading. */
function sections(markdown: string): { heading: string; text: string }[] {
  return markdown.split(/^## /m).slice(1).map((part) => ({ heading: part.slice(0, part.indexOf('\n')), text: part }));
}

/** The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to hyphens. */
function slugOf(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');
}

function anchorsOf(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const [, heading] of markdown.replace(/^```[\s\S]*?^```/gm, '').matchAll(/^#{1,6} (.+)$/gm)) {
    const slug = slugOf(heading!);
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

describe('docs/errors.md', () => {
  const errors = read('docs/errors.md');

  it('documents every error code rsb raises', () => {
    for (const code of [...Object.values(RSB_ERROR_CODE), ...Object.values(PROTOCOL_ERROR_CODE)]) {
      expect(errors, `docs/errors.md lacks ${code}`).toContain(`\`${code}\``);
    }
  });

  it('documents every exit code', () => {
    for (const code of Object.values(EXIT_CODE)) {
      expect(errors, `docs/errors.md lacks exit code ${code}`).toMatch(new RegExp(`^\\| ${code} \\|`, 'm'));
    }
  });
});

describe('docs/commands.md', () => {
  it('documents every flag of every command, in the section of its command', () => {
    const manifest = JSON.parse(read('oclif.manifest.json')) as { commands: Record<string, { flags: Record<string, unknown> }> };
    const commandSections = sections(read('docs/commands.md'));
    for (const [id, command] of Object.entries(manifest.commands)) {
      const topic = `rsb ${id.split(':')[0]}`;
      const section = commandSections.find((candidate) => candidate.heading.includes(topic));
      expect(section, `docs/commands.md has no section for ${topic}`).toBeDefined();
      for (const flag of Object.keys(command.flags)) {
        if (flag === 'json' || flag === 'debug') continue;
        expect(section!.text, `docs/commands.md lacks --${flag} of rsb ${id.replace(/:/g, ' ')}`).toContain(`\`--${flag}\``);
      }
    }
  });

  it('gives each flag the default that --help shows', () => {
    const manifest = JSON.parse(read('oclif.manifest.json')) as { commands: Record<string, { flags: Record<string, { default?: unknown }> }> };
    const text = read('docs/commands.md');
    for (const [id, command] of Object.entries(manifest.commands)) {
      for (const [flag, { default: shown }] of Object.entries(command.flags)) {
        if (shown === undefined || shown === '' || shown === false) continue;
        // A flag's rows in the tables: `| \`--flag\`... | default | meaning |`.
        const rows = [...text.matchAll(new RegExp(`^\\| \`--${flag}\`[^|]*\\| ([^|]*) \\|`, 'gm'))].map((match) => match[1]!.replace(/`/g, '').trim());
        expect(rows, `docs/commands.md gives --${flag} of rsb ${id.replace(/:/g, ' ')} no default ${String(shown)}`).toContain(String(shown));
      }
    }
  });
});

describe('docs/config.md', () => {
  it('documents every key of the broker config file', () => {
    const keys = new Set<string>();
    // Walks zod's schema definitions: objects give keys, wrappers and unions lead to more objects.
    const walk = (schema: { _zod: { def: Record<string, unknown> } }): void => {
      const def = schema._zod.def as { type: string; shape?: Record<string, never>; innerType?: never; options?: never[]; valueType?: never; in?: never; out?: never; element?: never };
      if (def.type === 'object') {
        for (const [key, value] of Object.entries(def.shape!)) {
          keys.add(key);
          walk(value);
        }
      }
      for (const inner of [def.innerType, def.valueType, def.in, def.out, def.element, ...(def.options ?? [])]) if (inner) walk(inner);
    };
    walk(BROKER_CONFIG_SCHEMA as never);
    expect(keys.size).toBeGreaterThan(20);
    const documented = codeWords(read('docs/config.md'));
    for (const key of keys) expect(documented.has(key), `docs/config.md lacks the key ${key}`).toBe(true);
  });
});

describe('docs/metrics.md', () => {
  const { startBroker, startAdmin } = useInProcessBrokers();

  it('documents every metric a broker serves on /metrics', async () => {
    const admin = await startAdmin(await startBroker());
    const text = await (await fetch(`${admin.url}/metrics`)).text();
    const names = [...text.matchAll(/^# TYPE (\S+) /gm)].map((match) => match[1]!);
    expect(names.length).toBeGreaterThan(10);
    const documented = codeWords(read('docs/metrics.md'));
    for (const name of names) expect(documented.has(name), `docs/metrics.md lacks ${name}`).toBe(true);
  });
});

describe('README', () => {
  const readme = read('README.md');

  it('shows the set-up and test commands', () => {
    expect(readme).toContain('npm ci && npx rsb');
    expect(readme).toContain('npm test');
  });

  it('stays a front door: under 30,000 bytes, the rest in docs/', () => {
    expect(Buffer.byteLength(readme)).toBeLessThan(30_000);
    for (const file of DOC_FILES.filter((path) => path.startsWith('docs/'))) expect(readme, `README does not link ${file}`).toContain(`](${file})`);
  });
});

describe('the documentation', () => {
  it('links only to files and headings that exist', () => {
    for (const file of DOC_FILES) {
      const text = read(file).replace(/^```[\s\S]*?^```/gm, '');
      for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/.test(target!)) continue;
        const [path, anchor] = target!.split('#');
        const resolved = path ? join(dirname(join(ROOT, file)), path) : join(ROOT, file);
        const where = `${file} → ${target}`;
        expect(existsSync(resolved), `${where}: no such file`).toBe(true);
        if (anchor) expect(anchorsOf(readFileSync(resolved, 'utf8')).has(anchor), `${where}: no such heading in ${relative(ROOT, resolved)}`).toBe(true);
      }
    }
  });

  it('stands alone: nothing points to design notes outside the repository', () => {
    const outside = ['DESIGN', '.md'].join('');
    const files = [...DOC_FILES, ...['src', 'commands', 'test'].flatMap((dir) => listFiles(join(ROOT, dir)).map((path) => relative(ROOT, path)))];
    for (const file of files) {
      const text = read(file);
      expect(text.includes(outside), `${file} cites ${outside}`).toBe(false);
      expect(/\bshared\/(wire|STYLE|DESIGN)/.test(text), `${file} points to shared/`).toBe(false);
    }
  });
});

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => (entry.isDirectory() ? listFiles(join(dir, entry.name)) : [join(dir, entry.name)]));
}
