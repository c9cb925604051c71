#!/usr/bin/env node
import { flush, run } from '@oclif/core';

try {
  await run(process.argv.slice(2), import.meta.url);
  await flush();
} catch (error) {
  // Errors outside a command (a mistyped command, `rsb help` of one that does not exist):
  // printed like every rsb error (src/cli/error-output.ts).
  const { reportUncaughtError } = await import('../dist/src/cli/error-output.js');
  await reportUncaughtError(error);
}
