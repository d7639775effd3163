// After a switch, the runtime API has already set the weights the new haproxy.cfg writes down.
// When the file on disk (what the running workers loaded, plus earlier switches made the same
// way) differs from the new text in nothing else, writing the file is enough: a reload would
// only restart the workers into the state they are already in, and cost a rollback ~60 ms and
// an old worker's late answers on idle keep-alive connections. Anything else that differs (a
// preview route to the new idle colour, a changed setting, another service) needs the reload.

const HEADER = /^# Service (\S+): (?:blue|green) linked$/;
const SECTION = /^(frontend|backend|listen|defaults|global|resolvers|userlist|peers|cache|program)\b\s*(\S*)/;
const SERVER = /^(\s*server(?:-template)?\s+(?:blue|green)\s.*\bweight )(\d+)(\b.*)$/;

/**
 * True when `after` differs from `before` only in the weights of `backend`'s colour servers and in
 * the header lines naming each service's linked colour.
 */
export function onlyWeightsDiffer(before: string, after: string, backend: string): boolean {
  const a = before.split('\n');
  const b = after.split('\n');
  if (a.length !== b.length) return false;
  let section = '';
  for (let i = 0; i < a.length; i++) {
    const [x, y] = [a[i] as string, b[i] as string];
    const opened = SECTION.exec(x);
    if (opened) section = `${opened[1]} ${opened[2]}`;
    if (x === y) continue;
    const hx = HEADER.exec(x);
    const hy = HEADER.exec(y);
    if (hx && hy && hx[1] === hy[1]) continue;
    const sx = SERVER.exec(x);
    const sy = SERVER.exec(y);
    if (section === `backend ${backend}` && sx && sy && sx[1] === sy[1] && sx[3] === sy[3]) continue;
    return false;
  }
  return true;
}
