import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import bcrypt from 'bcryptjs';
import { execa, type ResultPromise } from 'execa';
import { stringify } from 'yaml';
import { freePort } from './stack.js';
import { trixieTool } from './trixie-tools.js';

// A real registry server (Debian 13's docker-registry, distribution 2.8) on 127.0.0.1 with
// htpasswd auth, and a Docker CLI config of its own (DOCKER_CONFIG) logged in to it. dockerd
// talks plain HTTP to registries on 127.0.0.0/8 without being told to.

export const USER = 'alice';
export const PASSWORD = 'reg-pa55-word';

export interface Registry {
  host: string;
  /** A DOCKER_CONFIG directory holding `docker login`'s config.json for the registry. */
  dockerConfig: string;
  /** Pushes a local image under the registry's name and removes the local tag again. */
  push(local: string, name: string): Promise<string>;
  stop(): Promise<void>;
}

export async function startRegistry(): Promise<Registry> {
  const binary = await trixieTool('registry');
  const dir = await mkdtemp(path.join(os.tmpdir(), 'linkswitch-registry-'));
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  await writeFile(path.join(dir, 'htpasswd'), `${USER}:${bcrypt.hashSync(PASSWORD, 8)}\n`);
  await writeFile(
    path.join(dir, 'config.yml'),
    stringify({
      version: 0.1,
      log: { level: 'error' },
      storage: { filesystem: { rootdirectory: path.join(dir, 'data') } },
      http: { addr: host, secret: 'test-only' },
      auth: { htpasswd: { realm: 'linkswitch-test', path: path.join(dir, 'htpasswd') } },
    }),
  );
  const server: ResultPromise = execa(binary, ['serve', path.join(dir, 'config.yml')], { reject: false });
  for (let i = 0; ; i++) {
    const res = await fetch(`http://${host}/v2/`).catch(() => null);
    if (res?.status === 401) break;
    if (i > 100) throw new Error('the registry did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
  const dockerConfig = path.join(dir, 'docker');
  await execa('docker', ['login', host, '-u', USER, '--password-stdin'], {
    input: PASSWORD,
    env: { DOCKER_CONFIG: dockerConfig },
  });
  return {
    host,
    dockerConfig,
    async push(local, name) {
      const ref = `${host}/${name}`;
      await execa('docker', ['tag', local, ref]);
      await execa('docker', ['push', ref], { env: { DOCKER_CONFIG: dockerConfig } });
      await execa('docker', ['rmi', ref]);
      return ref;
    },
    async stop() {
      server.kill();
      await server;
      await rm(dir, { recursive: true, force: true });
    },
  };
}
