// Which Docker Engine API calls the sidecar may make through `linkswitch docker-proxy`: an
// allow-list of what linkswitch itself calls (src/adapters/docker*.ts, swarm*.ts, one-off.ts,
// networks.ts, retire.ts), so code running in the sidecar, or whoever holds its control-API
// token, cannot exec into containers, start privileged ones, bind the host's root, leave the
// swarm or install plugins. Everything not listed is refused.

/** What the proxy does with one request, before any body is read. */
export type RouteDecision =
  | { kind: 'pass' }
  | { kind: 'refuse'; reason: string }
  /** Passed only when the container (id or name) carries the linkswitch.service label. */
  | { kind: 'own-container'; id: string }
  /** Passed only when the Swarm service carries the linkswitch.service label. */
  | { kind: 'own-service'; id: string }
  /** The body is checked against what the config asks for (create-check.ts). */
  | { kind: 'container-create' }
  | { kind: 'service-create' }
  | { kind: 'service-update'; id: string }
  | { kind: 'network-connect' };

/** Names and ids as Docker accepts them in a path: no '/', no '..'. */
const ID = '([A-Za-z0-9][A-Za-z0-9_.-]*)';
/** Image references hold '/' and ':' (registry/repo:tag, @sha256:…). */
const IMAGE = '([A-Za-z0-9][A-Za-z0-9_.:/@-]*)';

type Rule = [method: string, path: RegExp, decide: (m: RegExpExecArray, query: URLSearchParams) => RouteDecision];

const pass = (): RouteDecision => ({ kind: 'pass' });
const own = (m: RegExpExecArray): RouteDecision => ({ kind: 'own-container', id: m[1] as string });
const ownService = (m: RegExpExecArray): RouteDecision => ({ kind: 'own-service', id: m[1] as string });
/** The whole path, anchored at both ends. */
const re = (path: string) => new RegExp(['^', path, '$'].join(''));

const RULES: Rule[] = [
  ['GET', re('/_ping'), pass],
  ['HEAD', re('/_ping'), pass],
  ['GET', re('/version'), pass],
  ['GET', re('/info'), pass],
  ['GET', re('/events'), pass],
  // Listing shows names, images and labels, not environments; an inspect shows the environment
  // (secrets), so only linkswitch's own containers may be inspected.
  ['GET', re('/containers/json'), pass],
  ['GET', re(`/containers/${ID}/json`), own],
  ['GET', re(`/containers/${ID}/logs`), own],
  ['POST', re('/containers/create'), () => ({ kind: 'container-create' })],
  ['POST', re(`/containers/${ID}/(?:start|stop|kill|wait|restart|rename)`), own],
  // attach as a plain stream (the one-off runner); a hijacked attach is refused as an upgrade.
  ['POST', re(`/containers/${ID}/attach`), own],
  ['DELETE', re(`/containers/${ID}`), own],
  ['GET', re(`/images/${IMAGE}/json`), pass],
  [
    'POST',
    re('/images/create'),
    (_m, query) =>
      query.has('fromImage') && !query.has('fromSrc')
        ? pass()
        : { kind: 'refuse', reason: 'only a pull (fromImage) may create an image' },
  ],
  ['GET', re('/networks'), pass],
  ['GET', re(`/networks/${ID}`), pass],
  ['POST', re(`/networks/${ID}/connect`), () => ({ kind: 'network-connect' })],
  // Swarm: read the cluster, manage linkswitch's own services and their secrets.
  ['GET', re('/swarm'), pass],
  ['GET', re('/nodes'), pass],
  ['GET', re(`/nodes/${ID}`), pass],
  ['GET', re('/services'), pass],
  ['GET', re(`/services/${ID}`), pass],
  // A failed task's output, for the error message: linkswitch's own services only.
  ['GET', re(`/services/${ID}/logs`), ownService],
  ['POST', re('/services/create'), () => ({ kind: 'service-create' })],
  ['POST', re(`/services/${ID}/update`), (m) => ({ kind: 'service-update', id: m[1] as string })],
  ['DELETE', re(`/services/${ID}`), ownService],
  ['GET', re('/tasks'), pass],
  ['GET', re(`/tasks/${ID}`), pass],
  ['GET', re(`/secrets/${ID}`), pass],
  ['POST', re('/secrets/create'), pass],
];

/** The API path without its version prefix (`/v1.41/containers/json` → `/containers/json`). */
export function unversioned(pathname: string): string {
  return pathname.replace(/^\/v\d+\.\d+(?=\/)/, '');
}

export function decideRoute(method: string, url: string): RouteDecision {
  let parsed: URL;
  try {
    parsed = new URL(url, 'http://docker');
  } catch {
    return { kind: 'refuse', reason: 'an unreadable request path' };
  }
  // A path the URL parser had to normalise (`..`, `//`, escapes) is not one linkswitch sends.
  const raw = url.split('?')[0] ?? '';
  if (raw !== parsed.pathname) return { kind: 'refuse', reason: `the path ${JSON.stringify(raw)} is not canonical` };
  const path = unversioned(parsed.pathname);
  for (const [m, pattern, decide] of RULES) {
    if (m !== method) continue;
    const match = pattern.exec(path);
    if (match) return decide(match, parsed.searchParams);
  }
  return { kind: 'refuse', reason: `${method} ${path} is not an Engine API call linkswitch makes` };
}
