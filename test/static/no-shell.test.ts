import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// "No shell anywhere": the controller runs programs only through execa with argument arrays.
// A static check over src/ keeps it that way: no child_process, no `shell` option, no execa
// template-string or command-string APIs that go through a shell-like parser.

const SRC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'src');

async function sources(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const nested = await Promise.all(
    entries.map((e) =>
      e.isDirectory()
        ? sources(path.join(dir, e.name))
        : Promise.resolve(e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [path.join(dir, e.name)] : []),
    ),
  );
  return nested.flat();
}

describe('no shell in the controller', () => {
  it('never imports child_process or passes a shell option, and calls execa with argument arrays', async () => {
    const files = await sources(SRC);
    expect(files.length).toBeGreaterThan(20);
    for (const file of files) {
      const text = await readFile(file, 'utf8');
      const where = path.relative(SRC, file);
      expect(text, where).not.toMatch(/from ['"](node:)?child_process['"]/);
      expect(text, where).not.toMatch(/\bshell\s*:/);
      expect(text, where).not.toMatch(/\bexecaCommand(Sync)?\b|\$`|execa`/);
      for (const call of text.matchAll(/\bexeca\(([^,]+),\s*([^,)]+)/g)) {
        expect(
          call[2]!.trim().startsWith('['),
          `${where}: execa(${call[1]}, ${call[2]}) must take an argument array`,
        ).toBe(true);
      }
    }
  });
});
