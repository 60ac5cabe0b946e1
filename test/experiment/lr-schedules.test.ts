import { expect } from 'chai';
import { miniBatch } from '../../src/batching';
import { cellRecord, cellSchedule, expandCells } from '../../src/experiment/cells';
import { resolveSpec } from '../../src/experiment/spec';
import { cosine } from '../../src/training';

describe('experiment: learning-rate schedules as a factor, clipping as a setting', () => {
  it('parses lrSchedules once; a resolved spec (or its JSON) resolves to itself', () => {
    const spec = resolveSpec({ lrSchedules: ['constant', 'warmup:100+cosine:min=0.1'], clipNorm: 1, clipValue: 0.5 });
    expect(spec.lrSchedules?.map((s) => s.label)).to.deep.equal(['constant', 'warmup:100+cosine:min=0.1']);
    expect(resolveSpec(spec).lrSchedules?.map((s) => s.label)).to.deep.equal(['constant', 'warmup:100+cosine:min=0.1']);
    const json = JSON.parse(JSON.stringify(spec));
    expect(json.lrSchedules).to.deep.equal(['constant', 'warmup:100+cosine:min=0.1']);
    expect(resolveSpec(json).lrSchedules?.[1].resolve({ updatesPerEpoch: 10, totalUpdates: 200 })(150)).to.be.closeTo(
      0.55,
      1e-12,
    );
    expect([json.clipNorm, json.clipValue]).to.deep.equal([1, 0.5]);
  });

  it('names the field and the value that is wrong', () => {
    expect(() => resolveSpec({ lrSchedules: ['cosine', 'exp:every=10'] }, 'exp.yaml')).to.throw(
      /exp\.yaml: lrSchedules\[1\]: lr schedule "exp:every=10": exp needs every=<d> and factor=<f>/,
    );
    expect(() => resolveSpec({ clipNorm: 0 })).to.throw(/spec: clipNorm: Number must be greater than 0/);
    expect(() => resolveSpec({ lrSchedules: ['onecycle'], budget: 'seconds:10' })).to.throw(
      /spec: lrSchedules\[0\]: onecycle stretches over the run/,
    );
    expect(resolveSpec({ lrSchedules: ['cosine:period=100'], budget: 'seconds:10' }).lrSchedules).to.have.length(1);
  });

  it('crosses schedules with the other factors; ids name the schedule, none for a spec without', () => {
    const factors = {
      strategies: [miniBatch(32)],
      bn: [false],
      seeds: [0],
      optimizers: ['sgd' as const],
      learningRates: [0.1],
      models: ['mlp' as const],
    };
    const scheduled = expandCells(
      { ...factors, lrSchedules: [cosine(), cosine({ min: 0.1 })] },
      { kind: 'fixed' },
      320,
    );
    expect(scheduled.map((c) => c.id)).to.deep.equal([
      'mlp/mini:32/nobn/sgd/lr0.1/cosine/seed0',
      'mlp/mini:32/nobn/sgd/lr0.1/cosine:min=0.1/seed0',
    ]);
    expect(cellRecord(scheduled[1]).lrSchedule).to.equal('cosine:min=0.1');
    const plain = expandCells(factors, { kind: 'fixed' }, 320);
    expect(plain.map((c) => c.id)).to.deep.equal(['mlp/mini:32/nobn/sgd/lr0.1/seed0']);
    expect(cellRecord(plain[0]).lrSchedule).to.equal(null);
  });

  it('under the linear rule a warm-up starts at the unscaled rate (Goyal et al.), under fixed at 0', () => {
    const factors = {
      strategies: [miniBatch(256)],
      bn: [false],
      seeds: [0],
      optimizers: ['sgd' as const],
      learningRates: [0.1],
      models: ['mlp' as const],
    };
    const schedules = resolveSpec({
      lrSchedules: ['warmup:10+cosine', 'warmup:10,from=0+cosine', 'cosine'],
    }).lrSchedules;
    const linear = { kind: 'linear' as const, referenceBatch: 32 };
    const cells = expandCells({ ...factors, lrSchedules: schedules }, linear, 1024);
    expect(cells[0].learningRate).to.equal(0.8); // 0.1 x 256 / 32
    expect(cells.map((c) => cellSchedule(c, linear)?.label)).to.deep.equal([
      'warmup:10,from=0.125+cosine',
      'warmup:10,from=0+cosine',
      'cosine',
    ]);
    expect(cellSchedule(cells[0], { kind: 'fixed' })?.label).to.equal('warmup:10+cosine');
  });
});
