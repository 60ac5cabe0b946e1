/**
 * `batchlab submit slurm|k8s`: hands an experiment's shards to a cluster engine. `slurm` plans the
 * experiment into the shared --out directory and writes (with --run, submits) an sbatch array job
 * and a merge job after it; `k8s` writes a ConfigMap, an Indexed Job and a merge Job as YAML (with
 * --apply, creates them through the cluster API with the user's kubeconfig and follows them). The
 * scripts and objects are
 * src/compare/cluster's; this module owns the options and what is printed.
 */
import { dirname, resolve } from 'node:path';
import type { Argv } from 'yargs';
import { applyAndFollow } from '../compare/cluster/k8s-apply';
import { connectK8s } from '../compare/cluster/k8s-api';
import { k8sManifests, k8sName, k8sNameProblem, toYaml } from '../compare/cluster/k8s';
import { submitSlurm, writeSlurmScripts } from '../compare/cluster/slurm';
import { shellQuote } from '../compare/interrupt';
import { writePlan } from '../compare/plan-file';
import { writeFileAtomic } from '../io/atomic-write';
import { planExperiment } from '../experiment/plan';
import { ExperimentSpec, readSpecFile, resolveSpec } from '../experiment/spec';
import { UsageError, positiveInteger } from './parse';

function common(yargs: Argv) {
  return yargs
    .option('spec', { type: 'string', demandOption: true, describe: 'experiment file (.json, .yaml)' })
    .option('shards', { coerce: positiveInteger('shards'), describe: 'shards (tasks) [default: one per cell]' })
    .option('max-parallel', {
      coerce: positiveInteger('max-parallel'),
      describe: 'shards running at once [default: all]',
    })
    .option('cpus-per-task', {
      coerce: positiveInteger('cpus-per-task'),
      default: 1,
      describe: 'CPUs per shard; each shard runs this many worker processes (--jobs)',
    })
    .option('name', { type: 'string', describe: "job name [default: from the spec's name]" });
}

/** What `submit slurm` and `submit k8s` do once parsed; a test stands in for them to check command lines only. */
export interface SubmitRunners {
  slurm: typeof runSlurm;
  k8s: typeof runK8s;
}

export function submitCommands(yargs: Argv, runners: SubmitRunners = { slurm: runSlurm, k8s: runK8s }) {
  return yargs
    .command(
      'slurm',
      'write (with --run, submit) a job array with one task per shard, and a merge job',
      slurmOptions,
      (args) => runners.slurm(args),
    )
    .command(
      'k8s',
      'write (with --apply, apply) an Indexed Job with one pod per shard, and a merge Job',
      k8sOptions,
      (args) => runners.k8s(args),
    )
    .demandCommand(1, 'name an engine: slurm or k8s');
}

function slurmOptions(yargs: Argv) {
  return common(yargs)
    .option('out', {
      type: 'string',
      demandOption: true,
      describe: 'experiment directory on a file system all nodes share',
    })
    .option('run', { type: 'boolean', default: false, describe: 'submit both jobs with sbatch and print their ids' })
    .option('sbatch', {
      type: 'string',
      array: true,
      describe: 'further sbatch option for both jobs, e.g. --sbatch=--time=2:00:00',
    })
    .option('batchlab-command', {
      type: 'string',
      describe: 'how the nodes start batchlab [default: this node and this batchlab, by absolute paths]',
    });
}

function k8sOptions(yargs: Argv) {
  return common(yargs)
    .option('image', {
      type: 'string',
      demandOption: true,
      describe: 'container image with batchlab (see the Dockerfile)',
    })
    .option('volume', {
      type: 'string',
      demandOption: true,
      describe: 'PersistentVolumeClaim for the experiment directory',
    })
    .option('manifests', { type: 'string', describe: 'directory for the YAML files [default: k8s-<name>]' })
    .option('apply', {
      type: 'boolean',
      default: false,
      describe: "create them through the cluster API (the kubeconfig's current context) and follow the jobs",
    })
    .option('namespace', { type: 'string', describe: "with --apply: namespace [default: the context's, else default]" })
    .option('poll', {
      coerce: positiveInteger('poll'),
      default: 10,
      describe: 'with --apply: seconds between looks at a job',
    });
}

type SlurmArgs = Awaited<ReturnType<typeof slurmOptions>['argv']>;
type K8sArgs = Awaited<ReturnType<typeof k8sOptions>['argv']>;

