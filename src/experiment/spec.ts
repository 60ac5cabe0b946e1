/**
 * The experiment specification: which factors to cross, on what data, under which budget, as
 * given on the command line or in a JSON/YAML file. Owns validation (with zod, so a bad file gets an
 * error naming the field), defaults and presets; expanding into cells is cells.ts's job.
 */
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { parseStrategy, Strategy } from '../batching';
import { ALL_BACKENDS, BACKEND_CHOICES, BackendName } from '../backend';
import { BnAccumulation, LrSchedule, OPTIMIZER_NAMES, parseLrSchedule, resolveBnAccumulation } from '../training';
import { BN_CONVENTIONS, BatchRenorm, BnConvention, MODEL_NAMES, parseBatchRenorm, takesBatchNorm } from '../../models';
import { Budget, budgetLimitProblem, parseBudget } from './budget';
import { BnVariant, parseBnVariant } from './bn-variants';
import { InputError } from '../data/input-error';

function isStrategy(value: unknown): value is Strategy {
  return typeof value === 'object' && value !== null && typeof (value as Strategy).batches === 'function';
}

/**
 * Each field is parsed here, once, into what the runner uses (a Strategy, a Budget, an LrRule); the
 * resolved forms are accepted as input too, so a resolved spec, or its JSON as written to spec.json
 * and sent to workers, resolves to itself.
 */
const strategy = z.union([z.string(), z.custom<Strategy>(isStrategy)]).transform((value, ctx) => {
  if (typeof value !== 'string') return value;
  try {
    return parseStrategy(value);
  } catch (error) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: (error as Error).message });
    return z.NEVER;
  }
});

const lrSchedule = z
  .union([z.string(), z.custom<LrSchedule>((v) => typeof (v as LrSchedule | null)?.resolve === 'function')])
  .transform((value, ctx) => {
    if (typeof value !== 'string') return value;
    try {
      return parseLrSchedule(value);
    } catch (error) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: (error as Error).message });
      return z.NEVER;
    }
  });
/** Samples, batch and chunk sizes above this are refused (no data set batchlab loads is near it). */
export const MAX_SAMPLES = 1_000_000_000;
/** Seeds per configuration, as a count or a list. */
export const MAX_SEEDS = 1000;
/** Learning rates above this are refused, as the command line's --lr refuses them. */
export const MAX_LEARNING_RATE = 10;

/** A refinement that refuses values above `max`, naming the bound (in `unit`, if any) and the value. */
function atMost(max: number, unit = '') {
  const message = (value: number) => ({ message: `at most ${max}${unit && ` ${unit}`}, got ${value}` });
  return [(value: number) => value <= max, message] as const;
}

const resolvedBudget = z.union([
  z.object({ kind: z.literal('epochs'), epochs: z.number().int().positive() }).strict(),
  z.object({ kind: z.literal('updates'), updates: z.number().int().positive() }).strict(),
  z.object({ kind: z.literal('seconds'), seconds: z.number().positive() }).strict(),
]);

const budgetValue = (b: Budget) => (b.kind === 'epochs' ? b.epochs : b.kind === 'updates' ? b.updates : b.seconds);

const budget = z.union([z.number().int().positive(), z.string(), resolvedBudget]).transform((value, ctx): Budget => {
  if (typeof value === 'object') {
    const problem = budgetLimitProblem(value.kind, budgetValue(value));
    if (problem) ctx.addIssue({ code: z.ZodIssueCode.custom, message: problem });
    return value;
  }
  try {
    return parseBudget(String(value));
  } catch (error) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: (error as Error).message });
    return z.NEVER;
  }
});

/** Turns a parser's error into an issue on the field it parses. */
function parsed<T>(parse: (value: string) => T) {
  return (value: string, ctx: z.RefinementCtx): T => {
    try {
      return parse(value);
    } catch (error) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: (error as Error).message });
      return z.NEVER;
    }
  };
}

const bnVariant = z.string().transform(parsed<BnVariant>(parseBnVariant));

