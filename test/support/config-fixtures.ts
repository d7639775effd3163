import { expect } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/core/errors.js';

// Config texts the config loader's tests share (src/config/load*.test.ts).

export const FILE = '/srv/app/linkswitch.yml';

export const MINIMAL = `
service:
  name: web
  image: myapp:1.2
  port: 8080
`;

export const FULL = `
service:
  name: web
  image: registry:5000/team/myapp:1.2
  port: 3000
  env: { NODE_ENV: production, WORKERS: 4, DEBUG: false, API_TOKEN: s3cret }
  secretEnv: [API_TOKEN]
  labels: { com.example.team: payments }
  command: [node, server.js]
  pull: never
  stopTimeout: 30
  memory: 256m
health:
  path: /healthz?full=1
  interval: 500ms
  timeout: 2m
  probeTimeout: 1.5s
  use: http
network: { mode: network, name: appnet }
haproxy:
  bind: 0.0.0.0:80
  configFile: run/haproxy.cfg
  templateDir: ./tpl
  masterSocket: run/master.sock
  adminSocket: /var/run/linkswitch/admin.sock
  pidFile: run/haproxy.pid
  binary: ./bin/haproxy
  check: { inter: 1s, rise: 2, fall: 3 }
  retries: 5
  reloadTimeout: 20s
  hardStopAfter: 1h
state:
  file: ../state/web.json
deploy: { drainTimeout: 15s, lockTtl: 30m }
`;

/** The ConfigError thrown by parseConfig, or a test failure. */
export function configError(text: string, file = FILE): ConfigError {
  try {
    parseConfig(text, file);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  return expect.unreachable('expected a ConfigError');
}

/** Several services behind one HAProxy: two by host, one by path prefix, HTTPS with redirect. */
export const MULTI = `
services:
  app:
    image: app:1
    port: 8080
    routes: [app.example.com, "*.app.example.com"]
    default: true
  api:
    image: api:1
    port: 8080
    health: { path: /healthz }
    routes: [api.example.com]
    timeouts: { server: 60s }
  admin:
    image: admin:1
    port: 3000
    routes: [{ host: example.com, path: /admin, stripPrefix: true }]
haproxy:
  tls: { certificates: [certs/site.pem, certs], hsts: { maxAge: 600 } }
state: { dir: state }
`;
