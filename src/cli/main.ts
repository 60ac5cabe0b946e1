#!/usr/bin/env node
/**
 * The `batchlab` command: parses arguments, dispatches to a command, and maps errors to exit codes:
 * 2 for usage errors (the message names the option and value) and for input that cannot be used
 * (InputError: a broken data or spec file, an output that would lose work), 1 for failures. A
 * command that is interrupted sets 130 itself.
 */
import yargs, { Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { claimsOptions, runClaimsCommand } from './claims-command';
import { compareOptions, runCompare } from './compare-command';
import { doctorOptions, runDoctor } from './doctor-command';
import { lrFindOptions, runLrFind } from './lr-find-command';
import { mergeOptions, runMerge } from './merge-command';
import { SubmitRunners, runK8s, runSlurm, submitCommands } from './submit-command';
import { runThroughput, throughputOptions } from './throughput-command';
import { runTrain, trainOptions } from './train-command';
import { UsageError } from './parse';
import { withRenamedHints } from './renamed-options';
import { InputError } from '../data/input-error';
import { releaseWebGpu } from '../backend';

/** What each command does once its options are parsed and checked. */
export interface CommandRunners {
  train: typeof runTrain;
  compare: typeof runCompare;
  claims: typeof runClaimsCommand;
  lrFind: typeof runLrFind;
  throughput: typeof runThroughput;
  merge: typeof runMerge;
  submit: SubmitRunners;
  doctor: typeof runDoctor;
}

const RUNNERS: CommandRunners = {
  train: runTrain,
  compare: runCompare,
  claims: runClaimsCommand,
  lrFind: runLrFind,
  throughput: runThroughput,
  merge: runMerge,
  submit: { slurm: runSlurm, k8s: runK8s },
  doctor: runDoctor,
};

/**
 * The command line: commands, options, their checks, help. `runners` stand in for the commands
 * where a command line is only to be checked (the README's commands are, in a test).
 */
export function batchlabCli(argv: string[], runners: CommandRunners = RUNNERS): Argv {
  return yargs(argv)
    .scriptName('batchlab')
    .usage('$0 <command> [options]')
    .command('train', 'train one model with one batching strategy', trainOptions, (args) => runners.train(args))
    .command('compare', 'run strategies x BN x seeds and report (tables, plots, report.html)', compareOptions, (args) =>
      runners.compare(args),
    )
    .command(
      'claims',
      'check textbook claims about batching on this machine: each with its evidence, a verdict and a plot',
      claimsOptions,
      (args) => runners.claims(args),
    )
    .command(
      'lr-find',
      'learning-rate range test: loss against an exponentially rising rate, a suggested rate',
      lrFindOptions,
      (args) => runners.lrFind(args),
    )
    .command(
      'throughput',
      'samples/s of training steps against batch size, per backend: do powers of two stand out?',
      throughputOptions,
      (args) => runners.throughput(args),
    )
    .command(
      'merge <dir>',
      "gather a planned experiment's shards into results, summary and report",
      mergeOptions,
      (args) => runners.merge(args),
    )
    .command('submit', 'run an experiment as a Slurm job array or a Kubernetes Indexed Job', (y) =>
      submitCommands(y, runners.submit),
    )
    .command('doctor', 'list every backend, whether it starts here, and why not', doctorOptions, (args) =>
      runners.doctor(args),
    )
    .demandCommand(1, 'name a command: train, compare, claims, lr-find, throughput, merge, submit or doctor')
    .strictCommands()
    .strictOptions()
    .example(
      '$0 train --model mlp --batch-norm --strategy mini:128 --epochs 3',
      'train on the embedded Fashion-MNIST subset',
    )
    .example(
      '$0 train --data fashion-mnist --model cnn --batch-norm --strategy mini:64',
      'full Fashion-MNIST, convolutional',
    )
    .example('$0 compare', 'full batch, SGD, mini:32, mini:128 x BN on/off on the embedded data')
    .help()
    .version();
}

export async function main(argv: string[]): Promise<void> {
  await batchlabCli(argv)
    .fail((message, error) => {
      // yargs re-wraps errors thrown by coerce functions as YError; both are usage errors.
      if (error && !(error instanceof UsageError) && error.name !== 'YError') throw error;
      process.stderr.write(
        `batchlab: ${error ? error.message : withRenamedHints(message)}\nRun batchlab --help (or batchlab <command> --help) for usage.\n`,
      );
      process.exit(2);
    })
    .parseAsync();
}

/** 2 for input the user can fix (options checked after parsing, files), 1 for anything else. */
export function exitStatusOf(error: unknown): number {
  return error instanceof InputError || error instanceof UsageError ? 2 : 1;
}

if (require.main === module) {
  main(hideBin(process.argv))
    .catch((error: unknown) => {
      process.stderr.write(`batchlab: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = exitStatusOf(error);
    })
    // Dawn keeps the event loop alive while navigator.gpu exists.
    .finally(releaseWebGpu);
}
