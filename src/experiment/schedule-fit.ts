/**
 * Whether each learning-rate schedule of an experiment fits the runs it will drive: resolved against
 * the run of every strategy under the budget, as the trainer will resolve it (so that what a
 * schedule refuses at run time, such as a warm-up that leaves a run-long cosine no updates, is
 * refused before any run trains), and doing within the run what it says (its `misfit`: a warm-up
 * that ends, a step that comes, a cosine period that ends), since a cell whose schedule never acts
 * compares as if it had none. The maths of schedules are src/training/schedules'; feasibility.ts
 * gathers these problems with the others.
 */
import type { Strategy } from '../batching';
import type { LrSchedule, RunShape } from '../training/schedules';
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
  // A seconds budget has no length in updates to hold a warm-up, step or period against.
  return budget.kind === 'seconds' ? null : (schedule.misfit?.(run) ?? null);
}
