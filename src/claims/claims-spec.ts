/**
 * What `batchlab claims` runs: one experiment whose cells give the memory, noise and BN claims their
 * evidence, and the budget it is sized to. Owns the choice of cells; the claims' rules are their
 * own modules'.
 */
import { ExperimentSpecInput, resolveSpec } from '../experiment/spec';
import { budgetLimit } from '../experiment/budget';

/** Hidden layers of the claims' MLP: deep enough for activations and gradients to fade without BN. */
export const CLAIMS_HIDDEN: [number, ...number[]] = [64, 64, 64, 64, 64, 64, 64, 64];

/**
 * SGD (batch 1), mini-batches of 32 and 256 and full batch (6000), each with BN off and on, on the
 * embedded Fashion-MNIST subset for 2 epochs, probed at the initial weights and after each epoch.
 * SGD with BN normalises each sample by itself and collapses; it is trained anyway (the claims read
 * BN off at batch 1) and shows the collapse in the report.
 */
export const CLAIMS_SPEC: ExperimentSpecInput = {
  name: 'Textbook claims about batching, checked',
  data: 'fashion-mnist-small',
  models: ['mlp'],
  hidden: CLAIMS_HIDDEN,
  strategies: ['sgd', 'mini:32', 'mini:256', 'full'],
  batchNorm: 'both',
  allowBatchNormBatchOfOne: true,
  budget: 'epochs:2',
  checkpoints: 2,
  seeds: 1,
};

/** The budget as the plan line and the README state it. */
export const CLAIMS_BUDGET = 'about 5 minutes on 2 cores';

/** What `batchlab claims` is about to do and how long it should take, before anything runs. */
export function claimsPlanLine(): string {
  const spec = resolveSpec(CLAIMS_SPEC);
  const strategies = spec.strategies.map((s) => s.label).join(', ');
  return (
    `claims: ${strategies} x BN off/on, ${budgetLimit(spec.budget)} ${spec.budget.kind} each on ${spec.data} ` +
    `(mlp of ${CLAIMS_HIDDEN.length} hidden layers of ${CLAIMS_HIDDEN[0]}), then the backends; budget ${CLAIMS_BUDGET}`
  );
}
