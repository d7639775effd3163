import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { CONFIG_REFERENCE_FILE, configReferenceText, descriptionGaps } from '../../scripts/config-reference.js';

// docs/config-reference.md is generated from the schema linkswitch validates with and from the
// one-line descriptions in docs/config-keys.yml: a new key without a line, a line for a key that
// is gone, or a page not regenerated fails here.
describe('docs/config-reference.md', () => {
  it('describes every key of the schema, and only those', () => {
    const { undescribed, unknown } = descriptionGaps();
    expect(undescribed, 'add a line for each to docs/config-keys.yml').toEqual([]);
    expect(unknown, 'remove these from docs/config-keys.yml (the schema has no such key)').toEqual([]);
  });

  it('is what `npm run generate` makes of them now', async () => {
    expect(await readFile(CONFIG_REFERENCE_FILE, 'utf8'), 'run `npm run generate` and commit the result').toBe(
      configReferenceText(),
    );
  });
});
