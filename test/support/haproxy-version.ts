import path from 'node:path';
import { execa } from 'execa';
import { prepareHaproxy30 } from '../../haproxy/build.js';

// The HAProxy the real-process tiers run: the host's (Debian 12: 2.6) unless
// LINKSWITCH_TEST_HAPROXY=3.0, which prepares HAProxy 3.0 (haproxy/build.ts) and puts it first on
// PATH (the CLI, the adapter and `haproxy -c` all find it there) and in the compose stack's image.
// Called from the global setups, before the test workers start, so they inherit the environment.

export async function selectTestHaproxy(): Promise<void> {
  const wanted = process.env.LINKSWITCH_TEST_HAPROXY;
  if (!wanted || wanted === 'host') return;
  if (wanted !== '3.0') throw new Error(`LINKSWITCH_TEST_HAPROXY=${wanted}: use 3.0, or leave it unset for the host's`);
  const prepared = await prepareHaproxy30();
  process.env.PATH = `${path.dirname(prepared.binary)}:${process.env.PATH ?? ''}`;
  process.env.LINKSWITCH_TEST_HAPROXY_IMAGE = prepared.image;
  // What the tests will find first on PATH must be the 3.0 binary, and the image must be 3.0 too.
  const onPath = (await execa('haproxy', ['-v'])).stdout;
  const inImage = (await execa('docker', ['run', '--rm', prepared.image, '-v'])).stdout;
  for (const [where, text] of [
    ['PATH', onPath],
    ['image', inImage],
  ] as const) {
    if (!/version 3\.0\./.test(text)) throw new Error(`HAProxy on ${where} is not 3.0: ${text.split('\n')[0]}`);
  }
  process.stderr.write(`test HAProxy: ${prepared.version} (${prepared.binary}, image ${prepared.image})\n`);
}
