import { randomBytes } from 'node:crypto';
import { mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { errnoCode, HaproxyConfigError, HaproxyRuntimeError, messageOf } from '../core/errors.js';
import type { HaproxySettings } from '../core/settings.js';

// The haproxy binary and its process: `haproxy -c` on a candidate config, starting the master
// in master-worker mode, and stopping it by its pid file. Run through execa (loaded when a
// process is started: a rollback whose config was checked before starts none) with argument
// arrays, never a shell; the sockets are `haproxy.ts`'s business.

/** What execa captured (stdout and stderr interleaved), else the error's message. */
function outputOf(error: unknown): string {
  const all = (error as { all?: unknown } | null)?.all;
  return typeof all === 'string' ? all : messageOf(error);
}

/** `haproxy -c` on the text, written beside the live file so relative paths resolve the same way. */
export async function checkConfig(paths: HaproxySettings, configText: string): Promise<void> {
  const dir = path.dirname(paths.configFile);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const temp = path.join(dir, `.check-${process.pid}-${randomBytes(4).toString('hex')}.cfg`);
  await writeFile(temp, configText, { mode: 0o600 });
  try {
    const { execa } = await import('execa');
    await execa(paths.binary, ['-c', '-f', temp], { all: true, timeout: 30_000 });
  } catch (error) {
    // Keep HAProxy's ALERT/WARNING lines; the NOTICE banner (version, executable) is noise.
    const output = outputOf(error)
      .replaceAll(temp, 'haproxy.cfg')
      .split('\n')
      .filter((line) => !line.includes('[NOTICE]'))
      .join('\n')
      .trim();
    const missing = errnoCode(error) === 'ENOENT';
    throw new HaproxyConfigError(
      missing ? `HAProxy binary "${paths.binary}" not found` : 'HAProxy rejected the rendered config (haproxy -c)',
      {
        detail: output,
        fix: missing
          ? 'install haproxy or set haproxy.binary'
          : 'fix the template or config; the live haproxy.cfg was not changed',
        cause: error,
      },
    );
  } finally {
    await unlink(temp).catch(() => undefined);
  }
}

/**
 * Starts the master: -W master-worker, -D daemonizes (this returns once the first worker is
 * forked), -S the master CLI (mode 600) used for reloads.
 */
export async function startMaster(paths: HaproxySettings): Promise<void> {
  await mkdir(path.dirname(paths.masterSocket), { recursive: true, mode: 0o700 });
  try {
    const { execa } = await import('execa');
    await execa(
      paths.binary,
      ['-W', '-D', '-S', `${paths.masterSocket},mode,600`, '-f', paths.configFile, '-p', paths.pidFile],
      { all: true, stdin: 'ignore', timeout: 30_000 },
    );
  } catch (error) {
    throw new HaproxyRuntimeError('HAProxy failed to start', {
      detail: outputOf(error),
      fix: 'read the HAProxy output above (a port in use or a permission problem is common)',
      cause: error,
    });
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errnoCode(error) === 'EPERM';
  }
}

/** Only signal a pid from our pidfile if it is still an haproxy process (pids get reused). */
async function isHaproxyProcess(pid: number): Promise<boolean> {
  try {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline.split('\0')[0]?.includes('haproxy') ?? false;
  } catch {
    return isAlive(pid);
  }
}

/** The master's pid from the pid file, if it is still an haproxy process; else null. */
export async function masterPid(paths: HaproxySettings): Promise<number | null> {
  let pid: number;
  try {
    pid = Number((await readFile(paths.pidFile, 'utf8')).trim());
  } catch {
    return null;
  }
  if (!Number.isInteger(pid) || pid <= 1 || !(await isHaproxyProcess(pid))) return null;
  return pid;
}
