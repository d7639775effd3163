import { HaproxyRuntimeError } from '../core/errors.js';
import { commandText, type ServerCommand } from '../core/runtime-servers.js';
import { safeIpv4, safeName, safePort, safeWeight } from '../core/safe-values.js';

// Server changes through HAProxy's admin socket (src/core/runtime-servers.ts plans them). Every
// value is re-checked here: names, an IPv4 address, a port and a weight only, so no ';' or
// newline can reach the CLI whatever a template or a parsed file contained.

export async function sendServerCommands(
  admin: (command: string) => Promise<string>,
  commands: readonly ServerCommand[],
): Promise<void> {
  if (commands.length === 0) return;
  const text = commands
    .map((c) => {
      safeName(c.backend, 'backend name');
      safeName(c.server, 'server name');
      if (c.kind === 'addr') {
        safeIpv4(c.address, 'server address');
        safePort(c.port, 'server port');
      }
      if (c.kind === 'weight') safeWeight(c.weight);
      return commandText(c);
    })
    .join('; ');
  const answer = await admin(text);
  // `set server … addr` reports what it changed (2.6: "no need to change the addr" for the same
  // one, 3.0: "nothing changed"); every other accepted command prints nothing.
  const refusal = answer
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !/changed from|no need to change|^nothing changed$/i.test(l));
  if (refusal.length > 0) {
    throw new HaproxyRuntimeError(`HAProxy refused a server change: ${refusal[0]}`, {
      detail: answer,
      fix: 'run `linkswitch up`, which reloads HAProxy from the rendered haproxy.cfg',
    });
  }
}
