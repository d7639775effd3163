import type { App } from '../app/root.js';
import { UnknownServiceError } from '../core/errors.js';
import type { Service } from '../core/service.js';

// Which service a command is about: the one named, or the only one. With several services and
// none named, the command refuses rather than guessing (a deploy of the wrong service is worse).

export function pickService(app: App, name: string | undefined, verb: string): Service {
  const names = app.stack.map((s) => s.config.service.name);
  if (name === undefined) {
    if (app.stack.length === 1) return app.stack[0]!;
    throw new UnknownServiceError(`${verb}: name the service (${names.join(', ')})`, {
      fix: `run \`linkswitch ${verb} <service>\``,
    });
  }
  const found = app.stack.find((s) => s.config.service.name === name);
  if (!found)
    throw new UnknownServiceError(`${verb}: no service ${JSON.stringify(name)} in ${app.settings.file}`, {
      fix: `use one of: ${names.join(', ')}`,
    });
  return found;
}
