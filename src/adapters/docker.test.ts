import { describe, expect, it } from 'vitest';
import { toColourEvent } from './docker-event-stream.js';

// Lines of Docker's /events stream, as the engine writes them (abridged).
const event = (action: string, attributes: Record<string, string>) =>
  JSON.stringify({ Type: 'container', Action: action, Actor: { ID: 'abc', Attributes: attributes } });

describe('toColourEvent', () => {
  it('reads die with the exit code, and the health changes', () => {
    const died = { name: 'web-blue', 'linkswitch.service': 'web', 'linkswitch.colour': 'blue', exitCode: '137' };
    expect(toColourEvent(event('die', died))).toEqual({
      service: 'web',
      colour: 'blue',
      container: 'web-blue',
      action: 'die',
      exitCode: 137,
    });
    expect(
      toColourEvent(event('health_status: unhealthy', { name: 'web-green', 'linkswitch.colour': 'green' })),
    ).toMatchObject({ colour: 'green', action: 'unhealthy', exitCode: null });
    expect(
      toColourEvent(event('health_status: healthy', { name: 'web-green', 'linkswitch.colour': 'green' }))?.action,
    ).toBe('healthy');
    expect(toColourEvent(event('start', { name: 'web-green', 'linkswitch.colour': 'green' }))?.action).toBe('start');
  });

  it('ignores other actions, containers without a colour label, and garbage', () => {
    expect(toColourEvent(event('exec_start: sh', { 'linkswitch.colour': 'blue' }))).toBeNull();
    expect(toColourEvent(event('die', { name: 'other' }))).toBeNull();
    expect(toColourEvent(event('die', { 'linkswitch.colour': 'purple' }))).toBeNull();
    expect(toColourEvent('{"Action": "die"')).toBeNull();
  });
});