/** `rMax=3,dMax=5,relaxFrom=5000,rMaxAt=40000,dMaxAt=25000` (any subset), or those fields as an object. */
const batchRenorm = z
  .union([
    z.string(),
    z
      .object({
        rMax: z.number(),
        dMax: z.number(),
        relaxFrom: z.number(),
        rMaxAt: z.number(),
        dMaxAt: z.number(),
      })
      .partial()
      .strict(),
  ])
  .transform((value, ctx): BatchRenorm => {
    const text =
      typeof value === 'string'
        ? value
        : Object.entries(value)
            .map(([key, v]) => `${key}=${v}`)
            .join(',');
    return parsed(parseBatchRenorm)(text, ctx);
  });
/** A count of samples: a limit, a micro-batch, a reference batch. */
const sampleCount = z
  .number()
  .int()
  .positive()
  .refine(...atMost(MAX_SAMPLES, 'samples'));

/** A seed, as deriveSeed takes it: a 32-bit unsigned integer. */
const seed = z
  .number()
  .int()
  .min(0)
  .refine(...atMost(2 ** 32 - 1));

const lrRule = z.union([
  z.object({ kind: z.literal('fixed') }).strict(),
  z.object({ kind: z.literal('linear'), referenceBatch: sampleCount }).strict(),
  z.literal('fixed').transform(() => ({ kind: 'fixed' as const })),
  z
    .object({ linear: z.object({ referenceBatch: sampleCount }).strict() })
    .strict()
    .transform((v) => ({ kind: 'linear' as const, referenceBatch: v.linear.referenceBatch })),
]);

