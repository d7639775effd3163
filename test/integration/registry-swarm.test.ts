import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SwarmEngine } from '../../src/adapters/swarm.js';
import { parseConfig } from '../../src/config/load.js';
import { RegistryAuthError } from '../../src/core/errors.js';
import { type Registry, startRegistry, USER } from '../support/registry.js';
import { docker, initSwarm, leaveSwarm, until } from '../support/swarm.js';

// A Swarm service from a private registry: the engine proves the credentials with one pull on
// the manager, then sends them with the service (X-Registry-Auth) so every node can pull; a
// wrong password fails before any service is created or changed.

describe('private registries on Swarm', () => {
  let registry: Registry;
  let image: string;
  let swarm = false;
  const name = `lsreg${process.pid}`;
  const network = `${name}-net`;
  const savedConfig = process.env.DOCKER_CONFIG;

  const engine = () => {
    const settings = parseConfig(
      `service:\n  name: ${name}\n  image: ${image}\n  port: 8080\nengine:\n  kind: swarm\n  network: ${network}\n  replicas: 1\n`,
      '/tmp/linkswitch.yml',
    );
    if (settings.engine?.kind !== 'swarm') throw new Error('a Swarm config');
    return new SwarmEngine(settings, settings.engine);
  };
  const dropLocal = () => execa('docker', ['rmi', '-f', image], { reject: false });
  const services = async () =>
    (await docker(['service', 'ls', '--filter', `name=${name}-`, '--format', '{{.Name}}'])).trim();

  beforeAll(async () => {
    registry = await startRegistry();
    image = await registry.push('linkswitch-test-app:v1', 'team/swarm-app:v1');
    await initSwarm();
    swarm = true;
    await docker(['network', 'create', '--driver', 'overlay', '--attachable', network]);
  });

  afterAll(async () => {
    if (savedConfig === undefined) delete process.env.DOCKER_CONFIG;
    else process.env.DOCKER_CONFIG = savedConfig;
    await execa('docker', ['service', 'rm', `${name}-blue`, `${name}-green`], { reject: false });
    await until('services gone', async () => ((await services()) === '' ? true : null), 30_000).catch(() => undefined);
    await execa('docker', ['network', 'rm', network], { reject: false });
    if (swarm) await leaveSwarm();
    await dropLocal();
    await registry?.stop();
  });

  it('creates the service with the registry auth after proving it; its task runs the private image', async () => {
    process.env.DOCKER_CONFIG = registry.dockerConfig;
    await dropLocal();
    await engine().run('blue', image, { generation: 1 });
    const running = await until(
      'a running task',
      async () => {
        const out = await docker([
          'service',
          'ps',
          `${name}-blue`,
          '--filter',
          'desired-state=running',
          '--format',
          '{{.CurrentState}}',
        ]);
        return /^Running/m.test(out) ? out : null;
      },
      60_000,
    );
    expect(running).toMatch(/Running/);
    const spec = JSON.parse(await docker(['service', 'inspect', `${name}-blue`]))[0].Spec;
    expect(spec.TaskTemplate.ContainerSpec.Image).toMatch(new RegExp(`^${image.replace(/[.:/]/g, '\\$&')}`));
  });

  it('refuses a wrong password before any service changes, naming the registry', async () => {
    const wrong = path.join(registry.dockerConfig, '..', 'wrong-swarm');
    await execa('mkdir', ['-p', wrong]);
    await writeFile(
      path.join(wrong, 'config.json'),
      JSON.stringify({ auths: { [registry.host]: { auth: Buffer.from(`${USER}:nope`).toString('base64') } } }),
    );
    process.env.DOCKER_CONFIG = wrong;
    await dropLocal();
    const error = await engine()
      .run('green', image, { generation: 2 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryAuthError);
    expect((error as Error).message).toContain(`registry ${registry.host} refused the credentials for ${USER}`);
    expect(await services()).toBe(`${name}-blue`);
  });
});
