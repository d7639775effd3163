import type { MountSpec } from '../core/container-spec.js';
import { messageOf } from '../core/errors.js';
import { parseShortVolume } from './compose-values.js';
import type { ContainerInput, ResolveContext } from './container.js';

// `volumes:` (short and long syntax) and `tmpfs:` as mounts: bind sources made absolute against
// the config's directory (and `~`), volume names checked, no container path mounted twice.

type Fail = (key: string, message: string, fix: string) => never;

export function resolveMounts(input: ContainerInput, ctx: ResolveContext, fail: Fail): MountSpec[] {
  const mounts = (input.volumes ?? []).map((volume, i): MountSpec => {
    const key = `volumes[${i}]`;
    if (typeof volume === 'string') {
      let short: ReturnType<typeof parseShortVolume>;
      try {
        short = parseShortVolume(volume);
      } catch (error) {
        return fail(key, messageOf(error), 'write e.g. "uploads:/app/uploads" or "./config:/app/config:ro"');
      }
      if (short.bind && short.source)
        return { type: 'bind', source: hostPath(short.source, ctx), target: short.target, readOnly: short.readOnly };
      return { type: 'volume', source: short.source, target: short.target, readOnly: short.readOnly, noCopy: false };
    }
    if (volume.type === 'tmpfs') return { type: 'tmpfs', target: volume.target, sizeBytes: volume.tmpfs?.size ?? null };
    if (volume.type === 'bind') {
      if (!volume.source) return fail(key, 'a bind mount needs a source', 'give the host path as source');
      return { type: 'bind', source: hostPath(volume.source, ctx), target: volume.target, readOnly: volume.read_only };
    }
    return {
      type: 'volume',
      source: volume.source ?? null,
      target: volume.target,
      readOnly: volume.read_only,
      noCopy: volume.volume?.nocopy === true,
    };
  });
  for (const mount of mounts) {
    if (mount.type === 'volume' && mount.source !== null && !/^[A-Za-z0-9][A-Za-z0-9_.-]{0,254}$/.test(mount.source))
      fail('volumes', `invalid volume name ${JSON.stringify(mount.source)}`, 'use letters, digits, "_", "." and "-"');
  }
  for (const target of input.tmpfs ?? []) mounts.push({ type: 'tmpfs', target, sizeBytes: null });
  const targets = mounts.map((m) => m.target);
  const twice = targets.find((t, i) => targets.indexOf(t) !== i);
  if (twice) fail('volumes', `${twice} is mounted twice`, 'mount each container path once');
  return mounts;
}

function hostPath(source: string, ctx: ResolveContext): string {
  const home = ctx.lookup('HOME');
  if (source.startsWith('~') && home) return ctx.abs(home + source.slice(1));
  return ctx.abs(source);
}
