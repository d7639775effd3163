import Module from 'node:module';

// Loaded first in the sidecar image (docker/linkswitch), before anything imports dockerode.
// dockerode loads gRPC and protobuf for BuildKit sessions, and docker-modem loads ssh2 for
// ssh:// DOCKER_HOST, at import time. The sidecar uses neither (it talks to the mounted
// /var/run/docker.sock); together they cost 7-10 MB of resident memory, and ssh2 compiles
// WebAssembly as it loads, which node's --lite-mode (the image's other memory saving) does not
// have. So they are deferred: each is loaded for real the first time something touches it.
// (ssh:// DOCKER_HOST would then fail under --lite-mode: the sidecar image does not support it.)

type Load = (request: string, parent: unknown, isMain: boolean) => unknown;
type AnyModule = Record<string | symbol, unknown> & (new (...args: unknown[]) => object);

const loader = Module as unknown as { _load: Load };
const realLoad = loader._load;

/** A stand-in that loads the real module on first property access or `new`. */
function deferred(load: () => AnyModule): AnyModule {
  return new Proxy((() => {}) as unknown as AnyModule, {
    get: (_target, property) => load()[property],
    construct: (_target, args) => new (load())(...args),
  });
}

function once<T>(fn: () => T): () => T {
  let value: T | undefined;
  let done = false;
  return () => {
    if (!done) {
      value = fn();
      done = true;
    }
    return value as T;
  };
}

loader._load = function (request, parent, isMain) {
  const load = once(() => realLoad.call(this, request, parent, isMain) as AnyModule);
  switch (request) {
    case '@grpc/grpc-js':
    case '@grpc/proto-loader':
      return deferred(load);
    case 'ssh2':
      // docker-modem reads `.Client` when it loads and calls `new Client()` only for ssh://.
      return { Client: deferred(() => load().Client as AnyModule) };
    default:
      return realLoad.call(this, request, parent, isMain);
  }
};
