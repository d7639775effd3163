import path from 'node:path';

// Where the config file is, kept apart from the loader so the CLI can name it in `--help`
// without loading the YAML parser and the schema.

export const CONFIG_ENV = 'LINKSWITCH_CONFIG';
export const DEFAULT_CONFIG_FILE = 'linkswitch.yml';

/** Which file to read: the flag, else $LINKSWITCH_CONFIG, else ./linkswitch.yml. */
export function configPath(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(flag ?? env[CONFIG_ENV] ?? DEFAULT_CONFIG_FILE);
}
