/**
 * compare's options for running an experiment elsewhere: `--plan` (resolve and list the cells into
 * --out/plan.json, no training) and `--shard i/n` (run one shard's cells), with the shard read from
 * a cluster engine's environment when the option is absent. What a shard runs is
 * src/compare/shard.ts's; this module owns the options, their checks and what is printed.
 */
import type { Options } from 'yargs';
import type { CompareResult } from '../compare/compare';
import { shellQuote } from '../compare/interrupt';
import { PLAN_FILE, cellLines, writePlan } from '../compare/plan-file';
import { Shard, describeShard, parseShard, shardFromEnv } from '../compare/shard';
import type { ExperimentSpecInput } from '../experiment/spec';
import { UsageError } from './parse';

export const planOptions = {
  plan: {
    type: 'boolean',
    default: false,
    describe:
      'write --out/plan.json (the numbered cells, each with its configuration, and the data fingerprint); no training',
  },
  shard: {
    type: 'string',
    describe:
      'i/n: run only shard i of n (the cells whose number is i modulo n) [default: from SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT or JOB_COMPLETION_INDEX/BATCHLAB_SHARD_COUNT when set]',
  },
} satisfies Record<string, Options>;

interface ShardArgs {
  plan?: boolean;
  shard?: string;
  out?: string;
  resume?: boolean;
  jobs?: number;
}

/** The shard this process runs (--shard, else the engine's environment), or null for every cell. */
export function shardOf(args: ShardArgs, env: NodeJS.ProcessEnv = process.env): Shard | null {
  let shard: Shard | null = null;
  let source = '--shard';
  if (args.shard !== undefined) {
    try {
      shard = parseShard(args.shard);
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
  } else {
    const fromEnv = shardFromEnv(env);
    shard = fromEnv?.shard ?? null;
    source = fromEnv?.source ?? source;
  }
  if (shard && args.out === undefined) {
    throw new UsageError(
      `shard ${describeShard(shard)} (from ${source}) needs --out <the experiment directory all shards share>`,
    );
  }
  return shard;
}

/** `--plan`: writes and lists the plan. */
export async function runPlan(spec: ExperimentSpecInput, args: ShardArgs): Promise<void> {
  const out = args.out;
  if (out === undefined) throw new UsageError('--plan needs --out <the experiment directory to plan into>');
  if (args.shard !== undefined || args.resume)
    throw new UsageError('--plan runs nothing: leave out --shard and --resume');
  const plan = await writePlan(spec, out);
  const dir = shellQuote(out);
  process.stdout.write(
    [
      `plan: ${out}/${PLAN_FILE}`,
      `data: ${plan.data.description}, sha256 ${plan.data.sha256}`,
      `${plan.cells.length} cells:`,
      ...cellLines(plan.cells),
      `run them: batchlab compare --resume --out ${dir} --shard i/n (one process for each i < n, anywhere that sees ${dir}),`,
      `then:     batchlab merge ${dir}`,
      '',
    ].join('\n'),
  );
}

/** After a shard: where its results are, and how to gather the shards. */
export function printShardDone(result: CompareResult, shard: Shard): void {
  process.stdout.write(
    `shard ${describeShard(shard)}: ${result.results.length} runs in ${result.files.results}\n` +
      `merge the shards with: batchlab merge ${shellQuote(result.outDir)}\n`,
  );
}