export const experimentSpecSchema = z
  .object({
    /** Shown in the report. */
    name: z.string().min(1).default('batchlab experiment'),
    data: z.string().min(1).default('fashion-mnist-small'),
    dataDir: z.string().optional(),
    /** Use only the first n training samples. */
    limit: sampleCount.optional(),
    models: z.array(z.enum(MODEL_NAMES)).nonempty().default(['mlp']),
    strategies: z.array(strategy).nonempty().default(['full', 'sgd', 'mini:32', 'mini:128']),
    batchNorm: z.enum(['on', 'off', 'both']).default('both'),
    /** What the BN cells normalise with: `plain`, `ghost:<g>`, `renorm`, each a cell. */
    bnVariants: z.array(bnVariant).nonempty().default(['plain']),
    /** Whose BatchNorm definitions the BN cells follow (models' bnConvention), each a cell. */
    bnConventions: z
      .array(z.enum(BN_CONVENTIONS as [BnConvention, ...BnConvention[]]))
      .nonempty()
      .default(['keras']),
    /** The renorm cells' schedule. Default: the paper's (rMax 3, dMax 5, relaxed from 5000 to 40000 and 25000 updates). */
    batchRenorm: batchRenorm.default(''),
    /** Train ghost BN whose groups do not divide every batch, the last group shorter, instead of recording a refusal. */
    allowShortGhostBatch: z.boolean().default(false),
    /**
     * BatchNorm under micro-batches smaller than the batch, each a cell of plain BN: `chunk` (each chunk
     * normalised on its own, ghost BN with g = the micro-batch) or `exact` (over the whole batch).
     */
    bnAccumulations: z
      .array(z.string().transform(parsed<BnAccumulation>(resolveBnAccumulation)))
      .nonempty()
      .refine(
        (modes) => new Set(modes).size === modes.length,
        (modes) => ({ message: `each mode once, got ${modes.join(',')}` }),
      )
      .default(['chunk']),
    /** cnn cells with BN: BN in the dense head too (false: in the convolutions only). Default: true. */
    headBatchNorm: z.boolean().optional(),
    /** mlp cells: units of each hidden layer, e.g. eight layers of 64 to watch depth. Default: the mlp's [256, 128]. */
    hidden: z
      .array(
        z
          .number()
          .int()
          .positive()
          .refine(...atMost(MAX_SAMPLES, 'units')),
      )
      .nonempty()
      .optional(),
    /** A number of seeds (0..n-1) or the seeds themselves. */
    seeds: z
      .union([
        z
          .number()
          .int()
          .positive()
          .refine(...atMost(MAX_SEEDS, 'seeds per configuration')),
        z
          .array(seed)
          .nonempty()
          .max(MAX_SEEDS, { message: `at most ${MAX_SEEDS} seeds per configuration` }),
      ])
      .default(1),
    optimizers: z
      .array(z.enum(OPTIMIZER_NAMES as [string, ...string[]]))
      .nonempty()
      .default(['adam']),
    /** Base learning rates; default: each optimizer's own default. */
    learningRates: z
      .array(
        z
          .number()
          .positive()
          .refine(...atMost(MAX_LEARNING_RATE)),
      )
      .nonempty()
      .optional(),
    /** `epochs:<n>` (or a number), `updates:<n>`, `seconds:<s>`. Default: 2 epochs (the default experiment's SGD runs make 6000 updates an epoch). */
    budget: budget.default(2),
    /** `fixed`, or `{ linear: { referenceBatch: 32 } }`: lr = base * batch / referenceBatch. */
    lrRule: lrRule.default('fixed'),
    /** Learning-rate schedules (the text form of schedules/parse.ts), a factor; default: none. */
    lrSchedules: z.array(lrSchedule).nonempty().optional(),
    /** Gradient clipping for every run: the largest global norm, the largest element. */
    clipNorm: z.number().positive().optional(),
    clipValue: z.number().positive().optional(),
    /** Gradient-accumulation chunk for full and mini-batch strategies. */
    microBatch: sampleCount.optional(),
    /** Accuracy whose time to reach is reported. */
    target: z.number().gt(0).lte(1).optional(),
    /** Checkpoints (gradient noise, layer statistics) besides the initial weights. */
    checkpoints: z.number().int().min(0).max(20).default(3),
    /** Train dense BN with one-sample batches (to watch it collapse) instead of recording a refusal. */
    allowBatchNormBatchOfOne: z.boolean().default(false),
    backend: z.enum(BACKEND_CHOICES as [string, ...string[]]).default('auto'),
    /**
     * Backends as a factor: each cell runs on each of them, in worker processes of their own, from
     * the same initial weights and batches. Those that do not start here are reported and left out.
     * Default: none (the one `backend`).
     */
    backends: z
      .array(z.enum(ALL_BACKENDS as [BackendName, ...BackendName[]]))
      .nonempty()
      .refine(
        (names) => new Set(names).size === names.length,
        (names) => ({ message: `each backend once, got ${names.join(',')}` }),
      )
      .optional(),
  })
  .strict()
  .superRefine((spec, ctx) => {
    // A resolved spec keeps backend's default beside backends, so only another backend conflicts.
    if (spec.backends && spec.backend !== 'auto') {
      const message = `backend ${spec.backend} and backends ${spec.backends.join(',')} exclude each other: give one`;
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['backends'], message });
    }
    const noBn = spec.models.filter((m) => !takesBatchNorm(m));
    if (spec.batchNorm === 'on' && noBn.length > 0) {
      const message = `on: ${noBn.join(', ')} has no hidden layers, so no BatchNorm; use both (its runs are without BN) or leave it out`;
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['batchNorm'], message });
    }
    if (spec.headBatchNorm !== undefined && (!spec.models.includes('cnn') || spec.batchNorm === 'off')) {
      const message = 'applies to cnn cells with BatchNorm: add cnn to models and BatchNorm on or both';
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['headBatchNorm'], message });
    }
    if (spec.hidden !== undefined && !spec.models.includes('mlp')) {
      const message = `applies to mlp cells: add mlp to models (${spec.models.join(', ')} take no hidden sizes)`;
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['hidden'], message });
    }
    // A seconds budget gives no run length in updates for a schedule to stretch over.
    if (spec.budget.kind !== 'seconds') return;
    spec.lrSchedules?.forEach((schedule, i) => {
      if (schedule.spansRun)
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          path: ['lrSchedules', i],
          message: `${schedule.label} stretches over the run, which a seconds budget leaves without a length in updates; give the schedule a period, or use an epochs or updates budget`,
        });
    });
  });

