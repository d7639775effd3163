import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { precompiledModule } from '../../scripts/precompile-templates.mjs';
import { FILE, MULTI } from '../../test/support/config-fixtures.js';
import { observedContainer } from '../../test/support/fakes.js';
import { parseConfig } from '../config/load.js';
import { buildBackendContext, buildHaproxyContext, type HaproxyContext } from '../core/haproxy-context.js';
import { settingsFor } from '../core/settings.js';
import { compileTemplates, helpers } from './renderer.js';
import { fromShipped, type ShippedTemplates } from './shipped-templates.js';

// The build's precompiled templates must be the same program as compiling the texts: the same
// output for every context, and never used for texts that differ from the shipped ones.

const SHIPPED = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'templates');

async function readTexts(dir: string): Promise<{ source: string; partials: Record<string, string> }> {
  const source = await readFile(path.join(dir, 'haproxy.cfg.hbs'), 'utf8');
  const partials: Record<string, string> = {};
  for (const file of (await readdir(path.join(dir, 'partials'))).sort())
    partials[file.slice(0, -'.hbs'.length)] = await readFile(path.join(dir, 'partials', file), 'utf8');
  return { source, partials };
}

function contexts(): Array<[string, HaproxyContext]> {
  const both = {
    blue: observedContainer('blue', { address: { host: '127.0.0.1', port: 32001 } }),
    green: observedContainer('green', { address: { host: '127.0.0.1', port: 32002 } }),
  };
  const single = (extra: string) =>
    parseConfig(
      `service:\n  name: web\n  image: app:1\n  port: 8080\n${extra}haproxy:\n  bind: 127.0.0.1:18080\n`,
      FILE,
    );
  const multi = parseConfig(MULTI, FILE);
  const view = (name: string) => settingsFor(multi, name)!;
  const certificate = { file: '/srv/app/certs/site.pem', sha256: 'a'.repeat(64), validTo: '2030-01-01T00:00:00.000Z' };
  const others = ['api', 'admin'].map((n) => buildBackendContext(view(n), 'green', both));
  return [
    ['one http service, blue linked', buildHaproxyContext(single(''), 'blue', both)],
    ['one http service, green linked', buildHaproxyContext(single(''), 'green', both)],
    [
      'preview route',
      buildHaproxyContext(single('  preview: { header: X-Preview, token: preview-0123456789abcdef }\n'), 'blue', both),
    ],
    [
      'several services, HTTPS, routes',
      buildHaproxyContext(view('app'), 'blue', both, undefined, others, [certificate]),
    ],
  ];
}

describe('the precompiled shipped templates', () => {
  let dir: string;
  let shipped: ShippedTemplates;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'linkswitch-shipped-'));
    const file = path.join(dir, 'shipped-templates.mjs');
    await writeFile(file, await precompiledModule(SHIPPED));
    shipped = (await import(pathToFileURL(file).href)) as ShippedTemplates;
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('render exactly what compiling the template texts renders', async () => {
    const { source, partials } = await readTexts(SHIPPED);
    const precompiled = await fromShipped(source, partials, shipped, helpers());
    expect(precompiled).not.toBeNull();
    const compiled = await compileTemplates(source, partials);
    for (const [what, context] of contexts()) {
      const text = precompiled!(context);
      expect(text, what).toBe(compiled(context));
      expect(text.length, what).toBeGreaterThan(1000);
    }
  });

  it('are not used for edited texts, nor with another Handlebars version', async () => {
    const { source, partials } = await readTexts(SHIPPED);
    expect(await fromShipped(`${source}\n`, partials, shipped, helpers())).toBeNull();
    const edited = { ...partials, global: `${partials.global}    # edited\n` };
    expect(await fromShipped(source, edited, shipped, helpers())).toBeNull();
    expect(await fromShipped(source, partials, { ...shipped, version: '0.0.1' }, helpers())).toBeNull();
    expect(await fromShipped(source, partials, null, helpers())).toBeNull();
  });

  it('still refuse an unsafe value: the helpers validate what they print', async () => {
    const { source, partials } = await readTexts(SHIPPED);
    const precompiled = await fromShipped(source, partials, shipped, helpers());
    const [, context] = contexts()[0]!;
    const bad = { ...context, backends: context.backends.map((b) => ({ ...b, backend: 'be_web\n    bind :1' })) };
    expect(() => precompiled!(bad)).toThrow(/invalid/);
  });
});
