import path from 'node:path';
import { type FSWatcher, watch } from 'chokidar';

// Watches what haproxy.cfg is made of: the template directory (with partials/) and the config
// file. Editors save in bursts (temp file, rename, chmod), so changes are gathered for a short
// quiet period and reported once.

export type InputKind = 'template' | 'config';

export interface InputWatcher {
  close(): Promise<void>;
}

export function watchInputs(options: {
  templateDir: string;
  configFile: string;
  quietMs?: number;
  onChange(kinds: Set<InputKind>, files: string[]): void;
  onError(error: unknown): void;
}): InputWatcher {
  const { templateDir, configFile, quietMs = 150 } = options;
  const configPath = path.resolve(configFile);
  const pending = new Map<string, InputKind>();
  let timer: NodeJS.Timeout | undefined;
  const watcher: FSWatcher = watch([templateDir, configPath], { ignoreInitial: true, persistent: true });
  watcher.on('all', (_event, file) => {
    pending.set(file, path.resolve(file) === configPath ? 'config' : 'template');
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