export type ExperimentSpecInput = z.input<typeof experimentSpecSchema>;
export type ExperimentSpec = z.output<typeof experimentSpecSchema>;

/**
 * Specs written before the BN convention and the accumulation mode became factors name one value,
 * `bnConvention`, `bnAccumulation`: read as the one-value lists `bnConventions`, `bnAccumulations`,
 * so that their experiment directories resume. A list given too wins.
 */
function upgradeSpecInput(input: unknown): unknown {
  if (typeof input !== 'object' || input === null) return input;
  let spec = input as Record<string, unknown>;
  for (const [single, list] of [
    ['bnConvention', 'bnConventions'],
    ['bnAccumulation', 'bnAccumulations'],
  ]) {
    if (!(single in spec)) continue;
    const { [single]: value, ...rest } = spec;
    spec = list in rest ? rest : { ...rest, [list]: [value] };
  }
  return spec;
}

/** Validates a spec, naming each bad field as `where: field.path: problem`. */
export function resolveSpec(input: unknown, where = 'spec'): ExperimentSpec {
  const result = experimentSpecSchema.safeParse(upgradeSpecInput(input));
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `${where}: ${formatPath(issue.path)}: ${issue.message}`);
  throw new InputError(problems.join('\n'));
}

function formatPath(path: (string | number)[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i > 0 ? '.' : ''}${p}`)).join('') || '(top level)';
}

/**
 * Reads a JSON or YAML spec file (by extension; .yml/.yaml are YAML), validates it (errors name the
 * file and the field) and returns it as written, for flags to override before resolving.
 */
export async function readSpecFile(path: string): Promise<ExperimentSpecInput> {
  const text = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw new InputError(`${path}: cannot read the spec file (${error.code ?? error.message})`);
  });
  const yaml = /\.ya?ml$/i.test(path);
  let parsed: unknown;
  try {
    parsed = yaml ? parseYaml(text) : JSON.parse(text);
  } catch (error) {
    throw new InputError(`${path}: not valid ${yaml ? 'YAML' : 'JSON'}: ${(error as Error).message}`);
  }
  resolveSpec(parsed, path);
  return parsed as ExperimentSpecInput;
}

export const PRESETS: Record<string, ExperimentSpecInput> = {
  /**
   * The classic scenario on full Fashion-MNIST: mini-batch 100 (600 updates per epoch) against the
   * powers of two around it, full batch and SGD, with and without BN.
   */
  'fashion-mnist': {
    name: 'Fashion-MNIST: batch sizes 32/64/100/128, full batch, SGD, BN on/off',
    data: 'fashion-mnist',
    strategies: ['full', 'sgd', 'mini:32', 'mini:64', 'mini:100', 'mini:128'],
    batchNorm: 'both',
    budget: 'epochs:3',
    microBatch: 10000,
    target: 0.85,
  },
  /**
   * BatchNorm where batch size matters most: plain BN, ghost BN in groups of 16, batch renorm and no
   * BN, at batch sizes 4 to 256, 3 epochs each on the embedded Fashion-MNIST subset. The renorm
   * schedule is the paper's divided by 50 (relaxed from update 100, dMax 5 at 500, rMax 3 at 800),
   * so that batch 4 (4500 updates) and 16 (1125) train relaxed, 64 (282) partly and 256 (72) not.
   * At batch 4 a ghost group of 16 is the whole batch of 4 (allowed here): plain BN.
   */
  'bn-variants': {
    name: 'BatchNorm variants: plain, ghost:16, batch renorm and no BN at batch sizes 4, 16, 64, 256',
    data: 'fashion-mnist-small',
    strategies: ['mini:4', 'mini:16', 'mini:64', 'mini:256'],
    batchNorm: 'both',
    bnVariants: ['plain', 'ghost:16', 'renorm'],
    batchRenorm: 'relaxFrom=100,dMaxAt=500,rMaxAt=800',
    allowShortGhostBatch: true,
    budget: 'epochs:3',
    checkpoints: 1,
  },
};
