import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cruise, type ICruiseOptions, type IViolation } from 'dependency-cruiser';
import extractDepcruiseOptions from 'dependency-cruiser/config-utl/extract-depcruise-options';
import extractTSConfig from 'dependency-cruiser/config-utl/extract-ts-config';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CONFIG_FILE = join(ROOT, '.dependency-cruiser.cjs');
const RULE_NAMES: string[] = (createRequire(import.meta.url)(CONFIG_FILE) as { forbidden: { name: string }[] }).forbidden.map((rule) => rule.name);

/** `rule-name: from → to`, or the cycle's path for a cycle: what a broken build prints. */
function describeViolation(violation: IViolation): string {
  const path = violation.cycle?.length ? [violation.from, ...violation.cycle.map((step) => step.name)].join(' → ') : `${violation.from} → ${violation.to}`;
  return `${violation.rule.name}: ${path}`;
}

/** Runs dependency-cruiser with the repository's rules over `paths` of `baseDir`. */
async function checkImportRules(baseDir: string, paths: string[], extraOptions: ICruiseOptions = {}): Promise<string[]> {
  const options: ICruiseOptions = { ...(await extractDepcruiseOptions(CONFIG_FILE)), ...extraOptions, baseDir };
  const tsConfig = extractTSConfig(join(ROOT, 'tsconfig.json'));
  const result = await cruise(paths, options, {}, { tsConfig });
  if (typeof result.output === 'string') throw new Error('dependency-cruiser returned text instead of a result');
  return result.output.summary.violations.map(describeViolation);
}

describe('import rules', () => {
  it('hold for src/ and commands/', async () => {
    const violations = await checkImportRules(ROOT, ['src', 'commands']);
    expect(violations, `broken import rules (see .dependency-cruiser.cjs and docs/architecture.md):\n${violations.join('\n')}`).toEqual([]);
  });
});

/**
 * A small tree per rule that breaks it, and the line the check must report, so that each
 * rule is shown to fire: a rule that could never report anything would pass forever.
 */
