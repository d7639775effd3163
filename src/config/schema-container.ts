import { z } from 'zod';
import { parseGoDuration, parseSize } from './compose-values.js';

// A service's container in Compose's own key names and value forms (short and long syntax where
// Compose has both), so a service can be pasted from docker-compose.yml or taken from it
// (`compose:`). The shapes are checked here; src/config/container.ts resolves them (paths, env
// files, names) into a ContainerSpec. Compose keys that make no sense for a colour are refused
// with the reason, never ignored.

/** Compose keys that cannot describe one colour of a blue/green pair: why, and what to do instead. */
export const REFUSED_KEYS: Record<string, string> = {
  ports: 'linkswitch owns how HAProxy reaches the colours; remove it (`port:` names the port the app listens on)',
  container_name: 'each colour has its own container name (<service>-blue, <service>-green); remove it',
  network_mode: 'the colours must be on a network HAProxy reaches; use `networks:` for more networks',
  deploy: 'replicas come from engine.replicas (engine.kind swarm); use mem_limit and cpus for limits',
  scale: 'one container per colour on engine.kind container; use engine.kind swarm with engine.replicas',
  links: 'legacy links do not survive a colour switch; put both containers on a shared network (`networks:`)',
  external_links: 'legacy links do not survive a colour switch; use a shared network (`networks:`)',
  volumes_from: 'mount the volumes by name (`volumes:`) so both colours see the same data',
  hostname: 'both colours would claim one hostname; use a network alias (`networks: {name: {aliases: […]}}`)',
  privileged: 'linkswitch never creates privileged containers; grant the capabilities needed with cap_add',
  pid: 'sharing a PID namespace is not supported for colours',
  ipc: 'sharing an IPC namespace is not supported for colours',
  devices: 'host devices are not supported for colours',
  userns_mode: 'not supported for colours',
  cgroup_parent: 'not supported for colours',
  stdin_open: 'colours run unattended; use `linkswitch run` for a console',
  tty: 'colours run unattended; use `linkswitch run` for a console',
  configs: 'not supported; mount the file with `volumes:` (read-only) or use `secrets:`',
  platform: 'not supported; build or pull the image for this host',
  profiles: 'profiles select compose services; with `compose:` give them as compose.profiles',
};

