import { describe, expect, it } from 'vitest';
import { parseShowStat } from './haproxy-parse.js';

// `show stat` with server-template members (blue1…blueN): one folded view per colour.

const HEADER = '# pxname,svname,scur,weight,status,addr,check_status';
const row = (sv: string, status: string, addr: string, weight: number, scur = 0, check = 'L7OK') =>
  `be_shop,${sv},${scur},${weight},${status},${addr},${check}`;

describe('parseShowStat with server-template members', () => {
  it('folds members into one view per colour; unresolved slots do not count', () => {
    const text = [
      HEADER,
      row('blue1', 'UP', '10.0.1.5:8080', 100, 2),
      row('blue2', 'UP', '10.0.1.6:8080', 100, 1),
      row('blue3', 'MAINT (resolution)', '', 100, 0, ''),
      row('green1', 'UP', '10.0.1.7:8080', 0),
      row('green2', 'DOWN', '10.0.1.8:8080', 0, 0, 'L4CON'),
      row('green3', 'MAINT (resolution)', '', 0, 0, ''),
      'be_shop,BACKEND,3,100,UP,,',
    ].join('\n');
    const [blue, green] = parseShowStat(text, 'be_shop', 2);
    expect(blue).toEqual({
      colour: 'blue',
      status: 'UP',
      weight: 100,
      address: '10.0.1.5:8080 10.0.1.6:8080',
      sessions: 3,
      checkStatus: 'L7OK',
      members: 2,
    });
    expect(green).toMatchObject({ colour: 'green', status: 'DOWN', weight: 0, members: 2, checkStatus: 'L4CON' });
  });

  it('a member not yet at full health ("UP 1/2") speaks for its colour', () => {
    const text = [HEADER, row('blue1', 'UP', '10.0.1.5:8080', 100), row('blue2', 'UP 1/2', '10.0.1.6:8080', 100)].join(
      '\n',
    );
    expect(parseShowStat(text, 'be_shop', 2)[0]).toMatchObject({ status: 'UP 1/2', members: 2 });
  });

  it('a colour with fewer resolved tasks than replicas is not UP; none resolved is MAINT', () => {
    const text = [
      HEADER,
      row('blue1', 'UP', '10.0.1.5:8080', 100),
      row('blue2', 'MAINT (resolution)', '', 100, 0, ''),
      row('green1', 'MAINT (resolution)', '', 0, 0, ''),
    ].join('\n');
    const [blue, green] = parseShowStat(text, 'be_shop', 2);
    expect(blue!.status).toBe('DOWN (1/2 tasks resolved)');
    expect(green).toMatchObject({ status: 'MAINT (resolution)', members: 0 });
  });

  it('plain colour servers are unchanged', () => {
    const text = [HEADER, row('blue', 'UP', '127.0.0.1:3000', 100), row('green', 'UP', '127.0.0.1:3001', 0)].join('\n');
    expect(parseShowStat(text, 'be_shop').map((s) => [s.colour, s.members])).toEqual([
      ['blue', undefined],
      ['green', undefined],
    ]);
  });
});
