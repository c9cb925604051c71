import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EXIT_CODE } from '../../src/cli/exit-codes.js';
import { RSB_BIN, runRsb, startBrokerProcess } from '../support/processes.js';

const ROOT = path.resolve(path.dirname(RSB_BIN), '..');
const manifest = JSON.parse(readFileSync(path.join(ROOT, 'oclif.manifest.json'), 'utf8')) as { commands: Record<string, unknown> };
const COMMANDS = Object.keys(manifest.commands).map((id) => id.replace(/:/g, ' '));

/** rsb's one error style: `rsb: one sentence`, then `  hint: what to try`, and nothing else. */
const ONE_SENTENCE_AND_A_HINT = /^rsb: [^\n]+\n {2}hint: [^\n]+\n$/;

/** Runs each CLI invocation, a few at a time: two cores do not start twenty Node processes at once within a timeout. */
async function runEach(argsList: string[][]): Promise<Awaited<ReturnType<typeof runRsb>>[]> {
  const results: Awaited<ReturnType<typeof runRsb>>[] = [];
  for (let start = 0; start < argsList.length; start += 4) results.push(...(await Promise.all(argsList.slice(start, start + 4).map((args) => runRsb(args)))));
  return results;
}

const work = mkdtempSync(path.join(tmpdir(), 'rsb-help-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Runs `command` in a pseudo-terminal (util-linux `script`), typing `keys` once `after` shows; resolves with the transcript, escape sequences removed. */
function runInTerminal(command: string, keys: string, after: RegExp, env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; transcript: string }> {
  const { CI: _ci, ...environment } = process.env;
  // `exec`: script runs the line with $SHELL, and a dash left waiting would itself die of the
  // Ctrl-C (exit 130) whatever the command does with it.
  const child = spawn('script', ['-qfec', `stty cols 150 rows 40; exec ${command}`, '/dev/null'], { env: { ...environment, ...env } });
  let transcript = '';
  let isTyped = false;
  child.stdout.setEncoding('utf8').on('data', (text: string) => {
    transcript += text;
    if (!isTyped && after.test(stripEscapes(transcript))) {
      isTyped = true;
      child.stdin.write(keys);
    }
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  return new Promise((resolve) =>
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, transcript: stripEscapes(transcript) });
    }),
  );
}

function stripEscapes(text: string): string {
  // Colours, cursor moves and mode switches: CSI sequences.
  return text.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '');
}

describe('help', { timeout: 180_000 }, () => {
  it('rsb help lists the commands and topics, and rsb help load shows load with its flags', async () => {
    const all = await runRsb(['help']);
    expect(all.code).toBe(EXIT_CODE.OK);
    for (const command of ['call', 'load', 'mock', 'status', 'autocomplete']) expect(all.stdout).toMatch(new RegExp(`^ {2}${command} +\\S`, 'm'));
    expect(all.stdout).toMatch(/^TOPICS\n {2}cluster +[\s\S]*?\n {2}context +/m);
    const load = await runRsb(['help', 'load']);
    expect(load.code).toBe(EXIT_CODE.OK);
    expect(load.stdout).toContain('$ rsb load');
    expect(load.stdout).toMatch(/-q, --qps=<value>\n +\[default: 1000\]/);
  });

  it('takes -h on every command', async () => {
    const runs = await runEach(COMMANDS.map((command) => [...command.split(' '), '-h']));
    for (const [index, { code, stdout, stderr }] of runs.entries()) {
      const command = COMMANDS[index]!;
      expect({ command, code, stderr }).toEqual({ command, code: EXIT_CODE.OK, stderr: '' });
      expect(stdout, command).toContain(`$ rsb ${command}`);
    }
  });

  it('completes commands and flags in bash with the autocomplete plugin', async () => {
    const env = { XDG_CACHE_HOME: path.join(work, 'cache'), XDG_DATA_HOME: path.join(work, 'data') };
    const refreshed = await runRsb(['autocomplete', '--refresh-cache'], { env });
    expect(refreshed.code, refreshed.stderr).toBe(EXIT_CODE.OK);
    const script = await runRsb(['autocomplete', 'script', 'bash'], { env });
    expect(script.stdout).toContain('RSB_AC_BASH_SETUP_PATH=');
    const complete = (words: string[]): Promise<string> =>
      new Promise((resolve) => {
        const bash = spawn('bash', ['-c', `${script.stdout}\nCOMP_WORDS=(${words.join(' ')}); COMP_CWORD=${words.length - 1}; _rsb_autocomplete; echo "\${COMPREPLY[*]}"`], { env: { ...process.env, ...env } });
        let out = '';
        bash.stdout.setEncoding('utf8').on('data', (text: string) => (out += text));
        bash.on('exit', () => resolve(out.trim()));
      });
    expect(await complete(['rsb', 'lo'])).toBe('load');
    expect(await complete(['rsb', 'load', '--du'])).toBe('--duration');
    expect(await complete(['rsb', 'context', 'u'])).toBe('use');
  });
});

