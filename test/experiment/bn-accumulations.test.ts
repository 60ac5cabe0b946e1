import { expect } from 'chai';
import { specDifferences } from '../../src/compare/spec-diff';
import { planExperiment } from '../../src/experiment/plan';
import { resolveSpec } from '../../src/experiment/spec';

describe('bnAccumulations: a factor of the plain BN cells under micro-batches', () => {
  it('gives a cell per mode only where BN meets micro-batches smaller than the batch', () => {
    const spec = resolveSpec({
      models: ['mlp', 'logistic'],
      strategies: ['mini:32', 'mini:64/micro:16', 'full'],
      microBatch: 200,
      batchNorm: 'both',
      bnVariants: ['plain', 'renorm'],
      bnAccumulations: ['chunk', 'exact'],
    });
    const cells = planExperiment(spec, 600).cells;
    expect(cells.map((c) => [c.id.replace('/adam/lr0.001/seed0', ''), c.bnAccumulation])).to.deep.equal([
      ['mlp/mini:32/nobn', undefined],
      ['mlp/mini:32/bn', undefined],
      ['mlp/mini:32/renorm', undefined],
      ['mlp/mini:64/micro:16/nobn', undefined],
      ['mlp/mini:64/micro:16/bn-chunk', 'chunk'],
      ['mlp/mini:64/micro:16/bn-exact', 'exact'],
      // Batch renorm has no exact mode: one cell, chunked, and its id as without the factor.
      ['mlp/mini:64/micro:16/renorm', 'chunk'],
      ['mlp/full/micro:200/nobn', undefined],
      ['mlp/full/micro:200/bn-chunk', 'chunk'],
      ['mlp/full/micro:200/bn-exact', 'exact'],
      ['mlp/full/micro:200/renorm', 'chunk'],
      ['logistic/mini:32/nobn', undefined],
      ['logistic/mini:64/micro:16/nobn', undefined],
      ['logistic/full/micro:200/nobn', undefined],
    ]);
  });

  it('exact alone: plain BN exact, ghost BN chunked (it has no exact mode), ids as without the factor', () => {
    const spec = resolveSpec({
      strategies: ['mini:64/micro:16'],
      batchNorm: 'on',
      bnVariants: ['plain', 'ghost:8'],
      bnAccumulations: ['exact'],
    });
    expect(planExperiment(spec, 600).cells.map((c) => [c.id, c.bnAccumulation])).to.deep.equal([
      ['mlp/mini:64/micro:16/bn/adam/lr0.001/seed0', 'exact'],
      ['mlp/mini:64/micro:16/ghost8/adam/lr0.001/seed0', 'chunk'],
    ]);
  });

  it('a micro-batch no smaller than the batch accumulates nothing: no cell per mode', () => {
    const spec = resolveSpec({
      strategies: ['mini:100'],
      microBatch: 100,
      batchNorm: 'on',
      bnAccumulations: ['chunk', 'exact'],
    });
    expect(planExperiment(spec, 600).cells.map((c) => [c.id, c.bnAccumulation])).to.deep.equal([
      ['mlp/mini:100/bn/adam/lr0.001/seed0', undefined],
    ]);
  });

  it('one mode, as the single bnAccumulation of older specs names it, keeps the ids without the factor', () => {
    const spec = resolveSpec({ strategies: ['mini:64/micro:16'], batchNorm: 'on', bnAccumulation: 'exact' });
    expect(spec.bnAccumulations).to.deep.equal(['exact']);
    expect(planExperiment(spec, 600).cells.map((c) => [c.id, c.bnAccumulation])).to.deep.equal([
      ['mlp/mini:64/micro:16/bn/adam/lr0.001/seed0', 'exact'],
    ]);
    // An experiment directory's spec.json from before the factor resumes as the same experiment.
    expect(specDifferences(resolveSpec({ bnAccumulation: 'chunk' }), resolveSpec({}))).to.deep.equal([]);
    expect(() => resolveSpec({ bnAccumulation: 'whole' })).to.throw(
      /spec: bnAccumulations\[0\]: bnAccumulation must be chunk or exact, got whole/,
    );
  });
});
