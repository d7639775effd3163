import path from 'node:path';
import { type FSWatcher, watch } from 'chokidar';

// Watches what haproxy.cfg is made of: the template directory (with partials/), the config
// file and the TLS certificates (a renewal changes the rendered config through their
// fingerprints). Editors and ACME clients save in bursts (temp file, rename, chmod), so changes
// are gathered for a short quiet period and reported once.

export type InputKind = 'template' | 'config' | 'certificate';

export interface InputWatcher {
  close(): Promise<void>;
}

export function watchInputs(options: {
  templateDir: string;
  configFile: string;
  /** Certificate files or directories (haproxy.tls.certificates). */
  certificates?: string[];
  quietMs?: number;
  onChange(kinds: Set<InputKind>, files: string[]): void;
  onError(error: unknown): void;
}): InputWatcher {
  const { templateDir, configFile, quietMs = 150 } = options;
  const configPath = path.resolve(configFile);
  const templatePath = path.resolve(templateDir);
  const certificates = options.certificates ?? [];
  const pending = new Map<string, InputKind>();
  let timer: NodeJS.Timeout | undefined;
  const watcher: FSWatcher = watch([templateDir, configPath, ...certificates], {
    ignoreInitial: true,
    persistent: true,
  });
  const kindOf = (file: string): InputKind => {
    const full = path.resolve(file);
    if (full === configPath) return 'config';
    return full.startsWith(`${templatePath}${path.sep}`) ? 'template' : 'certificate';
  };
  watcher.on('all', (_event, file) => {
    pending.set(file, kindOf(file));
    clearTimeout(timer);
    timer = setTimeout(() => {
      const kinds = new Set(pending.values());
      const files = [...pending.keys()];
      pending.clear();
      options.onChange(kinds, files);
    }, quietMs);
  });
  watcher.on('error', options.onError);
  return {
    async close() {
      clearTimeout(timer);
      await watcher.close();
    },
  };
}