const BROKEN_TREES: Record<string, { reported: string; files: Record<string, string> }> = {
  'no-folder-cycles': {
    reported: 'no-folder-cycles: src/load → src/ui → src/load',
    files: {
      'src/load/run-load.ts': "import { drawDashboard } from '../ui/dashboard.js';\nexport const runLoad = () => drawDashboard();\n",
      'src/ui/dashboard.ts': "import { runLoad } from '../load/run-load.js';\nexport const drawDashboard = () => typeof runLoad;\n",
    },
  },
  'protocol-imports-nothing': {
    reported: 'protocol-imports-nothing: src/protocol/frames.ts → src/broker/broker.ts',
    files: {
      'src/protocol/frames.ts': "import { BROKER_PORT } from '../broker/broker.js';\nexport const PORT = BROKER_PORT;\n",
      'src/broker/broker.ts': 'export const BROKER_PORT = 9999;\n',
    },
  },
  'protocol-no-io': {
    reported: 'protocol-no-io: src/protocol/frames.ts → fs',
    files: { 'src/protocol/frames.ts': "import { readFileSync } from 'node:fs';\nexport const read = readFileSync;\n" },
  },
  'transport-only-protocol': {
    reported: 'transport-only-protocol: src/transport/framed-connection.ts → src/cli/format.ts',
    files: {
      'src/transport/framed-connection.ts': "import { formatCount } from '../cli/format.js';\nexport const count = formatCount;\n",
      'src/cli/format.ts': 'export const formatCount = (value: number) => String(value);\n',
    },
  },
  'broker-is-an-engine': {
    reported: 'broker-is-an-engine: src/broker/config.ts → src/cli/parse.ts',
    files: {
      'src/broker/config.ts': "import { parseDuration } from '../cli/parse.js';\nexport const parse = parseDuration;\n",
      'src/cli/parse.ts': 'export const parseDuration = (text: string) => Number(text);\n',
    },
  },
  'clients-not-brokers': {
    reported: 'clients-not-brokers: src/sdk/brokers.ts → src/broker/broker.ts',
    files: {
      'src/sdk/brokers.ts': "import { BROKER_PORT } from '../broker/broker.js';\nexport const PORT = BROKER_PORT;\n",
      'src/broker/broker.ts': 'export const BROKER_PORT = 9999;\n',
    },
  },
  'ui-no-sockets': {
    reported: 'ui-no-sockets: src/ui/status.ts → net',
    files: { 'src/ui/status.ts': "import { connect } from 'node:net';\nexport const open = connect;\n" },
  },
  'ui-numbers-through-props': {
    reported: 'ui-numbers-through-props: src/ui/status.ts → src/status/read.ts',
    files: {
      'src/ui/status.ts': "import { readStatus } from '../status/read.js';\nexport const status = readStatus;\n",
      'src/status/read.ts': 'export const readStatus = () => 1;\n',
    },
  },
  'ink-only-in-ui': {
    reported: 'ink-only-in-ui: src/status/watch.ts → node_modules/ink/build/index.d.ts',
    files: { 'src/status/watch.ts': "import { render } from 'ink';\nexport const draw = render;\n" },
  },
  'only-process-spawns': {
    reported: 'only-process-spawns: src/load/topology.ts → child_process',
    files: { 'src/load/topology.ts': "import { spawn } from 'node:child_process';\nexport const start = spawn;\n" },
  },
  'commands-use-faces': {
    reported: 'commands-use-faces: commands/status.ts → src/status/read.ts',
    files: {
      'commands/status.ts': "import { readStatus } from '../src/status/read.js';\nexport const status = readStatus;\n",
      'src/status/read.ts': 'export const readStatus = () => 1;\n',
      'src/status/index.ts': "export { readStatus } from './read.js';\n",
    },
  },
  'src-not-commands': {
    reported: 'src-not-commands: src/status/read.ts → commands/status.ts',
    files: {
      'src/status/read.ts': "import { FLAGS } from '../../commands/status.js';\nexport const flags = FLAGS;\n",
      'commands/status.ts': 'export const FLAGS = {};\n',
    },
  },
  'no-dev-dependencies': {
    reported: 'no-dev-dependencies: src/load/profile.ts → node_modules/vitest/dist/index.d.ts',
    files: { 'src/load/profile.ts': "import { describe } from 'vitest';\nexport const suite = describe;\n" },
  },
  'no-unresolvable': {
    reported: 'no-unresolvable: src/load/profile.ts → ./missing.js',
    files: { 'src/load/profile.ts': "import { missing } from './missing.js';\nexport const value = missing;\n" },
  },
};

describe('each import rule', () => {
  let fixtures: string;

  beforeAll(() => {
    fixtures = mkdtempSync(join(tmpdir(), 'rsb-import-rules-'));
  });

  afterAll(() => rmSync(fixtures, { recursive: true, force: true }));

  it('has a tree below that breaks it', () => {
    expect(Object.keys(BROKEN_TREES).sort()).toEqual([...RULE_NAMES].sort());
  });

  it.each(Object.entries(BROKEN_TREES))('reports a tree that breaks %s by the rule name and the offending import', async (rule, { reported, files }) => {
    const baseDir = join(fixtures, rule);
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(baseDir, path)), { recursive: true });
      writeFileSync(join(baseDir, path), text);
    }
    mkdirSync(join(baseDir, 'commands'), { recursive: true });
    // Packages (ink, vitest) resolve in a tree as in the repository, against the same package.json.
    symlinkSync(join(ROOT, 'node_modules'), join(baseDir, 'node_modules'));
    symlinkSync(join(ROOT, 'package.json'), join(baseDir, 'package.json'));
    expect(await checkImportRules(baseDir, ['src', 'commands'], { preserveSymlinks: true })).toContain(reported);
  });
});
