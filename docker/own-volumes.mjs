// Hands the sidecar's and HAProxy's volumes to the uid:gid they run as (docker-compose.yml's
// `volumes` service, which runs once before them as root with CAP_CHOWN and CAP_DAC_READ_SEARCH
// only). New volumes are empty; volumes of a stack from before the non-root images hold root's
// files (state, haproxy.cfg, sockets), which the non-root processes could not write.
// Symbolic links are not followed; what already belongs to the uid:gid is left alone.
// Each directory keeps a marker file: Docker copies an image's mount point (root's) over a volume
// that is still empty when a container mounts it, owner included, which would undo this.
// Usage: node own-volumes.mjs <uid>:<gid> <dir>...
import { lchown, lstat, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

const [owner, ...dirs] = process.argv.slice(2);
const match = /^(\d{1,9}):(\d{1,9})$/.exec(owner ?? '');
if (!match || dirs.length === 0 || Number(match[1]) === 0) {
  console.error('own-volumes: usage: own-volumes.mjs <uid>:<gid> <dir>... (a uid other than 0)');
  process.exit(2);
}
const [uid, gid] = [Number(match[1]), Number(match[2])];
let changed = 0;

async function own(entry) {
  const info = await lstat(entry);
  if (info.uid !== uid || info.gid !== gid) {
    await lchown(entry, uid, gid);
    changed++;
  }
  if (info.isDirectory()) for (const name of await readdir(entry)) await own(path.join(entry, name));
}

async function exists(file) {
  try {
    await lstat(file);
    return true;
  } catch {
    return false;
  }
}

try {
  for (const dir of dirs) {
    const marker = path.join(dir, '.linkswitch-owner');
    // Without CAP_DAC_OVERRIDE, root may write only where root's own permissions allow: once a
    // directory is the user's, a marker is made by taking the directory back for a moment (`own`
    // hands it over again). A marker that exists stays as it is: every `up` runs this again.
    if (!(await exists(marker))) {
      await lchown(dir, 0, 0);
      await writeFile(marker, `${uid}:${gid}\n`, { mode: 0o644 });
    }
    await own(dir);
  }
  console.log(`own-volumes: ${dirs.join(', ')} belong to ${uid}:${gid} (${changed} changed)`);
} catch (error) {
  console.error(
    `own-volumes: ${error.message}; the volumes must be mounted and this container run as root with CAP_CHOWN`,
  );
  process.exit(1);
}
