import { createHash } from 'node:crypto';
import type Handlebars from 'handlebars';

// The templates this package ships, precompiled at build time (scripts/precompile-templates.mjs
// into dist/shipped-templates.js). When the configured templates are byte-for-byte the shipped
// ones, a command takes them from there and loads only Handlebars' runtime: the compile of the
// texts (about 35 ms, in every process) is skipped. Any edit changes the key, and the edited
// texts are compiled as before. The module is part of the build, as trusted as the rest of dist/.

type TemplateSpec = Parameters<typeof Handlebars.template>[0];

export interface ShippedTemplates {
  key: string;
  version: string;
  main: TemplateSpec;
  partials: Record<string, TemplateSpec>;
}

/** What identifies a set of texts (the same function as the build script's). */
export function templatesKey(source: string, partials: Record<string, string>): string {
  return createHash('sha256')
    .update(JSON.stringify([source, partials]))
    .digest('hex');
}

/** dist/shipped-templates.js beside dist/render and dist/bundle; null from the sources or an older build. */
export async function shippedTemplates(): Promise<ShippedTemplates | null> {
  try {
    return (await import(new URL('../shipped-templates.js', import.meta.url).href)) as ShippedTemplates;
  } catch {
    return null;
  }
}

/** The precompiled template when these are the shipped texts (and the same Handlebars), else null. */
export async function fromShipped(
  source: string,
  partials: Record<string, string>,
  shipped: ShippedTemplates | null,
  helpers: Record<string, Handlebars.HelperDelegate>,
): Promise<Handlebars.TemplateDelegate | null> {
  if (!shipped || shipped.key !== templatesKey(source, partials)) return null;
  const runtime = ((await import('handlebars/runtime.js')) as unknown as { default: typeof Handlebars }).default;
  if (runtime.VERSION !== shipped.version) return null;
  const hbs = runtime.create();
  hbs.registerHelper(helpers);
  for (const [name, spec] of Object.entries(shipped.partials)) hbs.registerPartial(name, hbs.template(spec));
  return hbs.template(shipped.main);
}
