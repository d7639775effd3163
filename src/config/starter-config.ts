import { parse } from 'yaml';
import { ConfigError, messageOf } from '../core/errors.js';
import { safeBind, safeImage, safeName, safePort } from '../core/safe-values.js';

// `linkswitch init`: the smallest config that deploys an app, from flags or from a service of an
// existing docker-compose.yml. Pure: the command reads and writes the files.

export interface StarterOptions {
  name: string;
  port: number;
  /** Absent with `compose`: the compose file names the image. */
  image?: string;
  bind: string;
  /** Take the container from this compose file's service. */
  compose?: { file: string; service: string };
  /** The schema's path relative to where the config goes, for editors. */
  schemaPath: string;
}

export { DEFAULT_INIT_BIND } from './paths.js';

function checked<T>(flag: string, check: () => T, fix: string): T {
  try {
    return check();
  } catch (error) {
    throw new ConfigError(`init: invalid ${flag}: ${messageOf(error)}`, { fix });
  }
}

/** The config text: a few lines, each value checked as the loader will check it. */
export function starterConfig(options: StarterOptions): string {
  const name = checked('--name', () => safeName(options.name, 'service name'), 'use lowercase letters, digits, "._-"');
  const port = checked('--port', () => safePort(options.port), 'give the port the app listens on, 1-65535');
  checked('--bind', () => safeBind(options.bind, '--bind'), 'write ADDRESS:PORT, e.g. 0.0.0.0:80');
  const lines = [
    `# yaml-language-server: $schema=${options.schemaPath}`,
    '# Every key: docs/config-reference.md. Then: linkswitch up, linkswitch deploy --image …',
    'service:',
    `  name: ${name} # the containers are ${name}-blue and ${name}-green`,
  ];
  if (options.compose) {
    lines.push(
      `  compose: { file: ${JSON.stringify(options.compose.file)}, service: ${JSON.stringify(options.compose.service)} }`,
    );
  } else {
    if (!options.image)
      throw new ConfigError('init: no image given', { fix: 'pass --image REF, or --from-compose FILE' });
    lines.push(
      `  image: ${JSON.stringify(checked('--image', () => safeImage(options.image), 'give an image reference such as myapp:1.0'))}`,
    );
  }
  lines.push(
    `  port: ${port} # where the app listens inside its container`,
    "  # health: { path: /health }  # what HAProxy and linkswitch probe (or the image's HEALTHCHECK)",
    'haproxy:',
    `  bind: ${JSON.stringify(options.bind)} # where HAProxy takes the traffic`,
    '',
  );
  return lines.join('\n');
}

export interface ComposeServiceFacts {
  /** The container port, from `expose` or the container side of `ports`. */
  port: number | null;
  /** What linkswitch will refuse in that service, to be moved before `up`. */
  problems: string[];
}

/** What a compose file says about one service that `init` needs. */
export function composeServiceFacts(text: string, file: string, service: string): ComposeServiceFacts {
  let data: { services?: Record<string, Record<string, unknown> | null> };
  try {
    data = (parse(text) ?? {}) as typeof data;
  } catch (error) {
    throw new ConfigError(`init: ${file} is not valid YAML: ${messageOf(error).split('\n')[0]}`, {
      fix: 'give the compose file your `docker compose` uses',
    });
  }
  const entry = data.services?.[service];
  if (!entry) {
    const names = Object.keys(data.services ?? {});
    throw new ConfigError(`init: ${file} has no service ${JSON.stringify(service)}`, {
      fix: names.length ? `name one of: ${names.join(', ')}` : 'give the compose file that defines the service',
    });
  }
  const problems: string[] = [];
  let port: number | null = null;
  const expose = Array.isArray(entry.expose) ? entry.expose : [];
  const ports = Array.isArray(entry.ports) ? entry.ports : [];
  for (const value of [...expose, ...ports]) {
    // "3000", "8080:3000", "127.0.0.1:8080:3000/tcp", or { target: 3000 }.
    const text =
      typeof value === 'object' && value !== null ? String((value as { target?: unknown }).target) : String(value);
    const match = /(\d+)(?:\/tcp)?$/.exec(text);
    if (match) {
      port = Number(match[1]);
      break;
    }
  }
  if (ports.length > 0)
    problems.push(
      `${service} publishes ports: linkswitch routes through HAProxy and refuses them; move \`ports:\` to an override file you give compose but not linkswitch`,
    );
  if (entry.container_name !== undefined)
    problems.push(`${service} sets container_name: each colour has its own name; remove it`);
  return { port, problems };
}