async function specOf(path: string): Promise<ExperimentSpec> {
  return resolveSpec(await readSpecFile(path), path);
}

/** --shards, checked against the number of cells. */
function shardCount(given: number | undefined, cells: number): number {
  if (given !== undefined && given > cells) {
    throw new UsageError(`--shards must be at most the experiment's ${cells} cells, got ${given}`);
  }
  return given ?? cells;
}

export async function runSlurm(args: SlurmArgs): Promise<void> {
  const spec = await specOf(args.spec);
  const outDir = resolve(args.out);
  const plan = await writePlan(spec, outDir);
  const shards = shardCount(args.shards, plan.cells.length);
  // By default the jobs start batchlab as this process was started, in this directory.
  const command =
    args['batchlab-command'] ??
    [process.execPath, ...process.execArgv, resolve(process.argv[1])].map(shellQuote).join(' ');
  const paths = await writeSlurmScripts({
    outDir,
    shards,
    maxParallel: args['max-parallel'],
    cpusPerTask: args['cpus-per-task'],
    name: args.name ?? k8sName(spec.name),
    command,
    workDir: process.cwd(),
    sbatchOptions: args.sbatch,
    cells: plan.cells.length,
  });
  process.stdout.write(
    `plan:   ${plan.cells.length} cells in ${shards} shards, ${outDir}/plan.json\n` +
      `array:  ${paths.shards}\nmerge:  ${paths.merge}\n`,
  );
  if (!args.run) {
    process.stdout.write(`submit: bash ${shellQuote(paths.submit)}\n`);
    return;
  }
  const ids = await submitSlurm(paths);
  const jobs = `${ids.array},${ids.merge}`;
  process.stdout.write(
    `submitted array job ${ids.array} (${shards} tasks) and merge job ${ids.merge} (after ${ids.array})\n` +
      `follow: squeue -j ${jobs}; logs in ${dirname(paths.shards)}/\n` +
      `ended:  sacct -j ${jobs} (where accounting is on); the merged table: ${dirname(paths.shards)}/merge.log\n`,
  );
}

export async function runK8s(args: K8sArgs): Promise<void> {
  const spec = await specOf(args.spec);
  const name = args.name ?? k8sName(spec.name);
  const problem = k8sNameProblem(name);
  if (problem) throw new UsageError(`--name ${problem}, got ${name}`);
  // How many cells there are does not depend on the data (only their learning rates and labels do).
  const shards = shardCount(args.shards, planExperiment(spec, spec.limit ?? 60000).cells.length);
  const manifests = k8sManifests({
    name,
    image: args.image,
    claim: args.volume,
    shards,
    maxParallel: args['max-parallel'] ?? shards,
    cpusPerTask: args['cpus-per-task'],
    spec,
  });
  const dir = resolve(args.manifests ?? `k8s-${name}`);
  const files = { shards: `${dir}/shards.yaml`, merge: `${dir}/merge.yaml` };
  await writeFileAtomic(files.shards, toYaml(manifests.shards));
  await writeFileAtomic(files.merge, toYaml(manifests.merge));
  process.stdout.write(`shards: ${files.shards} (${shards} completions)\nmerge:  ${files.merge}\n`);
  if (!args.apply) {
    process.stdout.write(
      `apply:  kubectl apply -f ${shellQuote(files.shards)}\n` +
        `        kubectl wait --for=condition=complete --timeout=-1s job/${name}-shards   (or until it fails)\n` +
        `        kubectl apply -f ${shellQuote(files.merge)}\n`,
    );
    return;
  }
  const end = await applyAndFollow({
    api: await connectK8s(args.namespace),
    manifests,
    shardsJob: `${name}-shards`,
    mergeFile: files.merge,
    mergeJob: `${name}-merge`,
    pollSeconds: args.poll,
    log: (line) => process.stderr.write(`${line}\n`),
  });
  process.stdout.write(
    `job/${name}-shards: ${end.shards.condition} (${end.shards.succeeded} succeeded, ${end.shards.failed} failed)\n` +
      `job/${name}-merge: ${end.merge.condition}; its report: kubectl logs job/${name}-merge\n`,
  );
  if (end.shards.condition !== 'Complete' || end.merge.condition !== 'Complete') process.exitCode = 1;
}
