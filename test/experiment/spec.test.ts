import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { miniBatch, sgd } from '../../src/batching';
import { PRESETS, readSpecFile, resolveSpec } from '../../src/experiment/spec';
import { parseBudget } from '../../src/experiment/budget';
import { checkpointSchedule, planExperiment } from '../../src/experiment/plan';
import { expandCells, scaledLearningRate } from '../../src/experiment/cells';
import { builderFor } from '../../src/experiment/run-cell';

describe('experiment spec', () => {
  it('fills in the documented defaults', () => {
    const spec = resolveSpec({});
    expect(spec.strategies.map((s) => s.label)).to.deep.equal(['full', 'sgd', 'mini:32', 'mini:128']);
    expect(spec.batchNorm).to.equal('both');
    expect(spec.bnConventions).to.deep.equal(['keras']);
    expect(spec.bnVariants).to.deep.equal(['plain']);
    expect(spec.batchRenorm).to.deep.equal({ rMax: 3, dMax: 5, relaxFrom: 5000, rMaxAt: 40000, dMaxAt: 25000 });
    expect(spec.bnAccumulations).to.deep.equal(['chunk']);
    expect(spec.allowShortGhostBatch).to.equal(false);
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

  it('bnConventions is a factor of the BN cells; a bad one is named; an older spec.json with bnConvention reads', () => {
    const plan = planExperiment(
      resolveSpec({ strategies: ['mini:32'], batchNorm: 'both', bnConventions: ['keras', 'pytorch'] }),
      600,
    );
    expect(plan.cells.map((c) => c.id)).to.deep.equal([
      'mlp/mini:32/nobn/adam/lr0.001/seed0',
      'mlp/mini:32/bn-keras/adam/lr0.001/seed0',
      'mlp/mini:32/bn-pytorch/adam/lr0.001/seed0',
    ]);
    expect(plan.cells.map((c) => c.bnConvention)).to.deep.equal([undefined, 'keras', 'pytorch']);
    expect(builderFor(plan.cells[2]).describe()).to.match(/BN before activation \(pytorch convention:/);
    expect(() => resolveSpec({ bnConventions: ['torch'] })).to.throw(
      /^spec: bnConventions\[0\]: Invalid enum value\. Expected 'keras' \| 'pytorch'/,
    );
    // One convention: ids as before conventions were a factor.
    const legacy = planExperiment(
      resolveSpec({ strategies: ['mini:32'], batchNorm: 'on', bnConvention: 'pytorch' }),
      600,
    );
    expect(legacy.cells.map((c) => [c.id, c.bnConvention])).to.deep.equal([
      ['mlp/mini:32/bn/adam/lr0.001/seed0', 'pytorch'],
    ]);
  });

  it('bnVariants is a factor of the BN cells, each cell building its variant', () => {
    const spec = resolveSpec({
      strategies: ['mini:32'],
      batchNorm: 'both',
      bnVariants: ['plain', 'ghost:8', 'renorm'],
      batchRenorm: 'relaxFrom=10,rMaxAt=100,dMaxAt=50',
    });
    const plan = planExperiment(spec, 600);
    expect(plan.cells.map((c) => c.id)).to.deep.equal([
      'mlp/mini:32/nobn/adam/lr0.001/seed0',
      'mlp/mini:32/bn/adam/lr0.001/seed0',
      'mlp/mini:32/ghost8/adam/lr0.001/seed0',
      'mlp/mini:32/renorm/adam/lr0.001/seed0',
    ]);
    const describe = plan.cells.map((c) => builderFor(c, plan.settings).describe());
    expect(describe[0]).to.match(/no BN/);
    expect(describe[1]).to.match(/, BN before activation/);
    expect(describe[2]).to.match(/ghost BN \(groups of 8\) before activation/);
    expect(describe[3]).to.match(/batch renorm \(rMax 3 at update 100, dMax 5 at update 50, relaxed from update 10\)/);
    // The resolved spec, as spec.json holds it, resolves to itself.
    expect(JSON.stringify(resolveSpec(JSON.parse(JSON.stringify(spec))))).to.equal(JSON.stringify(spec));
    expect(() => resolveSpec({ bnVariants: ['ghost:0'] })).to.throw(
      /spec: bnVariants\[0\]: a BatchNorm variant is plain, ghost:<g> \(g a positive integer\) or renorm, got ghost:0/,
    );
    expect(() => resolveSpec({ batchRenorm: { rMax: 0.5 } })).to.throw(
      /spec: batchRenorm: batchRenorm: rMax must be a number >= 1, got 0.5/,
    );
    expect(() => resolveSpec({ bnAccumulations: ['chunk', 'whole'] })).to.throw(
      /spec: bnAccumulations\[1\]: bnAccumulation must be chunk or exact, got whole/,
    );
    expect(() => resolveSpec({ bnAccumulations: ['exact', 'exact'] })).to.throw(
      /spec: bnAccumulations: each mode once, got exact,exact/,
    );
  });

  it('the bn-variants preset: plain, ghost and renorm BN and no BN at batch sizes 4 to 256 on Fashion-MNIST', () => {
    const spec = resolveSpec(PRESETS['bn-variants']);
    expect(spec.data).to.equal('fashion-mnist-small');
    expect(spec.strategies.map((s) => s.label)).to.deep.equal(['mini:4', 'mini:16', 'mini:64', 'mini:256']);
    const plan = planExperiment(spec, 6000);
    expect(plan.cells.filter((c) => c.strategy.label === 'mini:4').map((c) => c.id.split('/')[2])).to.deep.equal([
      'nobn',
      'bn',
      'ghost16',
      'renorm',
    ]);
  });

  it('headBatchNorm reaches the cnn cells only, and is refused where no cnn cell has BN', () => {
    const plan = planExperiment(
      resolveSpec({ strategies: ['sgd'], batchNorm: 'on', models: ['mlp', 'cnn'], headBatchNorm: false }),
      600,
    );
    const describe = (model: string) =>
      builderFor(plan.cells.find((c) => c.model === model) as (typeof plan.cells)[number], plan.settings).describe();
    expect(describe('cnn')).to.match(/dense 64 without BN/);
    expect(describe('mlp')).to.match(/^mlp \[256,128\]/);
    expect(() => resolveSpec({ models: ['mlp'], headBatchNorm: false })).to.throw(
      /^spec: headBatchNorm: applies to cnn cells with BatchNorm/,
    );
    expect(() => resolveSpec({ models: ['cnn'], batchNorm: 'off', headBatchNorm: false })).to.throw(
      /^spec: headBatchNorm: applies to cnn cells with BatchNorm/,
    );
  });

  it('hidden reaches the mlp cells only, and is refused without mlp cells', () => {
    const plan = planExperiment(
      resolveSpec({ strategies: ['sgd'], batchNorm: 'off', models: ['mlp', 'cnn'], hidden: [64, 64, 64] }),
      600,
    );
    const describe = (model: string) =>
      builderFor(plan.cells.find((c) => c.model === model) as (typeof plan.cells)[number], plan.settings).describe();
    expect(describe('mlp')).to.match(/^mlp \[64,64,64\]/);
    expect(describe('cnn')).to.match(/^cnn/);
    expect(() => resolveSpec({ models: ['cnn'], hidden: [64] })).to.throw(
      /^spec: hidden: applies to mlp cells: add mlp to models \(cnn take no hidden sizes\)/,
    );
    expect(() => resolveSpec({ hidden: [64, 0] })).to.throw(/^spec: hidden\[1\]: /);
  });

  it('gives a model without hidden layers no BN cells, and refuses batchNorm on for it', () => {
    const plan = planExperiment(resolveSpec({ strategies: ['mini:32'], models: ['mlp', 'logistic'] }), 600);
    expect(plan.cells.map((c) => `${c.model}/${c.bn}`)).to.deep.equal(['mlp/false', 'mlp/true', 'logistic/false']);
    expect(() => resolveSpec({ models: ['mlp', 'logistic'], batchNorm: 'on' })).to.throw(
      /^spec: batchNorm: on: logistic has no hidden layers, so no BatchNorm; use both/,
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
