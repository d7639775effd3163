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
    const text =
      '#<PID> <type> <reloads> <uptime> <version>\r\n100 master 2 0d00h00m09s 2.4.22\r\n# workers\r\n101 worker 0 0d00h00m01s 2.4.22\r\n';
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
const HEADER_26 =
  '# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status,weight,act,bck,chkfail,chkdown,lastchg,downtime,qlimit,pid,iid,sid,throttle,lbtot,tracked,type,rate,rate_lim,rate_max,check_status,check_code,check_duration,hrsp_1xx,hrsp_2xx,hrsp_3xx,hrsp_4xx,hrsp_5xx,hrsp_other,hanafail,req_rate,req_rate_max,req_tot,cli_abrt,srv_abrt,comp_in,comp_out,comp_byp,comp_rsp,lastsess,last_chk,last_agt,qtime,ctime,rtime,ttime,agent_status,agent_code,agent_duration,check_desc,agent_desc,check_rise,check_fall,check_health,agent_rise,agent_fall,agent_health,addr,cookie,mode,algo,conn_rate,conn_rate_max,conn_tot,intercepted,dcon,dses,wrew,connect,reuse,cache_lookups,cache_hits,srv_icur,src_ilim,qtime_max,ctime_max,rtime_max,ttime_max,eint,idle_conn_cur,safe_conn_cur,used_conn_cur,need_conn_est,uweight,agg_server_status,agg_server_check_status,agg_check_status,-,ssl_sess,ssl_reused_sess,ssl_failed_handshake,h2_headers_rcvd,h2_data_rcvd,h2_settings_rcvd,h2_rst_stream_rcvd,h2_goaway_rcvd,h2_detected_conn_protocol_errors,h2_detected_strm_protocol_errors,h2_rst_stream_resp,h2_goaway_resp,h2_open_connections,h2_backend_open_streams,h2_total_connections,h2_backend_total_streams,h1_open_connections,h1_open_streams,h1_total_connections,h1_total_streams,h1_bytes_in,h1_bytes_out,h1_spliced_bytes_in,h1_spliced_bytes_out,';
const FRONTEND_ROW =
  'fe_web,FRONTEND,,,0,0,9979,0,0,0,0,0,0,,,,,OPEN,,,,,,,,,1,2,0,,,,0,0,0,0,,,,0,0,0,0,0,0,,0,0,0,,,0,0,0,0,,,,,,,,,,,,,,,,,,,,,http,,0,0,0,0,0,0,0,,,0,0,,,,,,,0,,,,,,,,,-,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,';
const BLUE_ROW =
  'be_web,blue,0,0,3,5,,0,0,0,,0,,0,0,0,0,UP,100,1,0,0,0,1,0,,1,3,1,,0,,2,0,,0,L7OK,200,2,0,0,0,0,0,0,,,,0,0,0,,,,,-1,,,0,0,0,0,,,,Layer7 check passed,,1,2,2,,,,127.0.0.1:18081,,http,,,,,,,,0,0,0,,,0,,0,0,0,0,0,0,0,0,1,100,,,,-,0,0,0,,,,,,,,,,,,,,,,,,,,,,';
const GREEN_ROW =
  'be_web,green,0,0,0,0,,0,0,0,,0,,0,0,0,0,DOWN,0,1,0,1,1,1,1,,1,3,2,,0,,2,0,,0,L4CON,,0,0,0,0,0,0,0,,,,0,0,0,,,,,-1,Connection refused,,0,0,0,0,,,,Layer4 connection problem,,1,2,0,,,,127.0.0.1:18099,,http,,,,,,,,0,0,0,,,0,,0,0,0,0,0,0,0,0,1,0,,,,-,0,0,0,,,,,,,,,,,,,,,,,,,,,,';
const BACKEND_ROW =
  'be_web,BACKEND,0,0,3,5,998,0,0,0,0,0,,0,0,0,0,UP,100,1,0,,0,1,0,,1,3,0,,0,,1,0,,0,,,,0,0,0,0,0,0,,,,0,0,0,0,0,0,0,-1,,,0,0,0,0,,,,,,,,,,,,,,http,roundrobin,,,,,,,0,0,0,0,0,,,0,0,0,0,0,,,,,100,0,0,0,-,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,17,17,693,216,0,0,';
const OTHER_BLUE_ROW = BLUE_ROW.replace('be_web,', 'be_other,').replace('127.0.0.1:18081', '10.9.9.9:1');
const SHOW_STAT_26 = [HEADER_26, FRONTEND_ROW, BLUE_ROW, GREEN_ROW, BACKEND_ROW, OTHER_BLUE_ROW, '', ''].join('\n');

describe('parseShowStat', () => {
  it('reads the servers of one backend by column name', () => {
    expect(parseShowStat(SHOW_STAT_26, 'be_web')).toEqual([
      { colour: 'blue', status: 'UP', weight: 100, address: '127.0.0.1:18081', sessions: 3, checkStatus: 'L7OK' },
      { colour: 'green', status: 'DOWN', weight: 0, address: '127.0.0.1:18099', sessions: 0, checkStatus: 'L4CON' },
    ]);
  });

  it('filters by backend and skips FRONTEND/BACKEND rows', () => {
    expect(parseShowStat(SHOW_STAT_26, 'be_other')).toEqual([
      { colour: 'blue', status: 'UP', weight: 100, address: '10.9.9.9:1', sessions: 3, checkStatus: 'L7OK' },
    ]);
    expect(parseShowStat(SHOW_STAT_26, 'be_missing')).toEqual([]);
    expect(parseShowStat(SHOW_STAT_26, 'fe_web')).toEqual([]);
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
    expect(parseShowStat(text, 'be_web')).toEqual([
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
