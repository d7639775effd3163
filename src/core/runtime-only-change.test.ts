import { describe, expect, it } from 'vitest';
import { onlyWeightsDiffer } from './runtime-only-change.js';

const config = (webLinked: 'blue' | 'green', apiBlue = 256, extra = '') =>
  [
    `# Service web: ${webLinked} linked`,
    '# Service api: blue linked',
    'global',
    '    stats socket /run/admin.sock mode 600 level admin',
    'backend be_web',
    '    default-server check inter 2s rise 2 fall 3',
    `    server blue 172.18.0.2:8080 weight ${webLinked === 'blue' ? 256 : 0}`,
    `    server green 172.18.0.3:8080 weight ${webLinked === 'green' ? 256 : 0}${extra}`,
    'backend be_api',
    `    server blue 172.18.0.4:8080 weight ${apiBlue}`,
    '    server green 172.18.0.5:8080 weight 0',
    '',
  ].join('\n');

describe('onlyWeightsDiffer', () => {
  it('accepts a switch of the service: its two weights and its header line', () => {
    expect(onlyWeightsDiffer(config('blue'), config('green'), 'be_web')).toBe(true);
    expect(onlyWeightsDiffer(config('green'), config('green'), 'be_web')).toBe(true);
  });

  it("refuses a weight change in another service's backend", () => {
    expect(onlyWeightsDiffer(config('blue'), config('green', 0), 'be_web')).toBe(false);
    expect(onlyWeightsDiffer(config('blue'), config('blue', 0), 'be_api')).toBe(true);
  });

  it('refuses any other difference on a server line, or another line', () => {
    expect(onlyWeightsDiffer(config('blue'), config('green', 256, ' slowstart 10s'), 'be_web')).toBe(false);
    const moved = config('green').replace('172.18.0.3', '172.18.0.9');
    expect(onlyWeightsDiffer(config('blue'), moved, 'be_web')).toBe(false);
    const retimed = config('green').replace('inter 2s', 'inter 1s');
    expect(onlyWeightsDiffer(config('blue'), retimed, 'be_web')).toBe(false);
    expect(onlyWeightsDiffer(config('blue'), `${config('green')}\n`, 'be_web')).toBe(false);
  });

  it('refuses a preview route that moved to the new idle colour', () => {
    const withPreview = (idle: string, linked: 'blue' | 'green') =>
      config(linked).replace(
        '    default-server',
        `    use-server ${idle} if { req.hdr(x-preview) -m found }\n    default-server`,
      );
    expect(onlyWeightsDiffer(withPreview('green', 'blue'), withPreview('blue', 'green'), 'be_web')).toBe(false);
  });

  it('refuses a header line naming another service', () => {
    const renamed = config('green').replace('# Service web:', '# Service shop:');
    expect(onlyWeightsDiffer(config('blue'), renamed, 'be_web')).toBe(false);
  });
});
