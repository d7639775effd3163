import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { CLI_REFERENCE_FILE, cliReferenceText } from '../../scripts/cli-reference.js';

// docs/cli-reference.md is generated from the commander definitions the CLI parses with: a new
// flag or a changed description must reach the page in the same commit.
describe('docs/cli-reference.md', () => {
  it('is what `npm run generate` makes of the CLI now', async () => {
    const committed = await readFile(CLI_REFERENCE_FILE, 'utf8');
    expect(committed, 'run `npm run generate` and commit the result').toBe(cliReferenceText());
    for (const verb of ['up', 'deploy', 'rollback', 'status', 'serve', 'config migrate'])
      expect(committed).toContain(`## linkswitch ${verb}\n`);
  });
});
