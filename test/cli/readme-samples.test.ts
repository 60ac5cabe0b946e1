// The README's sample outputs and scripts/readme-samples.ts, which regenerates them: every sample
// block is one the script makes (and the reverse), its command is the one the README shows beside
// it, and a block is replaced in place with paths and times of the run tidied away.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SAMPLES, replaceSample, sampleNames, tidy } from '../../scripts/readme-samples';

const README = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');

describe('README sample outputs', () => {
  it('has a block for every sample the script makes, and no other', () => {
    expect(sampleNames(README)).to.have.members(SAMPLES.map((s) => s.name));
    expect(new Set(sampleNames(README)).size).to.equal(sampleNames(README).length);
  });

  it('shows each sample’s command in a code block before it', () => {
    for (const sample of SAMPLES) {
      const before = README.slice(0, README.indexOf(`<!-- sample: ${sample.name} -->`));
      expect(before, sample.name).to.include(`npx batchlab ${sample.args.join(' ')}\n`);
    }
  });

  it('replaces one block’s code, keeping the markers and the other blocks', () => {
    const text = [
      'a',
      '<!-- sample: one -->',
      '',
      '    old 1',
      '',
      '<!-- /sample -->',
      '<!-- sample: two -->',
      '',
      '    old 2',
      '<!-- /sample -->',
    ].join('\n');
    const replaced = replaceSample(text, 'one', ['new', '', '  indented']);
    expect(replaced.split('\n')).to.deep.equal([
      'a',
      '<!-- sample: one -->',
      '',
      '    new',
      '',
      '      indented',
      '',
      '<!-- /sample -->',
      '<!-- sample: two -->',
      '',
      '    old 2',
      '<!-- /sample -->',
    ]);
    expect(sampleNames(replaced)).to.deep.equal(['one', 'two']);
  });

  it('tidies the run directory, the checkout and the time out of an output', () => {
    const root = join(__dirname, '..', '..');
    const out = tidy(
      `data: x from ${root}/data/small\nmodel:   /tmp/r1/runs/train-2026-01-02T03-04-05-678Z/model/model.json  \n`,
      '/tmp/r1',
    );
    expect(out).to.equal('data: x from .../data/small\nmodel:   .../runs/train-<time>/model/model.json\n');
  });
});
