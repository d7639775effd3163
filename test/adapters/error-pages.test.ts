import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { buildHaproxyContext } from '../../src/core/haproxy-context.js';
import { renderHaproxyConfig } from '../../src/render/renderer.js';
import { observedContainer } from '../support/fakes.js';
import { writeMapFiles } from '../support/map-files.js';

// The error pages shipped in haproxy/errors/ are whole HTTP responses HAProxy accepts
// (`errorfile`), for every service (defaults) or one service (its backend).

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

describe('error pages', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'linkswitch-errors-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('renders errorfile lines that haproxy -c accepts with the shipped pages', async () => {
    const errors = path.join(ROOT, 'haproxy', 'errors');
    const yaml = `
services:
  web:
    image: app:1
    port: 8080
    default: true
    errorFiles: { 503: ${errors}/503.http }
haproxy:
  bind: 127.0.0.1:18080
  templateDir: ${path.join(ROOT, 'templates')}
  configFile: ${dir}/haproxy.cfg
  adminSocket: ${dir}/admin.sock
  errorFiles: { 502: ${errors}/502.http, 504: ${errors}/504.http }
  stats: {}
`;
    const config = parseConfig(yaml, path.join(dir, 'linkswitch.yml'));
    const observed = { blue: observedContainer('blue', { address: { host: '127.0.0.1', port: 9 } }), green: null };
    const context = buildHaproxyContext(config, 'blue', observed);
    await writeMapFiles(context.maps);
    const text = await renderHaproxyConfig(config.haproxy.templateDir, context);
    expect(text).toContain(`    errorfile 502 ${errors}/502.http\n    errorfile 504 ${errors}/504.http\n`);
    expect(text).toMatch(new RegExp(`backend be_web\\n(.*\\n)*? {4}errorfile 503 ${errors}/503\\.http\\n`));
    // `stats: {}` listens on 127.0.0.1:8404 by default.
    expect(text).toContain('frontend fe_stats\n    bind 127.0.0.1:8404\n');
    const cfg = path.join(dir, 'haproxy.cfg');
    await writeFile(cfg, text);
    const check = await execa('haproxy', ['-c', '-f', cfg], { reject: false, all: true });
    expect(check.exitCode, check.all).toBe(0);
  });
});
