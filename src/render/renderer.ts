import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type Handlebars from 'handlebars';
import { errnoCode, LinkswitchError, messageOf, TemplateError } from '../core/errors.js';
import type { HaproxyContext } from '../core/haproxy-context.js';
import {
  safeConfigLine,
  safeCryptHash,
  safeFsPath,
  safeHost,
  safeHttpPath,
  safeLogTarget,
  safeName,
  safePort,
  safeWeight,
} from '../core/safe-values.js';
import { fromShipped, shippedTemplates } from './shipped-templates.js';

// With shipped-templates.ts (which loads only Handlebars' runtime, for the precompiled shipped
// templates), the only module that loads handlebars. Templates are compiled in strict mode (a
// missing variable is an error, not an empty string) without HTML escaping (this is not HTML),
// and the helpers re-validate what they print so an edited template cannot inject config lines.

export const MAIN_TEMPLATE = 'haproxy.cfg.hbs';
export const PARTIALS_DIR = 'partials';

export function helpers(): Record<string, Handlebars.HelperDelegate> {
  const wrap = (check: (v: unknown) => unknown) => (value: unknown) => String(check(value));
  return {
    name: wrap((v) => safeName(v)),
    host: wrap((v) => safeHost(v)),
    port: wrap((v) => safePort(v)),
    weight: wrap(safeWeight),
    // A small positive count (server-template slots).
    count: wrap((v) => {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 256)
        throw new TemplateError(`invalid count ${JSON.stringify(v)}`, { fix: 'use an integer from 1 to 256' });
      return v;
    }),
    path: wrap((v) => safeHttpPath(v)),
    fspath: wrap((v) => safeFsPath(v)),
    logtarget: wrap(safeLogTarget),
    // Compares two context values (for choices such as the access log format); prints nothing itself.
    eq: (a: unknown, b: unknown) => a === b,
    // Header values we build ourselves (HSTS): printed inside double quotes, so none of those.
    header: wrap((v) => {
      if (typeof v === 'string' && /^[A-Za-z0-9=;., -]{1,200}$/.test(v)) return v;
      throw new TemplateError(`invalid header value ${JSON.stringify(v)}`, { fix: 'fix the template context' });
    }),
    // HAProxy duration ("500ms"), as the context builds them.
    duration: wrap((v) => {
      if (typeof v === 'string' && /^\d{1,10}ms$/.test(v)) return v;
      throw new TemplateError(`invalid duration ${JSON.stringify(v)}`, { fix: 'fix the template context' });
    }),
    // Fingerprints and timestamps in comments.
    token: wrap((v) => {
      if (typeof v === 'string' && /^[A-Za-z0-9:._+=/-]{1,200}$/.test(v)) return v;
      throw new TemplateError(`invalid value ${JSON.stringify(v)}`, { fix: 'fix the template context' });
    }),
    hash: wrap(safeCryptHash),
    line: wrap((v) => safeConfigLine(v)),
    status: wrap((v) => {
      if (typeof v === 'number' && Number.isInteger(v) && v >= 100 && v <= 599) return v;
      throw new TemplateError(`invalid HTTP status ${JSON.stringify(v)}`, { fix: 'use 100-599' });
    }),
    code: wrap((v) => {
      if (v === 301 || v === 302 || v === 307 || v === 308) return v;
      throw new TemplateError(`invalid redirect code ${JSON.stringify(v)}`, { fix: 'use 301 or 308' });
    }),
  };
}

async function loadPartials(dir: string): Promise<Record<string, string>> {
  const partialsDir = path.join(dir, PARTIALS_DIR);
  let files: string[];
  try {
    files = await readdir(partialsDir);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return {};
    throw error;
  }
  const partials: Record<string, string> = {};
  for (const file of files.filter((f) => f.endsWith('.hbs')).sort()) {
    partials[file.slice(0, -'.hbs'.length)] = await readFile(path.join(partialsDir, file), 'utf8');
  }
  return partials;
}

/**
 * The compiled template for these texts. A command renders several times (check-config, the
 * staging and the final apply-config) and the sidecar on every reconcile: the files are read
 * each time, so an edit is seen at once, but compiled once per distinct text.
 */
const cache = new Map<string, Handlebars.TemplateDelegate>();

async function compiled(source: string, partials: Record<string, string>): Promise<Handlebars.TemplateDelegate> {
  const key = JSON.stringify([source, partials]);
  const hit = cache.get(key);
  if (hit) return hit;
  const template =
    (await fromShipped(source, partials, await shippedTemplates(), helpers())) ??
    (await compileTemplates(source, partials));
  // One entry per template version: an edited template replaces the old one.
  if (cache.size >= 8) cache.clear();
  cache.set(key, template);
  return template;
}

export async function compileTemplates(
  source: string,
  partials: Record<string, string>,
): Promise<Handlebars.TemplateDelegate> {
  const { default: handlebars } = await import('handlebars');
  const hbs = handlebars.create();
  hbs.registerHelper(helpers());
  for (const [name, text] of Object.entries(partials))
    hbs.registerPartial(name, hbs.compile(text, { strict: true, noEscape: true }));
  return hbs.compile(source, { strict: true, noEscape: true });
}

/** Renders templateDir/haproxy.cfg.hbs (+ partials/*.hbs) with the context. */
export async function renderHaproxyConfig(templateDir: string, context: HaproxyContext): Promise<string> {
  const file = path.join(templateDir, MAIN_TEMPLATE);
  let source: string;
  let partials: Record<string, string>;
  try {
    source = await readFile(file, 'utf8');
    partials = await loadPartials(templateDir);
  } catch (error) {
    throw new TemplateError(`cannot read templates in ${templateDir}: ${messageOf(error)}`, {
      fix: 'set haproxy.templateDir to a directory containing haproxy.cfg.hbs',
      cause: error,
    });
  }
  try {
    const template = await compiled(source, partials);
    // Sections a template leaves out (TLS, TCP, …) leave blank lines: at most one in a row, and
    // the file ends with exactly one newline.
    return `${template(context)
      .replace(/\n{3,}/g, '\n\n')
      .replace(/\s+$/, '')}\n`;
  } catch (error) {
    const message =
      error instanceof LinkswitchError ? error.shortMessage : messageOf(error).split('\n').slice(0, 2).join(' ');
    throw new TemplateError(`template ${file} failed to render: ${message}`, {
      fix: 'fix the template; the live haproxy.cfg was not changed',
      cause: error,
    });
  }
}