describe('one error style', { timeout: 60_000 }, () => {
  it('names a mistyped command and the one it was probably meant to be, exit 2', async () => {
    const typo = await runRsb(['lod', '--qps', '10']);
    expect(typo).toEqual({ code: EXIT_CODE.USAGE, stdout: '', stderr: 'rsb: "lod" is not an rsb command\n  hint: Did you mean `rsb load`? `rsb help` lists every command.\n' });
    const subcommand = await runRsb(['cluster', 'stauts']);
    expect(subcommand.stderr).toContain('Did you mean `rsb cluster status`?');
    const nothingClose = await runRsb(['frobnicate']);
    expect(nothingClose.stderr).toBe('rsb: "frobnicate" is not an rsb command\n  hint: `rsb help` lists every command.\n');
    const help = await runRsb(['help', 'nosuch']);
    expect(help).toEqual({ code: EXIT_CODE.USAGE, stdout: '', stderr: 'rsb: "nosuch" is not an rsb command\n  hint: `rsb help` lists every command.\n' });
  });

  it('writes oclif\'s parse errors as one sentence and a hint, exit 2, with no usage dump and no note', async () => {
    const cases: [string[], string][] = [
      [['call'], 'rsb: rsb call needs ROUTE: SERVICE.METHOD (or group!SERVICE.METHOD:version)\n  hint: For example: rsb call svc.echo -d hello\n'],
      [['call', 'svc.echo', 'extra'], 'rsb: unexpected argument "extra"\n  hint: rsb call takes ROUTE only; quote a value that has spaces in it.\n'],
      [['load', '--duraton', '5s'], 'rsb: rsb load has no flag --duraton\n  hint: Did you mean --duration? `rsb load -h` lists its flags.\n'],
      [['load', '--qps', 'lots'], 'rsb: --qps "lots" is not a whole number\n  hint: `rsb load -h` shows what --qps takes.\n'],
      [['load', '--qps', '0'], 'rsb: --qps must be at least 1, not 0\n  hint: `rsb load -h` shows what --qps takes.\n'],
      [['start', '--lb', 'round-robbin'], 'rsb: --lb "round-robbin" is not one of round-robin, weighted-random, least-outstanding\n  hint: Did you mean round-robin?\n'],
      [['call', 'svc.echo', '--mode', 'request-strem'], 'rsb: --mode "request-strem" is not one of request-response, fire-and-forget, request-stream, request-channel\n  hint: Did you mean request-stream?\n'],
      [['call', 'svc.echo', '--broker', '127.0.0.1:9999', '--cluster', 'ci'], 'rsb: give --cluster or --broker, not both\n  hint: `rsb call -h` shows its flags and examples.\n'],
      [['load', '--method', 'GET'], 'rsb: --method needs --http\n  hint: `rsb load -h` shows its flags and examples.\n'],
      [['proxy'], 'rsb: rsb proxy needs --service and --target\n  hint: For example: rsb proxy --service users --target http://127.0.0.1:8081\n'],
      [['status', '--interval'], 'rsb: --interval needs a value\n  hint: `rsb status -h` shows its flags and examples.\n'],
      [['load', '-d', '5s'], 'rsb: rsb load has no flag -d\n  hint: Write --duration: -d is --data, as in rsb call.\n'],
      [['status', '--broker', '127.0.0.1:9998'], 'rsb: rsb status has no flag --broker\n  hint: rsb status reads the admin API: give --admin HOST:PORT (the --admin-port of rsb start), or --cluster NAME.\n'],
    ];
    const runs = await runEach(cases.map(([args]) => args));
    for (const [index, [args, stderr]] of cases.entries()) {
      const run = runs[index]!;
      expect({ args, code: run.code, stdout: run.stdout, stderr: run.stderr }).toEqual({ args, code: EXIT_CODE.USAGE, stdout: '', stderr });
      expect(run.stderr).toMatch(ONE_SENTENCE_AND_A_HINT);
    }
  });

  it('keeps the style under --json, where oclif printed a JSON error before', async () => {
    const { code, stdout, stderr } = await runRsb(['call', '--json']);
    expect({ code, stdout }).toEqual({ code: EXIT_CODE.USAGE, stdout: '' });
    expect(stderr).toMatch(ONE_SENTENCE_AND_A_HINT);
  });

  it('names a misspelt scenario key as unknown, with the key it was meant to be', async () => {
    const file = path.join(work, 'typo.yaml');
    writeFileSync(file, 'name: typo\nprofile:\n  type: constant\n  rate: 100\n  duraton: 10s\n');
    const { code, stderr } = await runRsb(['load', '--scenario', file]);
    expect({ code, stderr }).toEqual({
      code: EXIT_CODE.USAGE,
      stderr: `rsb: scenario ${file} is invalid: profile: unknown field "duraton"\n  hint: Did you mean "duration"? See bench-scenarios/ for examples of every field.\n`,
    });
  });
});

describe('in a terminal', { timeout: 60_000 }, () => {
  const env = { RSB_CONFIG_DIR: path.join(work, 'terminal-config') };

  it('asks "Did you mean" for a mistyped command and runs it on yes', async () => {
    const { code, transcript } = await runInTerminal(`node ${RSB_BIN} contxt ls`, 'y\r', /Did you mean context ls\?/, env);
    expect(code).toBe(EXIT_CODE.OK);
    expect(transcript).toContain(`no contexts in ${path.join(env.RSB_CONFIG_DIR, 'contexts.yaml')}`);
  });

  it('answers no with the one error style, exit 2', async () => {
    const { code, transcript } = await runInTerminal(`node ${RSB_BIN} contxt ls`, 'n\r', /Did you mean context ls\?/, env);
    expect(code).toBe(EXIT_CODE.USAGE);
    expect(transcript).toContain('rsb: "contxt ls" is not an rsb command\r\n  hint: Did you mean `rsb context ls`?');
  });

  it('ends the live view on a line of its own after Ctrl-C, so that the next line does not run into ^C', async () => {
    const { broker, port } = await startBrokerProcess();
    try {
      const { code, transcript } = await runInTerminal(`node ${RSB_BIN} mock svc --broker 127.0.0.1:${port}`, '\u0003', /● mock svc +1 instance on /);
      expect(code).toBe(EXIT_CODE.OK);
      expect(transcript).toMatch(/\^C\r?\n(\r?\n)*rsb mock svc stopping on SIGINT\r?\n/);
      expect(transcript).not.toMatch(/\^C[^\n]*rsb mock/);
    } finally {
      await broker.stop();
    }
  });
});