// The schemas are built on first use (z.lazy): a config without Compose keys (the sidecar's,
// usually) never constructs them, which keeps about a megabyte of zod objects out of memory.
function buildFields() {
  const PATH_IN_CONTAINER = z.string().regex(/^\/[^\0\n]*$/, 'use an absolute path in the container');
  const SAFE_WORD = /^[A-Za-z0-9][A-Za-z0-9_.:=,/+-]{0,255}$/;
  const stringList = (item: z.ZodTypeAny = z.string()) => z.union([item.transform((v) => [v]), z.array(item)]);

  const goDuration = z.union([z.string(), z.number()]).transform((value, ctx) => {
    const ms = parseGoDuration(value);
    if (ms === undefined) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        message: `invalid duration ${JSON.stringify(value)}; write e.g. "30s" or "1m30s"`,
      });
      return z.NEVER;
    }
    return ms;
  });

  const size = z.union([z.string(), z.number()]).transform((value, ctx) => {
    const bytes = parseSize(value);
    if (bytes === undefined) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        message: `invalid size ${JSON.stringify(value)}; write bytes or e.g. "512m", "1g"`,
      });
      return z.NEVER;
    }
    return bytes;
  });

  const commandForm = z.union([z.string(), z.array(z.string())]);
  const keyValueForm = z.union([
    z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])),
    z.array(z.string()),
  ]);

  const longVolume = z
    .object({
      type: z.enum(['volume', 'bind', 'tmpfs']),
      source: z.string().optional(),
      target: PATH_IN_CONTAINER,
      read_only: z.boolean().default(false),
      volume: z.object({ nocopy: z.boolean().optional() }).strict().nullable().optional(),
      bind: z
        .object({ create_host_path: z.boolean().optional(), propagation: z.string().optional() })
        .strict()
        .nullable()
        .optional(),
      tmpfs: z.object({ size: size.optional(), mode: z.number().optional() }).strict().nullable().optional(),
      consistency: z.string().optional(),
    })
    .strict();

  const networkEntry = z
    .object({ aliases: z.array(z.string()).default([]) })
    .strict()
    .nullable();

  const healthcheck = z
    .object({
      test: z.union([z.string(), z.array(z.string()).min(1)]).optional(),
      interval: goDuration.optional(),
      timeout: goDuration.optional(),
      retries: z.number().int().min(0).max(1000).optional(),
      start_period: goDuration.optional(),
      disable: z.boolean().optional(),
    })
    .strict();

  const ulimit = z.union([z.number().int(), z.object({ soft: z.number().int(), hard: z.number().int() }).strict()]);

  const secretRef = z.union([
    z.string(),
    z
      .object({
        source: z.string(),
        target: z.string().optional(),
        uid: z.string().optional(),
        gid: z.string().optional(),
        mode: z.number().optional(),
      })
      .strict(),
  ]);

  const refused = (key: string) =>
    z
      .unknown()
      .optional()
      .superRefine((value, ctx) => {
        if (value !== undefined)
          ctx.addIssue({ code: z.ZodIssueCode.custom, message: `${key} is refused: ${REFUSED_KEYS[key]}` });
      });

  return {
    environment: keyValueForm.optional(),
    env_file: z
      .union([
        z.string(),
        z.array(z.union([z.string(), z.object({ path: z.string(), required: z.boolean().default(true) }).strict()])),
      ])
      .optional(),
    entrypoint: commandForm.nullable().optional(),
    working_dir: PATH_IN_CONTAINER.optional(),
    user: z
      .union([z.string(), z.number().int()])
      .transform(String)
      .pipe(z.string().regex(/^[A-Za-z0-9_.-]{1,64}(:[A-Za-z0-9_.-]{1,64})?$/, 'use "user", "uid" or "uid:gid"'))
      .optional(),
    volumes: z.array(z.union([z.string(), longVolume])).optional(),
    tmpfs: stringList(PATH_IN_CONTAINER).optional(),
    networks: z.union([z.array(z.string()), z.record(z.string(), networkEntry)]).optional(),
    extra_hosts: z.union([z.array(z.string()), z.record(z.string(), z.string())]).optional(),
    dns: stringList().optional(),
    restart: z
      .string()
      .regex(
        /^(no|always|unless-stopped|on-failure(:\d{1,4})?)$/,
        'use "no", "always", "unless-stopped" or "on-failure[:N]"',
      )
      .optional(),
    healthcheck: healthcheck.optional(),
    stop_signal: z
      .string()
      .regex(/^((SIG)?[A-Z][A-Z0-9+-]{0,15}|\d{1,2})$/, 'use a signal name such as "SIGTERM" or "SIGQUIT"')
      .optional(),
    stop_grace_period: goDuration.optional(),
    mem_limit: size.optional(),
    cpus: z.union([z.number(), z.string()]).transform(Number).pipe(z.number().positive().max(1024)).optional(),
    ulimits: z.record(z.string().regex(/^[a-z]{2,16}$/, 'use a ulimit name such as nofile'), ulimit).optional(),
    cap_add: z
      .array(z.string().regex(/^((CAP_)?[A-Z_]{2,40}|ALL)$/, 'use a capability name such as NET_BIND_SERVICE'))
      .optional(),
    cap_drop: z
      .array(z.string().regex(/^((CAP_)?[A-Z_]{2,40}|ALL)$/, 'use a capability name such as NET_RAW or ALL'))
      .optional(),
    security_opt: z.array(z.string().regex(SAFE_WORD, 'use an option such as "no-new-privileges:true"')).optional(),
    read_only: z.boolean().optional(),
    init: z.boolean().optional(),
    shm_size: size.optional(),
    sysctls: keyValueForm.optional(),
    logging: z
      .object({
        driver: z.string().regex(/^[a-z0-9][a-z0-9_.:/-]{0,63}$/, 'use a logging driver name such as json-file'),
        options: z
          .record(z.string(), z.union([z.string(), z.number()]).transform(String))
          .nullable()
          .optional(),
      })
      .strict()
      .optional(),
    secrets: z.array(secretRef).optional(),
    expose: z.array(z.union([z.string(), z.number()])).optional(),
    pull_policy: z.enum(['always', 'never', 'missing', 'if_not_present', 'build']).optional(),
    // Accepted for compose files: `docker compose build` makes the image this service deploys.
    build: z.unknown().optional(),
    // Accessories are started by compose (`docker compose up -d db`); checked at deploy, see container.ts.
    depends_on: z.unknown().optional(),
    ...(Object.fromEntries(Object.keys(REFUSED_KEYS).map((key) => [key, refused(key)])) as Record<
      keyof typeof REFUSED_KEYS,
      ReturnType<typeof refused>
    >),
  };
}

type Fields = ReturnType<typeof buildFields>;
let built: Fields | null = null;
function fields(): Fields {
  built ??= buildFields();
  return built;
}

/** The container keys Compose has that a service entry takes (besides image, command, labels). */
const FIELD_NAMES = [
  'environment',
  'env_file',
  'entrypoint',
  'working_dir',
  'user',
  'volumes',
  'tmpfs',
  'networks',
  'extra_hosts',
  'dns',
  'restart',
  'healthcheck',
  'stop_signal',
  'stop_grace_period',
  'mem_limit',
  'cpus',
  'ulimits',
  'cap_add',
  'cap_drop',
  'security_opt',
  'read_only',
  'init',
  'shm_size',
  'sysctls',
  'logging',
  'secrets',
  'expose',
  'pull_policy',
  'build',
  'depends_on',
  ...Object.keys(REFUSED_KEYS),
] as const;

/** The container keys a service takes in Compose's words (besides `image`, validated with the service). */
export const composeContainerFields = Object.fromEntries(
  FIELD_NAMES.map((key) => [key, z.lazy(() => fields()[key as keyof Fields]).optional()]),
) as unknown as { [K in keyof Fields]: z.ZodOptional<z.ZodLazy<Fields[K]>> };

/** Compose keys a service entry can hold, for telling a compose-sourced key from linkswitch's own. */
export const COMPOSE_KEYS = new Set<string>(['image', 'command', 'labels', ...FIELD_NAMES]);

export type ComposeContainer = z.infer<z.ZodObject<Fields>>;

/** Top-level `secrets:` in Compose's form: a name → the file holding it. */
export const secretsSchema = z
  .record(
    z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'use letters, digits, ".", "_" and "-"'),
    z.union([z.object({ file: z.string() }).strict(), z.object({ environment: z.string() }).strict()]),
  )
  .default({});
