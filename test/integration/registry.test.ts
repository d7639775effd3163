import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSWORD, type Registry, startRegistry, USER } from '../support/registry.js';
import { createStack, type Stack } from '../support/stack.js';

// Private images from a real registry with htpasswd auth: the credentials the Docker CLI would
// use (config.json `auths`, a `credsStore` helper), a clean one-line failure with a wrong
// password that changes nothing, and credentials never in any output.

describe('private registries', () => {
  let registry: Registry;
  let stack: Stack;
  let image: string;
  let wrong: string;
  let helperConfig: string;
  /** The wrong-password and credsStore-helper Docker configs. */
  let dir = '';
  let outputs = '';

  const cli = async (args: string[], dockerConfig: string, extraEnv: Record<string, string> = {}) => {
    const result = await stack.cli(args, {
      env: { DOCKER_CONFIG: dockerConfig, LINKSWITCH_LOG_LEVEL: 'trace', ...extraEnv },
    });
    outputs += result.all;
    return result;
  };
  const dropLocal = () => execa('docker', ['rmi', '-f', image], { reject: false });

  beforeAll(async () => {
    registry = await startRegistry();
    image = await registry.push('linkswitch-test-app:v2', 'team/app:v2');
    stack = await createStack('registry');
    const up = await stack.cli(['up']);
    expect(up.exitCode, up.all).toBe(0);
    // The same registry with a wrong password, and with the password behind a credsStore helper.
    dir = await mkdtemp(path.join(os.tmpdir(), 'linkswitch-dockercfg-'));
    wrong = path.join(dir, 'wrong');
    await execa('mkdir', ['-p', wrong, path.join(dir, 'helper', 'bin')]);
    const bad = Buffer.from(`${USER}:not-the-password`).toString('base64');
    await writeFile(path.join(wrong, 'config.json'), JSON.stringify({ auths: { [registry.host]: { auth: bad } } }));
    helperConfig = path.join(dir, 'helper');
    await writeFile(path.join(helperConfig, 'config.json'), JSON.stringify({ credsStore: 'lstest' }));
    const helper = path.join(helperConfig, 'bin', 'docker-credential-lstest');
    await writeFile(
      helper,
      `#!/usr/bin/env node\nlet s='';process.stdin.on('data',c=>s+=c).on('end',()=>{` +
        `if(s.trim()!==${JSON.stringify(registry.host)}){console.log('credentials not found in native keychain');process.exit(1)}` +
        `console.log(JSON.stringify({ServerURL:s.trim(),Username:${JSON.stringify(USER)},Secret:${JSON.stringify(PASSWORD)}}))})\n`,
      { mode: 0o755 },
    );
  });

  afterAll(async () => {
    await stack?.destroy();
    await dropLocal();
    await registry?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('pulls a private image with the credentials of config.json (auths) and deploys it', async () => {
    await dropLocal();
    const deploy = await cli(['deploy', '--image', image], registry.dockerConfig);
    expect(deploy.exitCode, deploy.all).toBe(0);
    const state = await stack.readState();
    expect(state.colours[state.linked]?.image).toBe(image);
  });

  it('fails cleanly with a wrong password: one line naming the registry, exit 6, nothing changed', async () => {
    await dropLocal();
    const before = await readFile(stack.stateFile, 'utf8');
    const cfg = await readFile(stack.haproxyCfg, 'utf8');
    const deploy = await cli(['deploy', '--image', image], wrong);
    expect(deploy.exitCode, deploy.all).toBe(6);
    expect(deploy.stderr).toContain(
      `linkswitch: registry ${registry.host} refused the credentials for ${USER} from ${path.join(wrong, 'config.json')} for ${image}; run \`docker login ${registry.host}\` with the right password`,
    );
    expect(await readFile(stack.stateFile, 'utf8')).toBe(before);
    expect(await readFile(stack.haproxyCfg, 'utf8')).toBe(cfg);
  });

  it('uses a credsStore helper (docker-credential-*) the way the Docker CLI does', async () => {
    await dropLocal();
    const deploy = await cli(['deploy', '--image', image], helperConfig, {
      PATH: `${path.join(helperConfig, 'bin')}:${process.env.PATH}`,
    });
    expect(deploy.exitCode, deploy.all).toBe(0);
  });

  it('never prints or logs a credential, even at trace level', () => {
    expect(outputs.length).toBeGreaterThan(500);
    for (const secret of [PASSWORD, Buffer.from(`${USER}:${PASSWORD}`).toString('base64'), 'not-the-password'])
      expect(outputs).not.toContain(secret);
    expect(outputs).not.toContain('X-Registry-Auth');
  });
});
