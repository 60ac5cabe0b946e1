import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BN_RULE } from '../../src/claims/bn-claim';
import { GPU_RULE } from '../../src/claims/gpu-claim';
import { MEMORY_RULE } from '../../src/claims/memory-claim';
import { NOISE_RULE } from '../../src/claims/noise-claim';
import { POWERS_RULE } from '../../src/claims/powers-of-two-claim';

const README = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');

describe('the README states the verdict rules the code applies', () => {
  const section = README.slice(README.indexOf('## The textbook claims, checked'));
  for (const [name, rule] of Object.entries({ POWERS_RULE, GPU_RULE, MEMORY_RULE, NOISE_RULE, BN_RULE })) {
    it(`${name}, verbatim`, () => expect(section).to.include(rule));
  }
});
