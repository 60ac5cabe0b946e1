import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compare } from '../../src/compare/compare';
import type { ModelName } from '../../src/experiment/cells';
import { resolveSpec } from '../../src/experiment/spec';

/** Every model compare accepts; the type check fails here when a model name is added and not listed. */
const MODELS = Object.keys({ mlp: true, cnn: true, logistic: true } satisfies Record<ModelName, true>) as [
  ModelName,
  ...ModelName[],
];

describe('compare over every model', function () {
  this.timeout(300000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'batchlab-models-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('lists the models the spec accepts', () => {
    for (const model of MODELS) expect(resolveSpec({ models: [model] }).models).to.deep.equal([model]);
    expect(() => resolveSpec({ models: ['rnn'] })).to.throw(/models/);
  });

  it('trains and probes each of them, with and without hidden layers, on images', async () => {
    const result = await compare(
      {
        data: 'fashion-mnist-small',
        limit: 120,
        models: MODELS,
        strategies: ['mini:60'],
        batchNorm: 'off',
        budget: 'epochs:1',
        checkpoints: 1,
        backend: 'wasm',
      },
      { outDir: dir, report: false },
    );
    expect(result.results.map((r) => [r.cell.model, r.status, r.error])).to.deep.equal(
      MODELS.map((m) => [m, 'ok', undefined]),
    );
    const logistic = result.results.find((r) => r.cell.model === 'logistic');
    const initial = logistic?.checkpoints?.[0];
    expect(initial?.activations).to.deep.equal([]);
    expect(initial?.gradientNorms.map((g) => g.layer)).to.deep.equal(['output']);
    expect(initial?.gradientNoise.relativeVariance).to.be.greaterThan(0);
  });
});
