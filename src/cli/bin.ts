// The `linkswitch` CLI as an ES module: the entry of the split ESM bundle the sidecar runs
// (dist/bundle/esm/bin.js) and of the one-file CommonJS bundle the other verbs run
// (dist/bundle/cli.cjs, see launcher.ts). The module trim is imported first, before anything
// that loads dockerode: it defers gRPC, protobuf and ssh2, which no CLI verb uses (ssh://
// DOCKER_HOST still loads ssh2 when it is first needed), and takes about 60 ms off every
// command's start-up. No top-level await: the CommonJS bundle cannot hold one.
import '../app/lean-modules.js';
import { runCli } from './main.js';

void runCli();
