import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EXIT_CODE } from '../../src/cli/exit-codes.js';
import { RSB_ERROR_CODE } from '../../src/errors.js';
import { PROTOCOL_ERROR_CODE } from '../../src/protocol/index.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

describe('README', () => {
  it('documents every error code rsb raises', () => {
    for (const code of [...Object.values(RSB_ERROR_CODE), ...Object.values(PROTOCOL_ERROR_CODE)]) {
      expect(readme, `README lacks ${code}`).toContain(`\`${code}\``);
    }
  });

  it('documents every exit code', () => {
    for (const code of Object.values(EXIT_CODE)) {
      expect(readme, `README lacks exit code ${code}`).toMatch(new RegExp(`^\\| ${code} \\|`, 'm'));
    }
  });

  it('shows the set-up and test commands', () => {
    expect(readme).toContain('npm ci && npx rsb');
    expect(readme).toContain('npm test');
  });
});
