// The backends factor below compare: the spec field and its refusals, the cells and their ids (the
// backend named only when more than one is listed), and initial weights that do not depend on the
// backend that draws them.
import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../../src/backend';
import { resolveSpec } from '../../src/experiment/spec';
import { planExperiment } from '../../src/experiment/plan';
import { builderFor } from '../../src/experiment/run-cell';

const base = { strategies: ['full', 'mini:32'], batchNorm: 'off' as const, seeds: 2 };
const ids = (spec: object): string[] => planExperiment(resolveSpec(spec), 100).cells.map((c) => c.id);

describe('backends factor', () => {
  it('keeps the ids of an experiment without the factor, or with one backend', () => {
    const plain = [
      'mlp/full/nobn/adam/lr0.001/seed0',
      'mlp/full/nobn/adam/lr0.001/seed1',
      'mlp/mini:32/nobn/adam/lr0.001/seed0',
      'mlp/mini:32/nobn/adam/lr0.001/seed1',
    ];
    expect(ids(base)).to.deep.equal(plain);
    expect(ids({ ...base, backend: 'cpu' })).to.deep.equal(plain);
    expect(ids({ ...base, backends: ['wasm'] })).to.deep.equal(plain);
    expect(planExperiment(resolveSpec(base), 100).cells.every((c) => !('backend' in c))).to.equal(true);
  });

  it('names the backend in the id and group of each cell when more than one is listed, next to each other', () => {
    const cells = planExperiment(resolveSpec({ ...base, strategies: ['full'], backends: ['wasm', 'cpu'] }), 100).cells;
    expect(cells.map((c) => [c.id, c.group, c.backend])).to.deep.equal([
      ['mlp/full/nobn/adam/lr0.001/wasm/seed0', 'mlp/full/nobn/adam/lr0.001/wasm', 'wasm'],
      ['mlp/full/nobn/adam/lr0.001/wasm/seed1', 'mlp/full/nobn/adam/lr0.001/wasm', 'wasm'],
      ['mlp/full/nobn/adam/lr0.001/cpu/seed0', 'mlp/full/nobn/adam/lr0.001/cpu', 'cpu'],
      ['mlp/full/nobn/adam/lr0.001/cpu/seed1', 'mlp/full/nobn/adam/lr0.001/cpu', 'cpu'],
    ]);
  });

  it('refuses an unknown backend naming the allowed ones, a repeated one, and backend with backends', () => {
    expect(() => resolveSpec({ backends: ['wasm', 'tpu'] })).to.throw(
      /^spec: backends\[1\]: Invalid enum value\. Expected 'tensorflow' \| 'webgpu' \| 'wasm' \| 'cpu', received 'tpu'$/m,
    );
    expect(() => resolveSpec({ backends: ['auto'] })).to.throw(/spec: backends\[0\]: Invalid enum value/);
    expect(() => resolveSpec({ backends: ['cpu', 'cpu'] })).to.throw(/spec: backends: each backend once, got cpu,cpu/);
    expect(() => resolveSpec({ backends: [] })).to.throw(/spec: backends: /);
    expect(() => resolveSpec({ backend: 'wasm', backends: ['wasm', 'cpu'] })).to.throw(
      /spec: backends: backend wasm and backends wasm,cpu exclude each other: give one/,
    );
  });

  it('resolves its own spec.json again (backend keeps its default beside backends)', () => {
    const spec = resolveSpec({ ...base, backends: ['wasm', 'cpu'] });
    const again = resolveSpec(JSON.parse(JSON.stringify(spec)));
    expect(again.backends).to.deep.equal(['wasm', 'cpu']);
    expect(again.backend).to.equal('auto');
  });

  describe('initial weights', function () {
    this.timeout(60000);
    after(() => useBackend('wasm'));

    /** The initial weights of a BN MLP built with `seed` on `backend`, as their float32 bits. */
    async function weightBits(backend: 'wasm' | 'cpu', seed: number): Promise<number[][]> {
      await useBackend(backend);
      const model = builderFor({ model: 'mlp', bn: true, bnVariant: 'plain' }).build(
        { inputShape: [12], outputs: 3 },
        seed,
      );
      try {
        return model.getWeights().map((w) => Array.from(new Uint32Array(new Float32Array(w.dataSync()).buffer)));
      } finally {
        model.dispose();
      }
    }

    it('are bit for bit the same on wasm and cpu for one seed, and differ between seeds', async () => {
      const wasm = await weightBits('wasm', 7);
      expect(tf.getBackend()).to.equal('wasm');
      const cpu = await weightBits('cpu', 7);
      expect(tf.getBackend()).to.equal('cpu');
      expect(wasm.length).to.be.greaterThan(4);
      expect(cpu).to.deep.equal(wasm);
      // Not all zeros or ones: the kernels are drawn, and another seed draws others.
      const other = await weightBits('cpu', 8);
      expect(other[0]).not.to.deep.equal(wasm[0]);
    });
  });
});
