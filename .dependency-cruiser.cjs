/**
 * rsb's import rules (docs/architecture.md, "Import rules"), checked by dependency-cruiser
 * in `npm test` (test/architecture/import-rules.test.ts) and by `npx depcruise src commands`.
 * Each rule's name is what a broken build reports; its comment says why the rule exists.
 */

/** Every Node built-in module that does network I/O. */
const SOCKET_MODULES = '^(node:)?(net|tls|dgram|http|https|http2)$';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-folder-cycles',
      comment: 'The folders of src/ form layers: a folder that imports another may not be imported back by it, directly or through others.',
      severity: 'error',
      scope: 'folder',
      from: { path: '^src/[^/]+' },
      to: { circular: true },
    },
    {
      name: 'protocol-imports-nothing',
      comment: 'src/protocol is the pure RSocket codec: it imports nothing from the rest of src/.',
      severity: 'error',
      from: { path: '^src/protocol/' },
      to: { path: '^src/', pathNot: '^src/protocol/' },
    },
    {
      name: 'protocol-no-io',
      comment: 'src/protocol turns bytes into frames and back; sockets, files and processes belong to the layers above.',
      severity: 'error',
      from: { path: '^src/protocol/' },
      to: { dependencyTypes: ['core'], path: '^(node:)?(net|tls|dgram|http|https|http2|fs|fs/promises|child_process|worker_threads)$' },
    },
    {
      name: 'transport-only-protocol',
      comment: 'src/transport (framed TCP, the lean requester and responder) builds on src/protocol and the error classes alone.',
      severity: 'error',
      from: { path: '^src/transport/' },
      to: { path: '^src/', pathNot: '^src/(transport/|protocol/|errors\\.ts$)' },
    },
    {
      name: 'broker-is-an-engine',
      comment: 'The broker engine knows nothing of the CLI, the terminal UI, load, clusters or clients; `rsb start` glue lives in src/start.',
      severity: 'error',
      from: { path: '^src/broker/' },
      to: { path: '^src/(cli|ui|load|cluster|sdk|client|start)/' },
    },
    {
      name: 'clients-not-brokers',
      comment: 'The SDK and the client pool reach brokers over the wire only; they never pull in the broker, the cluster tooling or load.',
      severity: 'error',
      from: { path: '^src/(sdk|client)/' },
      to: { path: '^src/(broker|cluster|load)/' },
    },
    {
      name: 'ui-no-sockets',
      comment: 'Ink components draw numbers they are given: no transport, broker or client, and no network module.',
      severity: 'error',
      from: { path: '^src/ui/' },
      to: {
        path: [`^src/(transport|broker|client|sdk)/`, SOCKET_MODULES],
      },
    },
    {
      name: 'ui-numbers-through-props',
      comment: 'src/ui gets its numbers through props; of the rest of src/ it uses only the shared text formatting.',
      severity: 'error',
      from: { path: '^src/ui/' },
      to: { path: '^src/', pathNot: '^src/(ui/|cli/format\\.ts$)' },
    },
    {
      name: 'ink-only-in-ui',
      comment: 'One live-view mechanism (src/ui/live-view.ts) draws with Ink; everything else goes through it.',
      severity: 'error',
      from: { path: '^(src|commands)/', pathNot: '^src/ui/' },
      to: { path: '(^|/)node_modules/(ink|react)/' },
    },
    {
      name: 'only-process-spawns',
      comment: 'src/process is the one launcher: structured readiness and one stop sequence for every child process rsb starts.',
      severity: 'error',
      from: { path: '^(src|commands)/', pathNot: '^src/process/' },
      to: { path: '^(node:)?child_process$' },
    },
    {
      name: 'commands-use-faces',
      comment: 'A command imports an area of src/ through its index.ts, its public face (and the shared error classes).',
      severity: 'error',
      from: { path: '^commands/' },
      to: { path: '^src/', pathNot: '^src/([^/]+/index\\.ts|errors\\.ts)$' },
    },
    {
      name: 'src-not-commands',
      comment: 'commands/ sits on top: nothing in src/ imports a command.',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^commands/' },
    },
    {
      name: 'no-dev-dependencies',
      comment: 'What ships (src/, commands/) must not need a devDependency (vitest, fast-check, ink-testing-library...).',
      severity: 'error',
      from: { path: '^(src|commands)/' },
      to: { dependencyTypes: ['npm-dev'] },
    },
    {
      name: 'no-unresolvable',
      comment: 'Every import resolves to a file or an installed package.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // Type-only imports count too: a type from another layer is a dependency on it.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.tsx', '.js', '.d.ts'],
    },
    exclude: { path: '^dist/' },
  },
};
