#!/usr/bin/env node
// The `linkswitch` executable. The module trim must be in place before anything loads
// dockerode: it defers gRPC, protobuf and ssh2, which no CLI verb uses (ssh:// DOCKER_HOST still
// loads ssh2 when it is first needed), and takes about 60 ms off every command's start-up.
await import('../app/lean-modules.js');
await import('./main.js');
