import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// Where the config file is, kept apart from the loader so the CLI can name it in `--help`
// without loading the YAML parser and the schema.

export const CONFIG_ENV = 'LINKSWITCH_CONFIG';
export const DEFAULT_CONFIG_FILE = 'linkswitch.yml';
/** Where `linkswitch init` has HAProxy take the traffic unless --bind says otherwise. */
export const DEFAULT_INIT_BIND = '0.0.0.0:80';

/** Which file to read: the flag, else $LINKSWITCH_CONFIG, else ./linkswitch.yml. */
export function configPath(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(flag ?? env[CONFIG_ENV] ?? DEFAULT_CONFIG_FILE);
}

const MAIN_TEMPLATE = 'haproxy.cfg.hbs';

/**
 * The templates when the config names none: `templates/` beside the config file where it holds
 * haproxy.cfg.hbs (what earlier versions required), else the ones this package ships, so a
 * five-line config works from any directory.
 */
export function defaultTemplateDir(configDir: string): string {
  const beside = path.join(configDir, 'templates');
  if (existsSync(path.join(beside, MAIN_TEMPLATE))) return beside;
  // None shipped (a bundle copied without its templates): the renderer's error names the path beside.
  const shipped = packageFile(path.join('templates', MAIN_TEMPLATE));
  return shipped ? path.dirname(shipped) : beside;
}

/** A file this package ships, found above this module (from src/, dist/ or a bundle alike). */
export function packageFile(relative: string): string | null {
  for (let dir = path.dirname(fileURLToPath(import.meta.url)); ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, relative);
    if (existsSync(candidate)) return candidate;
    if (path.dirname(dir) === dir) return null;
  }
}
