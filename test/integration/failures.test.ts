import { cp, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Checker, startChecker } from '../support/checker.js';
import { failures, type LoadRun, startLoad } from '../support/load.js';
import { createStack, type Stack, TEMPLATES } from '../support/stack.js';

// Every refusal must be a one-line error that names the fix, a non-zero exit code, and no change:
// same state file bytes, same haproxy.cfg bytes, and traffic (under load the whole time) untouched.

interface Snapshot {
  state: string;
  cfg: string;
}

describe('failures leave the live service untouched', () => {
  let stack: Stack;
  let load: LoadRun;
  let checker: Checker;

  const snapshot = async (): Promise<Snapshot> => ({
    state: await readFile(stack.stateFile, 'utf8'),
    cfg: await readFile(stack.haproxyCfg, 'utf8'),
  });
  const expectUnchanged = async (before: Snapshot) => {
    const after = await snapshot();
    expect(after.state).toBe(before.state);
    expect(after.cfg).toBe(before.cfg);
  };
  const firstLine = (stderr: string) => stderr.split('\n').find((l) => l.startsWith('linkswitch: ')) ?? '';
  // A deploy holds the lock once its pending mark is in the state file.
  const untilDeployHoldsLock = async () => {
    const deadline = Date.now() + 10_000;
    while (!(await readFile(stack.stateFile, 'utf8')).includes('"pending": {')) {
      if (Date.now() > deadline) throw new Error('the first deploy never took the lock');
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const containerState = async (colour: string) => {
    const { stdout, exitCode } = await execa(
      'docker',
      ['inspect', '-f', '{{.State.Status}}', `${stack.name}-${colour}`],
      { reject: false },
    );
    return exitCode === 0 ? stdout.trim() : 'absent';
  };

  beforeAll(async () => {
    stack = await createStack('fail', { environment: { API_TOKEN: 's3cr3t-value' }, secretEnv: ['API_TOKEN'] });
    await stack.writeConfig({ health: { interval: '100ms', timeout: '3s' } });
    const up = await stack.cli(['up']);
    expect(up.exitCode, up.all).toBe(0);
    load = startLoad({ port: stack.port, connections: 4, maxDurationMs: 200_000 });
    checker = startChecker({ port: stack.port, stateFile: stack.stateFile, maxDurationMs: 200_000 });
  });

  afterAll(async () => {
    await checker?.stop();
    const samples = (await load?.stop()) ?? [];
    await stack?.destroy();
    // Checked here as well as in the last test, so a failure anywhere is visible.
    expect(failures(samples)).toEqual([]);
  });

  it('refuses rollback when the other colour is not warm', async () => {
    const before = await snapshot();
    const result = await stack.cli(['rollback']);
    expect(result.exitCode).toBe(5);
    expect(firstLine(result.stderr)).toMatch(
      /cannot roll back to green: green has no container; run `linkswitch deploy`/,
    );
    await expectUnchanged(before);
  });

  it('aborts a deploy whose image never becomes healthy, with its logs, and leaves it stopped', async () => {
    const before = await snapshot();
    const result = await stack.cli(['deploy', '--image', 'linkswitch-test-app:unhealthy']);
    expect(result.exitCode).toBe(5);
    expect(firstLine(result.stderr)).toMatch(
      /green did not become healthy: still failing after 3000 ms \(GET \/health on 127\.0\.0\.1:\d+: HTTP 500\)/,
    );
    expect(result.stderr).toContain('app unhealthy: listening on 8080');
    await expectUnchanged(before);
    expect(await containerState('green')).toBe('exited');
    // Secrets from the environment never appear in output or logs.
    expect(result.all).not.toContain('s3cr3t-value');
  });

  it('aborts a deploy whose container exits at once', async () => {
    const before = await snapshot();
    const result = await stack.cli(['deploy', '--image', 'linkswitch-test-app:crash']);
    expect(result.exitCode).toBe(5);
    expect(firstLine(result.stderr)).toMatch(
      /green did not become healthy: its container (exited with code 3|keeps exiting \(restarted \d+ times\))/,
    );
    expect(result.stderr).toContain('crashing on purpose');
    await expectUnchanged(before);
  });

  it('refuses an image that does not exist and cannot be pulled', async () => {
    const before = await snapshot();
    const result = await stack.cli(['deploy', '--image', 'linkswitch-test-app:does-not-exist']);
    expect(result.exitCode).toBe(6);
    expect(firstLine(result.stderr)).toMatch(
      /image linkswitch-test-app:does-not-exist does not exist locally and cannot be pulled: .*; check the image name/,
    );
    await expectUnchanged(before);
  });

  it('refuses an image reference that could inject into config or sockets', async () => {
    const before = await snapshot();
    const result = await stack.cli(['deploy', '--image', 'app:1\nserver evil 10.0.0.1:80']);
    expect(result.exitCode).toBe(2);
    expect(firstLine(result.stderr)).toMatch(/invalid image reference/);
    await expectUnchanged(before);
  });

  it('refuses a template with a syntax error before touching any container', async () => {
    const templates = path.join(stack.dir, 'templates');
    await cp(TEMPLATES, templates, { recursive: true });
    await writeFile(path.join(templates, 'haproxy.cfg.hbs'), '{{#each servers}}\nserver {{name name}}\n');
    await stack.writeConfig({
      health: { interval: '100ms', timeout: '3s' },
      haproxy: { ...(await haproxySection(stack)), templateDir: templates },
    });
    const before = await snapshot();
    const greenBefore = await containerState('green');
    const result = await stack.cli(['deploy', '--image', 'linkswitch-test-app:v2']);
    expect(result.exitCode).toBe(7);
    expect(firstLine(result.stderr)).toMatch(/template .*haproxy\.cfg\.hbs failed to render: .*; fix the template/);
    await expectUnchanged(before);
    expect(await containerState('green')).toBe(greenBefore);
  });

  it("refuses a template that renders a config HAProxy rejects, with HAProxy's own error", async () => {
    const templates = path.join(stack.dir, 'templates');
    const main = await readFile(path.join(TEMPLATES, 'haproxy.cfg.hbs'), 'utf8');
    await writeFile(path.join(templates, 'haproxy.cfg.hbs'), `${main}    no-such-directive here\n`);
    const before = await snapshot();
    try {
      const result = await stack.cli(['deploy', '--image', 'linkswitch-test-app:v2']);
      expect(result.exitCode).toBe(7);
      expect(firstLine(result.stderr)).toMatch(/HAProxy rejected the rendered config \(haproxy -c\); fix the template/);
      expect(result.stderr).toMatch(/unknown keyword 'no-such-directive'/);
      await expectUnchanged(before);
      const render = await stack.cli(['render', '--check']);
      expect(render.exitCode).toBe(7);
    } finally {
      await stack.writeConfig({ health: { interval: '100ms', timeout: '3s' } });
    }
  });

  it('refuses a second deploy while one holds the lock', () =>
    checker.during(async () => {
      const first = stack.cli(['deploy', '--image', 'linkswitch-test-app:slow']);
      await untilDeployHoldsLock();
      const second = await stack.cli(['deploy', '--image', 'linkswitch-test-app:v2']);
      expect(second.exitCode).toBe(4);
      expect(firstLine(second.stderr)).toMatch(
        /another linkswitch \(deploy, pid \d+ on .*\) holds the lock .*; wait for it to finish, or pass --lock-wait/,
      );
      const done = await first;
      expect(done.exitCode, done.all).toBe(0);
      expect((await stack.readState()).colours.green?.image).toBe('linkswitch-test-app:slow');
    }));

  it('waits for the lock with --lock-wait instead of failing', () =>
    checker.during(async () => {
      const first = stack.cli(['deploy', '--image', 'linkswitch-test-app:slow']);
      // A fixed sleep raced Node's start-up on a loaded CI machine: the rollback got the lock first.
      await untilDeployHoldsLock();
      const second = await stack.cli(['--lock-wait', '60s', 'rollback']);
      const done = await first;
      expect(done.exitCode, done.all).toBe(0);
      expect(second.exitCode, second.all).toBe(0);
    }));

  it('deploys an image with a Docker HEALTHCHECK by waiting for Docker to call it healthy', async () => {
    const result = await checker.during(() => stack.cli(['deploy', '--image', 'linkswitch-test-app:hc', '--json']));
    expect(result.exitCode, result.all).toBe(0);
    const status = JSON.parse((await stack.cli(['status', '--json'])).stdout);
    const linked = status.colours.find((c: { linked: boolean }) => c.linked);
    expect(linked.image).toBe('linkswitch-test-app:hc');
    expect(linked.health).toBe('healthy');
    expect(linked.haproxy.weight).toBe(100);
  });

  // The test breaks the state file itself, so the checker cannot read it meanwhile.
  it('reports a malformed state file clearly and never overwrites it', () =>
    checker.during(async () => {
      const original = await readFile(stack.stateFile, 'utf8');
      const garbage = original.slice(0, original.length / 2);
      await writeFile(stack.stateFile, garbage);
      for (const verb of ['status', 'deploy', 'rollback']) {
        const result = await stack.cli([verb]);
        expect(result.exitCode, verb).toBe(3);
        expect(firstLine(result.stderr)).toMatch(
          /state file .* is not valid JSON \(truncated or corrupted\); run `linkswitch up`: it rebuilds/,
        );
        expect(await readFile(stack.stateFile, 'utf8')).toBe(garbage);
      }
      // `up` rebuilds it from the running stack; the unreadable file is kept beside it, unchanged.
      const up = await stack.cli(['up']);
      expect(up.exitCode, up.all).toBe(0);
      const kept = /kept as (\S+)\)/.exec(up.stderr)?.[1];
      expect(kept, up.stderr).toBeDefined();
      expect(await readFile(kept!, 'utf8')).toBe(garbage);
      expect((await stack.readState()).linked).toBe(JSON.parse(original).linked);
      await writeFile(stack.stateFile, original.replace(/"linked": "\w+"/, '"linked": "purple"'));
      const purple = await stack.cli(['status']);
      expect(purple.exitCode).toBe(3);
      expect(firstLine(purple.stderr)).toMatch(/linked: .*; repair the named fields/);
      await writeFile(stack.stateFile, original);
    }));

  it('reports every config problem with its key path', async () => {
    const bad = path.join(stack.dir, 'bad.yml');
    await writeFile(
      bad,
      'service:\n  name: "web\\nbackend evil"\n  image: app:1\n  port: "eighty"\n  colour: blue\nhaproxy:\n  bind: nowhere\n',
    );
    const result = await stack.cli(['--config', bad, 'status']);
    expect(result.exitCode).toBe(2);
    const line = firstLine(result.stderr);
    expect(line).toMatch(/service\.name: invalid service name/);
    expect(line).toMatch(/service\.port: /);
    expect(line).toMatch(/service: Unrecognized key.*colour/);
    expect(line).toMatch(/haproxy\.bind: /);
    const yaml = path.join(stack.dir, 'broken.yml');
    await writeFile(yaml, 'service: [unclosed\n');
    const broken = await stack.cli(['--config', yaml, 'status']);
    expect(broken.exitCode).toBe(2);
    expect(firstLine(broken.stderr)).toMatch(/malformed YAML/);
  });

  it('kept serving throughout: zero failed requests, and the state file always named the serving version', async () => {
    const { samples: checks, violations } = await checker.stop({ atLeast: 51 });
    expect(checks.length).toBeGreaterThan(50);
    expect(violations).toEqual([]);
    const samples = load.samples;
    expect(samples.length).toBeGreaterThan(500);
    expect(failures(samples)).toEqual([]);
  });
});

async function haproxySection(stack: Stack): Promise<Record<string, unknown>> {
  const { parse } = await import('yaml');
  return (parse(await readFile(stack.configFile, 'utf8')) as { haproxy: Record<string, unknown> }).haproxy;
}
