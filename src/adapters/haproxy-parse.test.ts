import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseShowProc, parseShowStat, splitCsvLine } from './haproxy-parse.js';

// `show proc` from the master CLI of HAProxy 2.6.12 after three reloads, one of them failed, with
// an old worker still finishing its connections.
const SHOW_PROC_26 = [
  '#<PID>          <type>          <reloads>       <uptime>        <version>      ',
  '3697            master          3 [failed: 1]   0d00h10m21s     2.6.12-1+deb12u4',
  '# workers',
  '4225            worker          1               0d00h00m01s     2.6.12-1+deb12u4',
  '# old workers',
  '4100            worker          2               0d00h00m09s     2.6.12-1+deb12u4',
  '# programs',
  '',
  '',
].join('\n');

describe('parseShowProc', () => {
  it('reads the master, its reload counters and only the current workers', () => {
    expect(parseShowProc(SHOW_PROC_26)).toEqual({
      masterPid: 3697,
      reloads: 3,
      failed: 1,
      workers: [{ pid: 4225, reloads: 1 }],
    });
  });

  it('does not count old workers, even when there are several and no current one yet', () => {
    const text = SHOW_PROC_26.replace(/# workers\n4225[^\n]*\n/, '# workers\n').replace(
      '# programs',
      '4101            worker          1               0d00h00m05s     2.6.12\n# programs',
    );
    const info = parseShowProc(text);
    expect(info?.workers).toEqual([]);
    expect(info?.masterPid).toBe(3697);
  });

  it('reads a freshly started master with several workers (nbproc-style output)', () => {
    const text = [
      '#<PID>          <type>          <reloads>       <uptime>        <version>      ',
      '12047           master          0 [failed: 0]   0d00h00m01s     2.6.12-1+deb12u4',
      '# workers',
      '12049           worker          0               0d00h00m01s     2.6.12-1+deb12u4',
      '12050           worker          0               0d00h00m01s     2.6.12-1+deb12u4',
      '# programs',
      '',
    ].join('\n');
    expect(parseShowProc(text)).toEqual({
      masterPid: 12047,
      reloads: 0,
      failed: 0,
      workers: [
        { pid: 12049, reloads: 0 },
        { pid: 12050, reloads: 0 },
      ],
    });
  });

  it('defaults failed to 0 when the version does not print it, and tolerates CRLF', () => {
    const text = [
      '#<PID> <type> <reloads> <uptime> <version>',
      '100 master 2 0d00h00m09s 2.4.22',
      '# workers',
      '101 worker 0 0d00h00m01s 2.4.22',
      '',
    ].join('\r\n');
    expect(parseShowProc(text)).toEqual({ masterPid: 100, reloads: 2, failed: 0, workers: [{ pid: 101, reloads: 0 }] });
  });

  it.each(['', 'Unknown command.\n', '# workers\n4225 worker 1 0d 2.6\n'])(
    'returns null without a master line (%j)',
    (text) => {
      expect(parseShowProc(text)).toBeNull();
    },
  );
});

// `show stat` captured from HAProxy 2.6.12 (blue up, green's port closed); every line ends in ','.
// Lines: header, frontend, blue, green, backend.
const [HEADER_26 = '', FRONTEND_ROW = '', BLUE_ROW = '', GREEN_ROW = '', BACKEND_ROW = ''] = readFileSync(
  fileURLToPath(new URL('../../test/fixtures/haproxy/show-stat-2.6.csv', import.meta.url)),
  'utf8',
).split('\n');
const OTHER_BLUE_ROW = BLUE_ROW.replace('be_web,', 'be_other,').replace('127.0.0.1:18081', '10.9.9.9:1');
const SHOW_STAT_26 = [HEADER_26, FRONTEND_ROW, BLUE_ROW, GREEN_ROW, BACKEND_ROW, OTHER_BLUE_ROW, '', ''].join('\n');

describe('parseShowStat', () => {
  it('reads the servers of one backend by column name', () => {
    expect(parseShowStat(SHOW_STAT_26, 'be_web')).toMatchObject([
      { colour: 'blue', status: 'UP', weight: 100, address: '127.0.0.1:18081', sessions: 3, checkStatus: 'L7OK' },
      { colour: 'green', status: 'DOWN', weight: 0, address: '127.0.0.1:18099', sessions: 0, checkStatus: 'L4CON' },
    ]);
  });

  it('filters by backend and skips FRONTEND/BACKEND rows', () => {
    expect(parseShowStat(SHOW_STAT_26, 'be_other')).toMatchObject([
      { colour: 'blue', status: 'UP', weight: 100, address: '10.9.9.9:1', sessions: 3, checkStatus: 'L7OK' },
    ]);
    expect(parseShowStat(SHOW_STAT_26, 'be_missing')).toEqual([]);
    expect(parseShowStat(SHOW_STAT_26, 'fe_web')).toEqual([]);
  });

  it("reads each server's request counters for the canary (hrsp_*, eresp, econ, wretr, wredis, rtime)", () => {
    const header = '# pxname,svname,status,weight,hrsp_2xx,hrsp_5xx,hrsp_4xx,eresp,econ,wretr,wredis,rtime';
    const text = `${header}\nbe_web,green,UP,10,90,6,4,1,2,3,1,42\n`;
    expect(parseShowStat(text, 'be_web')[0]?.counters).toEqual({
      responses: 100,
      http5xx: 6,
      errResp: 1,
      errConn: 2,
      retries: 3,
      redispatches: 1,
      rtimeMs: 42,
    });
  });

  it('ignores servers that are not colours', () => {
    const extra = BLUE_ROW.replace('be_web,blue,', 'be_web,maintenance,');
    expect(parseShowStat([HEADER_26, extra, GREEN_ROW].join('\n'), 'be_web').map((s) => s.colour)).toEqual(['green']);
  });

  it('keeps status words with spaces, such as a server going down', () => {
    const going = BLUE_ROW.replace(',UP,100,', ',UP 1/2,100,');
    expect(parseShowStat([HEADER_26, going].join('\n'), 'be_web')[0]?.status).toBe('UP 1/2');
  });

  it('finds columns by name whatever their order, and tolerates a missing addr column', () => {
    const text =
      '# svname,pxname,weight,status,scur,check_status\nblue,be_web,0,MAINT,0,\ngreen,be_web,100,UP,7,L6OK\n';
    expect(parseShowStat(text, 'be_web')).toMatchObject([
      { colour: 'blue', status: 'MAINT', weight: 0, address: '', sessions: 0, checkStatus: '' },
      { colour: 'green', status: 'UP', weight: 100, address: '', sessions: 7, checkStatus: 'L6OK' },
    ]);
  });

  it('returns nothing without a header', () => {
    expect(parseShowStat('', 'be_web')).toEqual([]);
    expect(parseShowStat([BLUE_ROW, GREEN_ROW].join('\n'), 'be_web')).toEqual([]);
  });
});

describe('splitCsvLine', () => {
  it('keeps quoted commas and doubled quotes inside one field', () => {
    expect(splitCsvLine('be,blue,"L7 said ""no, thanks""",UP')).toEqual(['be', 'blue', 'L7 said "no, thanks"', 'UP']);
    expect(splitCsvLine('a,,b')).toEqual(['a', '', 'b']);
  });
});
