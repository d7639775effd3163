import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The folders of src/ form layers, and imports only go down them (docs/architecture.md):
// the core knows nothing of the edge, adapters know only the core, the composition root (app)
// knows the adapters, and the two entry points (cli, sidecar) sit on top. Checked over the
// source, so a new import that makes a cycle fails here, not in review.

const SRC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'src');

/** Which folders each folder may import from (besides itself). */
const ALLOWED: Record<string, string[]> = {
  core: [],
  config: ['core'],
  render: ['core'],
  adapters: ['core'],
  app: ['core', 'config', 'render', 'adapters'],
  sidecar: ['core', 'config', 'adapters', 'app'],
  'docker-proxy': ['core', 'config', 'adapters', 'app'],
  cli: ['core', 'config', 'adapters', 'app', 'sidecar', 'docker-proxy'],
};

async function sources(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const nested = await Promise.all(
    entries.map((e) => {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) return sources(full);
      return Promise.resolve(e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [full] : []);
    }),
  );
  return nested.flat();
}

describe('src/ layers', () => {
  it('every import goes to the same folder or one the table allows (so there is no cycle between folders)', async () => {
    const violations: string[] = [];
    for (const file of await sources(SRC)) {
      const from = path.relative(SRC, file).split(path.sep)[0] ?? '';
      expect(Object.keys(ALLOWED), `${from}/ is not in the layer table`).toContain(from);
      const text = await readFile(file, 'utf8');
      for (const match of text.matchAll(/from '(\.{1,2}\/[^']+)'/g)) {
        const target = path.relative(SRC, path.resolve(path.dirname(file), match[1] ?? ''));
        const to = target.split(path.sep)[0] ?? '';
        if (to !== from && !ALLOWED[from]?.includes(to))
          violations.push(`${path.relative(SRC, file)} imports ${target}`);
      }
    }
    expect(violations).toEqual([]);
  });

  it("only the engine chooser reads the config's engine settings", async () => {
    const readers: string[] = [];
    for (const file of await sources(SRC)) {
      const text = await readFile(file, 'utf8');
      if (/\b(settings|config)\??\.engine\b/.test(text)) readers.push(path.relative(SRC, file));
    }
    expect(readers).toEqual(['app/engine.ts']);
  });
});
