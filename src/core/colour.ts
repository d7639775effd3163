// The two colours of a Tutum-style blue/green pair: exactly one is linked (serves traffic).
export const COLOURS = ['blue', 'green'] as const;
export type Colour = (typeof COLOURS)[number];

export function otherColour(colour: Colour): Colour {
  return colour === 'blue' ? 'green' : 'blue';
}

export function isColour(value: unknown): value is Colour {
  return value === 'blue' || value === 'green';
}
