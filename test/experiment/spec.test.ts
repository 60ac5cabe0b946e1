import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { miniBatch, sgd } from '../../src/batching';
import { readSpecFile, resolveSpec } from '../../src/experiment/spec';
import { parseBudget } from '../../src/experiment/budget';
import { checkpointSchedule, planExperiment } from '../../src/experiment/plan';
import { expandCells, scaledLearningRate } from '../../src/experiment/cells';
import { builderFor } from '../../src/experiment/run-cell';

describe('experiment spec', () => {
  it('fills in the documented defaults', () => {
    const spec = resolveSpec({});
    expect(spec.strategies.map((s) => s.label)).to.deep.equal(['full', 'sgd', 'mini:32', 'mini:128']);
    expect(spec.batchNorm).to.equal('both');
    expect(spec.bnConvention).to.equal('keras');
    expect(spec.budget).to.deep.equal({ kind: 'epochs', epochs: 2 });
    expect(spec.lrRule).to.deep.equal({ kind: 'fixed' });
    expect(spec.data).to.equal('fashion-mnist-small');
  });

  it('names every bad field', () => {
    expect(() => resolveSpec({ strategies: ['mini:32', 'mini:0'] })).to.throw(
      /^spec: strategies\[1\]: miniBatch: batch size n must be a positive integer, got 0$/m,
    );
    expect(() => resolveSpec({ seeds: 0 })).to.throw(/spec: seeds: /);
    expect(() => resolveSpec({ budget: 'weeks:3' })).to.throw(
      /spec: budget: budget "weeks:3" is not one of epochs:<n>, updates:<n>, seconds:<s>/,
    );
    expect(() => resolveSpec({ lrRule: { linear: { referenceBatch: 0 } } })).to.throw(/spec: lrRule/);
    expect(() => resolveSpec({ models: ['resnet'] })).to.throw(/spec: models\[0\]: Invalid enum value/);
    expect(() => resolveSpec({ stratgies: ['full'] })).to.throw(/Unrecognized key\(s\) in object: 'stratgies'/);
  });

  it('bounds huge values, naming the field, the bound and the value', () => {
    const refusals: [Record<string, unknown>, RegExp][] = [
      [{ seeds: 1001 }, /^spec: seeds: at most 1000 seeds per configuration, got 1001$/],
      [{ seeds: Array.from({ length: 1001 }, (_, i) => i) }, /^spec: seeds: at most 1000 seeds per configuration$/],
      [{ seeds: [0, 2 ** 32] }, /^spec: seeds\[1\]: at most 4294967295, got 4294967296$/],
      [{ learningRates: [0.1, 11] }, /^spec: learningRates\[1\]: at most 10, got 11$/],
      [{ limit: 2e9 }, /^spec: limit: at most 1000000000 samples, got 2000000000$/],
      [{ microBatch: 2e9 }, /^spec: microBatch: at most 1000000000 samples, got 2000000000$/],
      [{ lrRule: { linear: { referenceBatch: 2e9 } } }, /^spec: lrRule: Invalid input$/],
      [{ budget: 10001 }, /^spec: budget: budget "10001": at most 10000 epochs per run, got 10001$/],
      [{ budget: 'updates:100000001' }, /at most 100000000 updates per run, got 100000001$/],
      [{ budget: 'seconds:604801' }, /at most 604800 seconds per run, got 604801$/],
      [{ budget: { kind: 'epochs', epochs: 20000 } }, /^spec: budget: at most 10000 epochs per run, got 20000$/],
      [
        { strategies: ['mini:99999999999999999999'] },
        /^spec: strategies\[0\]: miniBatch: batch size n must be at most 9007199254740991/,
      ],
    ];
    for (const [input, pattern] of refusals) expect(() => resolveSpec(input), JSON.stringify(input)).to.throw(pattern);
    const atTheBounds = resolveSpec({ seeds: 1000, learningRates: [10], budget: 'seconds:604800', limit: 1e9 });
    expect(atTheBounds.budget).to.deep.equal({ kind: 'seconds', seconds: 604800 });
  });

  it('reads JSON and YAML files, naming the file in errors', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'batchlab-spec-'));
    try {
      writeFileSync(
        join(dir, 'ok.yaml'),
        'strategies: [full, "mini:64"]\nbatchNorm: on\nseeds: [1, 2]\nbudget: updates:100\n',
      );
      const spec = resolveSpec(await readSpecFile(join(dir, 'ok.yaml')));
      expect(spec.strategies.map((s) => s.label)).to.deep.equal(['full', 'mini:64']);
      expect(spec.seeds).to.deep.equal([1, 2]);
      expect(spec.budget).to.deep.equal({ kind: 'updates', updates: 100 });
      writeFileSync(join(dir, 'bad.json'), JSON.stringify({ batchNorm: 'maybe' }));
      const bad = await readSpecFile(join(dir, 'bad.json')).catch((e: Error) => e);
      expect((bad as Error).message).to.match(
        new RegExp(`^${join(dir, 'bad.json').replace(/[.]/g, '\\.')}: batchNorm: Invalid enum value`),
      );
      writeFileSync(join(dir, 'broken.json'), '{ "bn": ');
      const broken = await readSpecFile(join(dir, 'broken.json')).catch((e: Error) => e);
      expect((broken as Error).message).to.match(/broken\.json: not valid JSON/);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  it('resolves a resolved spec, and its JSON as spec.json holds it, to the same spec', () => {
    const spec = resolveSpec({
      strategies: ['full/micro:100', 'mini:32'],
      budget: 'updates:50',
      lrRule: { linear: { referenceBatch: 32 } },
    });
    const again = resolveSpec(JSON.parse(JSON.stringify(spec)));
    expect(JSON.stringify(again)).to.equal(JSON.stringify(spec));
    expect(again.strategies.map((s) => s.updatesPerEpoch(1000))).to.deep.equal([1, 32]);
    expect(JSON.stringify(resolveSpec(spec))).to.equal(JSON.stringify(spec));
  });

  it('parses budgets', () => {
    expect(parseBudget('5')).to.deep.equal({ kind: 'epochs', epochs: 5 });
    expect(parseBudget('seconds:2.5')).to.deep.equal({ kind: 'seconds', seconds: 2.5 });
    expect(() => parseBudget('updates:1.5')).to.throw(/budget "updates:1.5"/);
  });

  it('scales learning rates linearly from a reference batch', () => {
    expect(scaledLearningRate({ kind: 'linear', referenceBatch: 32 }, 0.01, 128)).to.be.closeTo(0.04, 1e-12);
    expect(scaledLearningRate({ kind: 'fixed' }, 0.01, 128)).to.equal(0.01);
    const cells = expandCells(
      {
        strategies: [sgd(), miniBatch(64)],
        bn: [false],
        seeds: [0],
        optimizers: ['sgd'],
        learningRates: [0.1],
        models: ['mlp'],
      },
      { kind: 'linear', referenceBatch: 32 },
      1000,
    );
    expect(cells.map((c) => c.learningRate)).to.deep.equal([0.1 / 32, 0.2]);
  });

  it('bnConvention reaches every BN cell, and a bad one is named', () => {
    const plan = planExperiment(
      resolveSpec({ strategies: ['mini:32'], batchNorm: 'on', bnConvention: 'pytorch' }),
      600,
    );
    expect(plan.settings.bnConvention).to.equal('pytorch');
    expect(builderFor(plan.cells[0], plan.settings.bnConvention).describe()).to.match(
      /BN before activation \(pytorch convention:/,
    );
    expect(() => resolveSpec({ bnConvention: 'torch' })).to.throw(
      /^spec: bnConvention: Invalid enum value\. Expected 'keras' \| 'pytorch'/,
    );
  });

  it('expands the factors into cells with stable ids', () => {
    const plan = planExperiment(resolveSpec({ strategies: ['full', 'mini:32'], seeds: 2, batchNorm: 'both' }), 6000);
    expect(plan.cells.map((c) => c.id)).to.deep.equal([
      'mlp/full/nobn/adam/lr0.001/seed0',
      'mlp/full/nobn/adam/lr0.001/seed1',
      'mlp/full/bn/adam/lr0.001/seed0',
      'mlp/full/bn/adam/lr0.001/seed1',
      'mlp/mini:32/nobn/adam/lr0.001/seed0',
      'mlp/mini:32/nobn/adam/lr0.001/seed1',
      'mlp/mini:32/bn/adam/lr0.001/seed0',
      'mlp/mini:32/bn/adam/lr0.001/seed1',
    ]);
    expect(plan.settings.checkpointEpochs).to.deep.equal([1, 2]);
    expect(
      planExperiment(resolveSpec({ strategies: ['full', 'sgd', 'mini:32'], microBatch: 500 }), 6000).cells.map(
        (c) => c.strategy.label,
      ),
    ).to.deep.equal(['full/micro:500', 'full/micro:500', 'sgd', 'sgd', 'mini:32', 'mini:32']);
    expect(
      planExperiment(resolveSpec({ strategies: ['full'], microBatch: 500 }), 400).cells[0].strategy.label,
    ).to.equal('full');
  });

  it('spreads checkpoints over the epochs', () => {
    expect(checkpointSchedule(10, 3)).to.deep.equal([3, 7, 10]);
    expect(checkpointSchedule(2, 3)).to.deep.equal([1, 2]);
    expect(checkpointSchedule(5, 0)).to.deep.equal([]);
  });
});

describe('example experiment files', () => {
  it('scripts/equal-updates.yaml is a valid spec', async () => {
    const spec = resolveSpec(await readSpecFile(join(__dirname, '..', '..', 'scripts', 'equal-updates.yaml')));
    expect(spec.budget).to.deep.equal({ kind: 'updates', updates: 300 });
    expect(spec.lrRule).to.deep.equal({ kind: 'linear', referenceBatch: 32 });
  });
});
