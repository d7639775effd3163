import { z } from 'zod';
import { COLOURS, type Colour } from './colour.js';
import { StateError, StateMismatchError, StateUnreadableError } from './errors.js';

// The state file is the single record of which colour is linked. It is parsed strictly: a file
// we do not understand is an error for a person to look at, never something to overwrite.

export const STATE_VERSION = 1;

const colourRecord = z
  .object({
    image: z.string().min(1),
    container: z.string().min(1),
    deployedAt: z.string(),
  })
  .strict();

const stateSchema = z
  .object({
    version: z.literal(STATE_VERSION),
    service: z.string().min(1),
    linked: z.enum(COLOURS),
    generation: z.number().int().min(0),
    lastSwitchAt: z.string().nullable(),
    colours: z.object({ blue: colourRecord.nullable(), green: colourRecord.nullable() }).strict(),
    // Set while a deploy is in flight, so an interrupted deploy can be recognised afterwards.
    pending: z
      .object({
        colour: z.enum(COLOURS),
        image: z.string(),
        startedAt: z.string(),
        phase: z.string(),
        // A canary in progress: its step and the share of traffic the new colour has now.
        canary: z
          .object({ step: z.number().int(), of: z.number().int(), percent: z.number(), since: z.string() })
          .strict()
          .optional(),
      })
      .strict()
      .nullable(),
    // Which engine runs the colours; absent in files from before it was recorded. Last, so a
    // file read and written again keeps its bytes.
    engine: z.enum(['container', 'swarm']).optional(),
  })
  .strict();

export type ColourRecord = z.infer<typeof colourRecord>;
export type State = z.infer<typeof stateSchema>;

export function initialState(service: string): State {
  return {
    version: STATE_VERSION,
    service,
    linked: 'blue',
    generation: 0,
    lastSwitchAt: null,
    colours: { blue: null, green: null },
    pending: null,
  };
}

/** Parses the file's text; every way it can be wrong is a StateError naming the file. */
export function parseState(text: string, file: string, service: string, engine?: 'container' | 'swarm'): State {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new StateUnreadableError(`state file ${file} is not valid JSON (truncated or corrupted)`, {
      fix:
        'run `linkswitch up`: it rebuilds the state from the running stack and keeps this file aside ' +
        '(or restore the file from a backup)',
    });
  }
  const version = (raw as { version?: unknown } | null)?.version;
  if (version !== STATE_VERSION) {
    throw new StateError(
      `state file ${file} has unsupported version ${JSON.stringify(version)} (this linkswitch reads version ` +
        `${STATE_VERSION})`,
      {
        fix:
          'use the linkswitch version that wrote it, or move the file away: `linkswitch up` then rebuilds ' +
          'the state from the running stack',
      },
    );
  }
  const result = stateSchema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join('.') || '(top level)'}: ${i.message}`).join('; ');
    throw new StateUnreadableError(`state file ${file} is invalid: ${problems}`, {
      fix:
        'repair the named fields (linked must be "blue" or "green"), or run `linkswitch up` to rebuild ' +
        'the state from the running stack (this file is kept aside)',
    });
  }
  if (result.data.service !== service) {
    throw new StateMismatchError(`state file ${file} belongs to service "${result.data.service}", not "${service}"`, {
      fix: 'give each service its own state.file in the config',
    });
  }
  if (engine && result.data.engine && result.data.engine !== engine) {
    throw new StateMismatchError(
      `state file ${file} was written by the ${result.data.engine} engine, but the config selects ${engine}`,
      { fix: 'give each engine its own state.file, or bring the stack down with the engine that runs it first' },
    );
  }
  return result.data;
}

export function serializeState(state: State): string {
  return `${JSON.stringify(state, null, 2)}\n`;
}

/** The state after traffic moved to `colour`. */
export function withLinked(state: State, colour: Colour, at: Date): State {
  return { ...state, linked: colour, generation: state.generation + 1, lastSwitchAt: at.toISOString() };
}
