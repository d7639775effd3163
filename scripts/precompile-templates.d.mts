// Types for scripts/precompile-templates.mjs (imported by a unit test).
export function templatesKey(source: string, partials: Record<string, string>): string;
export function precompiledModule(templateDir: string): Promise<string>;
