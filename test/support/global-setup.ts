import { execa } from 'execa';
import { selectTestHaproxy } from './haproxy-version.js';
import { buildTestImages } from './images.js';

// The integration tiers need a real Docker engine and a real haproxy binary. Missing either is a
// failure, not a skip: CI must prove the real thing (.ci/run installs and starts both).
export default async function setup(): Promise<void> {
  await selectTestHaproxy();
  const dockerInfo = await execa('docker', ['info', '--format', '{{.ServerVersion}}'], { reject: false });
  if (dockerInfo.exitCode !== 0) {
    throw new Error(
      `Docker engine not reachable (${dockerInfo.stderr.trim().split('\n')[0]}); run \`npm run setup\` (installs docker.io and starts dockerd)`,
    );
  }
  const haproxy = await execa('haproxy', ['-v'], { reject: false });
  if (haproxy.exitCode !== 0) throw new Error('haproxy not found; run `npm run setup` (installs haproxy)');
  await buildTestImages();
}
