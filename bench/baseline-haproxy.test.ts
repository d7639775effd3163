import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { renderBaselineConfig } from './baseline-haproxy.js';

// The bench's baselines render through linkswitch's renderer: this fails (in the unit tier)
// the moment a template change would break `npm run bench`.

const TEMPLATES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'templates');

describe('bench baseline HAProxy config', () => {
  it('is the linkswitch template with every server at weight 100, with the map files it names', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'bench-x-'));
    const text = await renderBaselineConfig({
      dir,
      bindPort: 18080,
      servers: [
        { colour: 'blue', port: 32001 },
        { colour: 'green', port: 32002 },
      ],
      check: { inter: '200ms', rise: 1, fall: 2 },
      retries: 3,
      templateDir: TEMPLATES,
    });
    expect(text).toContain('    bind 127.0.0.1:18080\n');
    expect(text).toContain('    server blue 127.0.0.1:32001 weight 100\n');
    expect(text).toContain('    server green 127.0.0.1:32002 weight 100\n');
    expect(text).toContain('    default-server check inter 200ms rise 1 fall 2\n');
    expect(text).toContain('    retries 3\n');
    expect(text).toContain(`stats socket ${dir}/admin.sock`);
    expect(text).not.toContain('{{');
    // `haproxy -c` fails on a map file that does not exist (maintenance mode's).
    expect(existsSync(path.join(dir, 'maps', 'maintenance.map'))).toBe(true);
    await rm(dir, { recursive: true, force: true });
  });
});
