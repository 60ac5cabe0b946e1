/**
 * The text form of a schedule, as the command line and spec files write it:
 *
 *     constant | step:every=<d>,factor=<f> | exp:every=<d>,factor=<f>
 *     | cosine[:period=<d>,min=<f>,mult=<m>] | onecycle[:pct=<p>,div=<d>,final=<f>]
 *
 * optionally after `warmup:<d>[,from=<f>]+` (a warm-up alone warms up to the constant peak), where a
 * duration <d> is a number of updates (`500`) or of epochs (`2ep`). Each schedule's label is this
 * form, so parseLrSchedule(s.label) gives s back.
 */
import { constantRate, cosine, exponentialDecay, oneCycle, stepDecay } from './shapes';
import type { Duration, LrSchedule } from './schedule';
import { warmup } from './warmup';

/** Each shape's settings: their names and whether a number or a duration. */
const SETTINGS: Record<string, Record<string, 'number' | 'duration'>> = {
  constant: {},
  step: { every: 'duration', factor: 'number' },
  exp: { every: 'duration', factor: 'number' },
  cosine: { period: 'duration', min: 'number', mult: 'number' },
  onecycle: { pct: 'number', div: 'number', final: 'number' },
  warmup: { from: 'number' },
};

type Settings = Record<string, number | Duration>;

/** Parses the text form above; errors name the text and the part that is wrong. */
export function parseLrSchedule(text: string): LrSchedule {
  try {
    const parts = text.trim().split('+');
    const last = parts[parts.length - 1];
    let schedule = /^warmup(:|$)/.test(last) ? warmupOf(last, constantRate()) : shapeOf(last);
    for (const part of parts.slice(0, -1).reverse()) {
      if (!/^warmup(:|$)/.test(part)) throw new Error(`only a warm-up may come before '+', got ${part}`);
      schedule = warmupOf(part, schedule);
    }
    return schedule;
  } catch (error) {
    throw new Error(`lr schedule "${text}": ${(error as Error).message}; ${LR_SCHEDULE_SYNTAX}`);
  }
}

/** A one-line reminder of the syntax, for errors and --help. */
export const LR_SCHEDULE_SYNTAX =
  'expected [warmup:<d>[,from=<f>]+]constant | step:every=<d>,factor=<f> | exp:every=<d>,factor=<f> | cosine[:period=<d>,min=<f>,mult=<m>] | onecycle[:pct=<p>,div=<d>,final=<f>], <d> a number of updates or <n>ep';

/**
 * Splits a comma-separated list of schedules, whose own settings are comma-separated too: a part
 * that is a `key=value` setting belongs to the schedule before it; any other part starts one.
 * @example splitLrSchedules('constant,cosine:min=0.1,mult=2') // ['constant', 'cosine:min=0.1,mult=2']
 */
export function splitLrSchedules(text: string): string[] {
  const list: string[] = [];
  for (const part of text.split(',').map((p) => p.trim())) {
    const setting = /^[a-z]+=/.test(part);
    if (list.length > 0 && setting) list[list.length - 1] += `,${part}`;
    else list.push(part);
  }
  return list;
}

function warmupOf(part: string, then: LrSchedule): LrSchedule {
  const [length, ...rest] = part.slice('warmup:'.length).split(',');
  if (part === 'warmup' || length === '') throw new Error('warmup needs a length: warmup:<updates> or warmup:<n>ep');
  const { from } = settingsOf('warmup', rest);
  return warmup(durationOf('warmup length', length), then, { from: from as number | undefined });
}

function shapeOf(part: string): LrSchedule {
  const colon = part.indexOf(':');
  const name = colon < 0 ? part : part.slice(0, colon);
  const given = colon < 0 ? [] : part.slice(colon + 1).split(',');
  if (!(name in SETTINGS) || name === 'warmup') throw new Error(`unknown schedule ${name || '(empty)'}`);
  const s = settingsOf(name, given);
  switch (name) {
    case 'step':
    case 'exp': {
      if (s.every === undefined || s.factor === undefined) throw new Error(`${name} needs every=<d> and factor=<f>`);
      const decay = { every: s.every, factor: s.factor as number };
      return name === 'step' ? stepDecay(decay) : exponentialDecay(decay);
    }
    case 'cosine':
      return cosine({ period: s.period as Duration | undefined, min: s.min as number, mult: s.mult as number });
    case 'onecycle':
      return oneCycle({ pct: s.pct as number, div: s.div as number, finalDiv: s.final as number });
    default:
      return constantRate();
  }
}

/** `key=value` settings of `name`, each checked against the names it takes. */
function settingsOf(name: string, parts: string[]): Settings {
  const known = SETTINGS[name];
  const settings: Settings = {};
  for (const part of parts) {
    const [key, value, extra] = part.split('=');
    if (!(key in known) || value === undefined || extra !== undefined) {
      const takes = Object.keys(known);
      throw new Error(
        `${name} does not take ${part || '(empty)'} (${takes.length ? `settings: ${takes.map((k) => `${k}=`).join(', ')}` : 'no settings'})`,
      );
    }
    if (key in settings) throw new Error(`${name}: ${key} given twice`);
    settings[key] = known[key] === 'duration' ? durationOf(`${name} ${key}`, value) : numberOf(`${name} ${key}`, value);
  }
  return settings;
}

function numberOf(what: string, text: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n)) throw new Error(`${what} must be a number, got ${text || '(empty)'}`);
  return n;
}

/** `500` (updates) or `2ep` (epochs). */
function durationOf(what: string, text: string): Duration {
  const match = /^([0-9]+)(ep)?$/.exec(text);
  if (!match) throw new Error(`${what} must be <updates> or <n>ep, got ${text || '(empty)'}`);
  return match[2] ? { epochs: Number(match[1]) } : Number(match[1]);
}
