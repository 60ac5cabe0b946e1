import { expect } from 'chai';
import type { RunResult } from '../../src/experiment/result';
import { summarize, summaryCsv, summaryTable } from '../../src/report/summary';

/** A finished run with the figures the summary reads. */
function run(
  strategy: string,
  bn: boolean,
  figures: Partial<RunResult>,
  noise: { batches: number; relative: number; se: number },
): RunResult {
  const group = `mlp/${strategy}/${bn ? 'bn' : 'nobn'}/adam/lr0.001`;
  const gradientNoise = {
    batchSize: 1,
    batches: noise.batches,
    meanSquaredDeviation: noise.relative * 4,
    standardError: noise.se * 4,
    relativeVariance: noise.relative,
    relativeStandardError: noise.se,
    fullGradientSquaredNorm: 4,
  };
  return {
    id: `${group}/seed0`,
    cell: {
      id: `${group}/seed0`,
      group,
      model: 'mlp',
      strategy,
      bn,
      seed: 0,
      optimizer: 'adam',
      baseLearningRate: 0.001,
      learningRate: 0.001,
    },
    status: 'ok',
    backend: 'wasm',
    checkpoints: [
      { epoch: 0, updates: 0, gradientNoise, activations: [], gradientNorms: [] },
      {
        epoch: 1,
        updates: 6,
        gradientNoise: { ...gradientNoise, relativeVariance: 9 },
        activations: [],
        gradientNorms: [],
      },
    ],
    ...figures,
  };
}

describe('summary', () => {
  const results = [
    run('mini:1024', false, { batchSize: 1024, bnBatch: null }, { batches: 32, relative: 0.045, se: 0.002 }),
    run(
      'full/micro:500',
      true,
      { batchSize: 6000, bnBatch: 500, bnAccumulation: 'chunk' },
      { batches: 0, relative: 0, se: 0 },
    ),
  ];

  it('shows noise at the initial weights with its standard error, 0 for full batch by definition, and BN over chunks', () => {
    const table = summaryTable(summarize(results));
    const [header, , mini, full] = table.split('\n');
    expect(header).to.match(/noise@init ± se\s+BN batch\s+update MB\s+max RSS MB/);
    expect(mini).to.match(/0\.045 ± 2\.00e-3\s+-/);
    expect(full).to.match(/0 \(B = N\)\s+500†/);
    expect(table).to.include(
      '† mlp/full/micro:500/bn/adam/lr0.001: BatchNorm normalised over micro-batches of 500 samples (bnAccumulation chunk: ghost BN with g = 500), not over the whole batch of 6000.',
    );
    expect(table).to.include('± its standard error over 32 batches');
  });

  it('writes both noise figures, the batches drawn and what BN normalised over to the CSV', () => {
    const [header, mini, full] = summaryCsv(summarize(results)).trim().split('\n');
    const columns = header.split(',');
    const value = (line: string, name: string) => line.split(',')[columns.indexOf(name)];
    expect(value(mini, 'gradient_noise_mean')).to.equal('0.045');
    expect(value(mini, 'gradient_noise_se')).to.equal('0.002');
    expect(value(mini, 'gradient_noise_batches')).to.equal('32');
    expect(value(mini, 'gradient_noise_end_mean')).to.equal('9');
    expect(value(full, 'gradient_noise_batches')).to.equal('0');
    expect(value(full, 'bn_batch')).to.equal('500');
    expect(value(full, 'batch_size')).to.equal('6000');
    expect(value(full, 'bn_accumulation')).to.equal('chunk');
    expect(value(mini, 'bn_accumulation')).to.equal('');
  });
});
