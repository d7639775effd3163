import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// Where the config file is, kept apart from the loader so the CLI can name it in `--help`
// without loading the YAML parser and the schema.

export const CONFIG_ENV = 'LINKSWITCH_CONFIG';
export const DEFAULT_CONFIG_FILE = 'linkswitch.yml';

/** Which file to read: the flag, else $LINKSWITCH_CONFIG, else ./linkswitch.yml. */
export function configPath(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(flag ?? env[CONFIG_ENV] ?? DEFAULT_CONFIG_FILE);
}

const MAIN_TEMPLATE = 'haproxy.cfg.hbs';

/**
 * The templates when the config names none: `templates/` beside the config file where it holds
 * haproxy.cfg.hbs (what earlier versions required), else the ones this package ships, so a
 * four-line config works from any directory.
 */
export function defaultTemplateDir(configDir: string): string {
  const beside = path.join(configDir, 'templates');
  if (existsSync(path.join(beside, MAIN_TEMPLATE))) return beside;
  // The nearest templates/ above this module: from src/, dist/ or a bundle alike.
  for (let dir = path.dirname(fileURLToPath(import.meta.url)); ; dir = path.dirname(dir)) {
    const shipped = path.join(dir, 'templates');
    if (existsSync(path.join(shipped, MAIN_TEMPLATE))) return shipped;
    // None (a bundle copied without its templates): the renderer's error names the path beside.
    if (path.dirname(dir) === dir) return beside;
  }
}
