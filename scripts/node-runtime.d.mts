// Types for scripts/node-runtime.mjs (imported by scripts/local-images.ts and the bench).
export const NODE_RUNTIME: { version: string; integrity: string };
export function runtimeDir(root?: string): string;
export function ensureNodeRuntime(root?: string): string;
