import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { expect, it } from 'vitest';
import { renderSwarmConfig } from '../support/swarm-config.js';

// The Swarm engine's rendered haproxy.cfg (resolvers, server-templates, server-state file) is
// one the real HAProxy accepts.

it('haproxy -c accepts the Swarm engine config', async () => {
  const text = await renderSwarmConfig();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'linkswitch-swarm-cfg-'));
  try {
    const file = path.join(dir, 'haproxy.cfg');
    // Socket and state paths into the temp dir so the check does not depend on /srv.
    await writeFile(file, text.replaceAll('/srv/run/', `${dir}/`));
    // The maintenance map every HTTP backend names (the executor creates it before any check).
    await mkdir(path.join(dir, 'maps'));
    await writeFile(path.join(dir, 'maps', 'maintenance.map'), '');
    const check = await execa('haproxy', ['-c', '-f', file], { reject: false, all: true });
    expect(check.exitCode, check.all).toBe(0);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
