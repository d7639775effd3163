import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { zodToJsonSchema } from 'zod-to-json-schema';
import { RENAMED_KEYS } from '../src/config/deprecated-keys.js';
import { configSchema } from '../src/config/schema.js';

// The config's JSON Schema, generated from the zod schema that validates it, so editors
// (yaml-language-server: VS Code, Neovim, JetBrains) complete and check keys with exactly the
// rules linkswitch applies. `npm run generate` writes it; a test fails when the committed file and
// the schema differ. It describes what a file may say (the input), not what it is read into.

export const SCHEMA_FILE = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  'schema',
  'linkswitch.schema.json',
);

export function configJsonSchema(): Record<string, unknown> {
  const generated = zodToJsonSchema(configSchema, { effectStrategy: 'input', $refStrategy: 'none' }) as Record<
    string,
    unknown
  >;
  markDeprecated(generated);
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'linkswitch config (linkswitch.yml)',
    description:
      'Generated from src/config/schema.ts by `npm run generate`; the keys are explained in docs/configuration.md.',
    ...Object.fromEntries(Object.entries(generated).filter(([key]) => key !== '$schema')),
  };
}

/** The old container keys, where a service entry has them: struck through, with the new name, in editors. */
function markDeprecated(node: unknown): void {
  if (typeof node !== 'object' || node === null) return;
  const properties = (node as { properties?: Record<string, Record<string, unknown>> }).properties;
  if (properties?.environment)
    for (const key of RENAMED_KEYS) {
      const property = properties[key.old];
      if (!property) continue;
      property.deprecated = true;
      // yaml-language-server's own keyword for the hint it shows.
      property.deprecationMessage = `${key.old} is deprecated: use ${key.current} (linkswitch config migrate)`;
    }
  for (const value of Object.values(node)) markDeprecated(value);
}

export function configJsonSchemaText(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await writeFile(SCHEMA_FILE, configJsonSchemaText());
  console.log(`wrote ${path.relative(process.cwd(), SCHEMA_FILE)}`);
}
