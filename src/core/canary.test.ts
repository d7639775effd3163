import { describe, expect, it } from 'vitest';
import { DEFAULT_CANARY, judge, type ServerCounters, stepWeights, windowFigures, ZERO_COUNTERS } from './canary.js';

const at = (over: Partial<ServerCounters> = {}): ServerCounters => ({ ...ZERO_COUNTERS, rtimeMs: 5, ...over });

describe('canary judgement', () => {
  it('counts what happened in the window: responses, 5xx, response and connection errors, retries', () => {
    const figures = windowFigures(
      at({ responses: 100, http5xx: 2, errConn: 1 }),
      at({ responses: 150, http5xx: 7, errConn: 3, errResp: 1, retries: 4, redispatches: 1, rtimeMs: 9 }),
    );
    expect(figures).toEqual({ attempts: 53, errors: 8, errorRate: 8 / 53, retries: 5, rtimeMs: 9 });
  });

  it('waits for the minimum request count before judging', () => {
    const fresh = windowFigures(at(), at({ responses: 19, http5xx: 19 }));
    expect(judge(fresh, windowFigures(at(), at({ responses: 500 })), DEFAULT_CANARY)).toEqual({
      kind: 'wait',
      reason: '19 of 20 requests to judge on',
    });
  });

  it('aborts on an error rate above the old colour’s plus the margin, and says by how much', () => {
    const old = windowFigures(at(), at({ responses: 1000, http5xx: 10 }));
    const bad = windowFigures(at(), at({ responses: 40, http5xx: 10 }));
    const verdict = judge(bad, old, DEFAULT_CANARY);
    expect(verdict).toMatchObject({ kind: 'abort', figure: 'error rate' });
    expect(verdict.kind === 'abort' && verdict.detail).toBe(
      '25.0% of 40 requests failed on the new colour (10 errors, 0 retried elsewhere) against 1.0% on the old colour; the limit is +2.0%',
    );
    // Within the margin: 2.5% against 1%.
    expect(judge(windowFigures(at(), at({ responses: 200, http5xx: 5 })), old, DEFAULT_CANARY)).toEqual({ kind: 'ok' });
  });

  it('aborts on a response time over the ratio only when the increase is more than noise', () => {
    const old = windowFigures(at(), at({ responses: 500, rtimeMs: 10 }));
    expect(judge(windowFigures(at(), at({ responses: 50, rtimeMs: 160 })), old, DEFAULT_CANARY)).toMatchObject({
      kind: 'abort',
      figure: 'response time',
    });
    // ×3 but only +20 ms: noise.
    expect(judge(windowFigures(at(), at({ responses: 50, rtimeMs: 30 })), old, DEFAULT_CANARY)).toEqual({ kind: 'ok' });
    // +40 ms but ×1.4: within the ratio.
    const slowOld = windowFigures(at(), at({ responses: 500, rtimeMs: 100 }));
    expect(judge(windowFigures(at(), at({ responses: 50, rtimeMs: 140 })), slowOld, DEFAULT_CANARY)).toEqual({
      kind: 'ok',
    });
  });

  it('turns a percentage into weights that sum to 100', () => {
    expect(stepWeights(1)).toEqual({ fresh: 1, old: 99 });
    expect(stepWeights(50)).toEqual({ fresh: 50, old: 50 });
    expect(stepWeights(12.6)).toEqual({ fresh: 13, old: 87 });
  });
});
