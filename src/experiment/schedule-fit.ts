/**
 * Whether each learning-rate schedule of an experiment fits the runs it will drive: resolved against
 * the run of every strategy under the budget, as the trainer will resolve it (so that what a
 * schedule refuses at run time, such as a warm-up that leaves a run-long cosine no updates, is
 * refused before any run trains), and with its warm-up ending within the run, since a run that never
 * leaves its warm-up never trains at the rate it was given. The maths of schedules are
 * src/training/schedules'; feasibility.ts gathers these problems with the others.
 */
import type { Strategy } from '../batching';
import { LrSchedule, RunShape, warmupUpdates } from '../training/schedules';
import { Budget, epochsFor } from './budget';
import type { SpecProblem } from './feasibility';

/** One problem per schedule and strategy whose run the schedule does not fit. */
export function scheduleProblems(
  schedules: readonly LrSchedule[],
  strategies: readonly Strategy[],
  budget: Budget,
  trainSize: number,
): SpecProblem[] {
  return schedules.flatMap((schedule, index) =>
    strategies.flatMap((strategy) => {
      const run = runOf(strategy, budget, trainSize);
      const why = misfit(schedule, run, budget);
      if (why === null) return [];
      const value = schedule.label;
      const message = `does not fit the runs of strategy ${strategy.label} (${describeRun(run, budget)}): ${why}`;
      return [{ field: 'lrSchedules' as const, path: `lrSchedules[${index}]`, value, message }];
    }),
  );
}

/** The run a cell's trainer resolves its schedule against (see run-cell.ts): an updates budget is its span. */
function runOf(strategy: Strategy, budget: Budget, trainSize: number): RunShape {
  const updatesPerEpoch = strategy.updatesPerEpoch(trainSize);
  const totalUpdates =
    budget.kind === 'updates' ? budget.updates : epochsFor(budget, updatesPerEpoch) * updatesPerEpoch;
  return { updatesPerEpoch, totalUpdates };
}

function describeRun(run: RunShape, budget: Budget): string {
  const epoch = `${run.updatesPerEpoch} update${run.updatesPerEpoch === 1 ? '' : 's'} an epoch`;
  return budget.kind === 'seconds' ? epoch : `${epoch}, ${run.totalUpdates} in the budget`;
}

function misfit(schedule: LrSchedule, run: RunShape, budget: Budget): string | null {
  try {
    schedule.resolve(run);
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
  // A seconds budget has no length in updates to hold a warm-up against.
  const warmup = warmupUpdates(schedule, run);
  if (budget.kind !== 'seconds' && warmup >= run.totalUpdates) {
    return `its warm-up of ${warmup} update${warmup === 1 ? '' : 's'} does not end within the run, which never reaches its peak rate; shorten the warm-up or give a larger budget`;
  }
  return null;
}
