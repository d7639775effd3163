import { execa } from 'execa';
import { selectTestHaproxy } from './haproxy-version.js';

// The adapter tier runs the real haproxy binary (and local HTTP servers), no Docker. Missing
// haproxy is a failure, not a skip: CI must prove the real thing (.ci/run installs it).
export default async function setup(): Promise<void> {
  await selectTestHaproxy();
  const haproxy = await execa('haproxy', ['-v'], { reject: false });
  if (haproxy.exitCode !== 0) throw new Error('haproxy not found; run `npm run setup` (installs haproxy)');
}
