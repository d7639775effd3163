import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { configJsonSchemaText, SCHEMA_FILE } from '../../scripts/config-schema.js';
import { ROOT } from '../../scripts/local-images.js';

// The JSON Schema editors use (schema/linkswitch.schema.json) is generated from the zod schema
// and must not drift from it; every config the project ships must pass it, as linkswitch's own
// loader passes it, and a mistyped key must not.

const SHIPPED_CONFIGS = [
  'linkswitch.example.yml',
  'examples/multi-service.yml',
  'compose/linkswitch.yml',
  'compose/multi/linkswitch.yml',
  'compose/acme/linkswitch.yml',
  'compose/swarm/linkswitch.yml',
];

async function validator() {
  const schema = JSON.parse(await readFile(SCHEMA_FILE, 'utf8'));
  // strict: false: the schema carries yaml-language-server's deprecationMessage keyword.
  return new Ajv({ allErrors: true, strict: false }).compile(schema);
}

describe('the config JSON Schema', () => {
  it('is what `npm run generate` generates from the zod schema now', async () => {
    expect(await readFile(SCHEMA_FILE, 'utf8'), 'run `npm run generate` and commit the result').toBe(
      configJsonSchemaText(),
    );
  });

  it.each(SHIPPED_CONFIGS)('accepts %s, which names it for editors', async (file) => {
    const text = await readFile(path.join(ROOT, file), 'utf8');
    expect(text.split('\n')[0]).toMatch(/^# yaml-language-server: \$schema=\S*schema\/linkswitch\.schema\.json$/);
    const validate = await validator();
    expect(validate(parse(text)), JSON.stringify(validate.errors)).toBe(true);
  });

  it('refuses a mistyped key and a wrong type', async () => {
    const validate = await validator();
    const base = { service: { name: 'web', image: 'a:1', port: 80 } };
    expect(validate(base)).toBe(true);
    expect(validate({ service: { ...base.service, enviroment: { A: 'b' } } })).toBe(false);
    expect(validate({ service: { ...base.service, port: 'eighty' } })).toBe(false);
  });
});
