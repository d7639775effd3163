import { describe, expect, it } from 'vitest';
import { container, deployedState, fakes } from '../../test/support/core-fakes.js';
import { AmbiguousWorldError, StateUnreadableError } from './errors.js';
import { renderCurrent, status, up } from './service.js';

// `up` without a usable state file over a stack that serves: the state is rebuilt from the
// running stack and recorded; traffic never moves; an ambiguous world changes nothing.

const liveConfig = (blue: number, green: number) =>
  `backend be_web\n    server blue 127.0.0.1:32001 weight ${blue}\n    server green 127.0.0.1:32002 weight ${green}\n`;

function servingGreen(state: ReturnType<typeof deployedState> | null) {
  const f = fakes(state, {
    blue: container('blue', 'app:1', 'healthy'),
    green: container('green', 'app:2', 'healthy'),
  });
  f.haproxy.weights = { blue: 0, green: 100 };
  f.configFile.text = liveConfig(0, 100);
  return f;
}

describe('up without a usable state file', () => {
  it('adopts the linked colour from HAProxy and records it; no weight changes, no container created', async () => {
    const f = servingGreen(null);
    const result = await up(f.svc);
    expect(result.adopted).toBe(
      "adopted the running stack from HAProxy's live weights: green linked (app:2), generation 1",
    );
    expect(f.store.writes[0]).toMatchObject({
      linked: 'green',
      colours: { green: { image: 'app:2' }, blue: { image: 'app:1' } },
    });
    expect(f.store.state?.linked).toBe('green');
    expect(f.haproxy.weightCalls).toEqual([]);
    // Nothing created or removed: only what an interrupted deploy may have renamed is looked for.
    expect(f.docker.calls).toEqual(['removeRetired blue', 'removeRetired green']);
    expect(f.events).toContain(
      "warn: State file missing: adopted the running stack from HAProxy's live weights: " +
        'green linked (app:2), generation 1',
    );
  });

  it('an unreadable state file is moved aside and rebuilt the same way', async () => {
    const f = servingGreen(deployedState());
    f.store.unreadable = true;
    await up(f.svc);
    expect(f.store.quarantined).toBe(1);
    expect(f.store.state?.linked).toBe('green');
  });

  it('an unreadable state file with nothing running stays an error, and nothing is written', async () => {
    const f = fakes(deployedState(), { blue: null, green: null }, { haproxyRunning: false });
    f.configFile.text = null;
    f.store.unreadable = true;
    await expect(up(f.svc)).rejects.toBeInstanceOf(StateUnreadableError);
    expect(f.store.writes).toEqual([]);
    expect(f.store.quarantined).toBe(0);
  });

  it('an ambiguous world (both colours weighted) is refused: nothing written, started or moved', async () => {
    const f = servingGreen(null);
    f.haproxy.weights = { blue: 100, green: 100 };
    await expect(up(f.svc)).rejects.toBeInstanceOf(AmbiguousWorldError);
    expect(f.store.writes).toEqual([]);
    expect(f.haproxy.weightCalls).toEqual([]);
    expect(f.haproxy.calls).toEqual([]);
    expect(f.docker.calls).toEqual([]);
  });

  it('dry-run and render show the adopted colour without writing the state', async () => {
    const f = servingGreen(null);
    const plan = await up(f.svc, { dryRun: true });
    expect(plan.adopted).toMatch(/green linked/);
    const rendered = await renderCurrent(f.svc);
    expect(rendered.linked).toBe('green');
    expect(f.store.writes).toEqual([]);
  });

  it('nothing running at all: a fresh stack, blue linked, as before', async () => {
    const f = fakes(null, { blue: null, green: null }, { haproxyRunning: false });
    f.configFile.text = null;
    const result = await up(f.svc);
    expect(result.adopted).toBeUndefined();
    expect(result.state.linked).toBe('blue');
  });

  it('with HAProxy down, the adopted linked colour is gated on its health again before HAProxy starts', async () => {
    const f = servingGreen(null);
    f.haproxy.isRunning = false;
    const result = await up(f.svc);
    expect(result.adopted).toMatch(/from the live haproxy.cfg \(HAProxy is not running\): green linked/);
    const kinds = result.plan.map((s) => s.kind);
    expect(kinds.indexOf('wait-healthy')).toBeGreaterThanOrEqual(0);
    expect(kinds.indexOf('wait-healthy')).toBeLessThan(kinds.indexOf('start-haproxy'));
  });

  it('status without a state file says what up would adopt, or why it would refuse, and writes nothing', async () => {
    const f = servingGreen(null);
    expect((await status(f.svc)).adoptable).toMatch(
      /^adopted the running stack from HAProxy's live weights: green linked/,
    );
    f.haproxy.weights = { blue: 100, green: 100 };
    expect((await status(f.svc)).adoptable).toMatch(/^up would refuse: .*both colours weight/);
    expect(f.store.writes).toEqual([]);
  });
});
