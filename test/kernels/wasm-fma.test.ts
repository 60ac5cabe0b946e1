/**
 * The products' relaxed-SIMD variants: how the build fuses their multiply-adds, that a runtime
 * without relaxed SIMD (Node 20 as started here) keeps the plain kernels, and that one with it
 * (Node 20 with --experimental-wasm-relaxed-simd, in a child process) takes the fused ones, whose
 * products match the cpu backend within float32 error, differ from the plain kernels' by rounding
 * only, and are the same on one and two threads.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fusedMultiplyAddVariant } from '../../scripts/build-simd';
import { productsUseFma } from '../../src/kernels/wasm/simd/instance';
import { onBackend, relativeError } from '../helpers/kernel-reference';
import { FMA_CASES, fmaProducts } from './fma-products';

const CHILD = join(__dirname, 'fma-products-child.ts');

interface ChildReport {
  fma: boolean;
  notes: string[];
  products: number[][];
}

function withRelaxedSimd(threads: number): ChildReport {
  const args = ['--experimental-wasm-relaxed-simd', '--require', 'tsx/cjs', CHILD, String(threads)];
  const result = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 120000, maxBuffer: 1 << 28 });
  if (result.status !== 0) throw new Error(`the relaxed-SIMD child failed: ${result.stderr.slice(-2000)}`);
  return JSON.parse(result.stdout) as ChildReport;
}

describe('relaxed-SIMD products (fused multiply-add)', () => {
  it('fuses each (f32x4.add acc (f32x4.mul a b)) into (f32x4.relaxed_madd a b acc), and nothing else', () => {
    const wat = [
      '(local.set $c (f32x4.add (local.get $c) (f32x4.mul (local.get $a) (v128.load (local.get $p)))))',
      '(local.set $d (f32x4.add (local.get $c) (local.get $a)))',
      '(f32x4.add (f32x4.mul (local.get $a) (local.get $b)) (local.get $c))',
    ].join('\n');
    expect(fusedMultiplyAddVariant(wat)).to.equal(
      [
        '(local.set $c (f32x4.relaxed_madd (local.get $a) (v128.load (local.get $p)) (local.get $c)))',
        '(local.set $d (f32x4.add (local.get $c) (local.get $a)))',
        '(f32x4.add (f32x4.mul (local.get $a) (local.get $b)) (local.get $c))',
      ].join('\n'),
    );
    expect(() => fusedMultiplyAddVariant('(f32x4.add (local.get $c) (local.get $a))', 'x.wat')).to.throw(
      'x.wat has no (f32x4.add acc (f32x4.mul a b)) to fuse',
    );
  });

  it('takes the fused products exactly where the runtime validates relaxed SIMD (Node 20: behind a flag)', async () => {
    const wabt = await (await import('wabt')).default();
    const probe =
      '(module (func (param v128 v128 v128) (result v128) (f32x4.relaxed_madd (local.get 0) (local.get 1) (local.get 2))))';
    const parsed = wabt.parseWat('probe.wat', probe, { simd: true, relaxed_simd: true });
    const supported = WebAssembly.validate(new Uint8Array(parsed.toBinary({}).buffer));
    parsed.destroy();
    if (process.versions.node.startsWith('20.')) expect(supported, 'Node 20 without the flag').to.equal(false);
    expect(productsUseFma()).to.equal(supported);
  });

  it('takes the fused products with relaxed SIMD: within float32 error of cpu, not the plain bits, the same on 1 and 2 threads', async function () {
    this.timeout(300000);
    const plain = fmaProducts();
    const expected = await onBackend('cpu', fmaProducts);
    const [one, two] = [1, 2].map(withRelaxedSimd);
    expect([one.fma, two.fma]).to.deep.equal([true, true]);
    expect(one.notes).to.include("matrix products with relaxed SIMD's fused multiply-add");
    FMA_CASES.forEach((c, i) => {
      expect(relativeError(one.products[i], expected[i]), `case ${c.join()}`).to.be.below(1e-5);
      expect(two.products[i], `case ${c.join()} on 2 threads`).to.deep.equal(one.products[i]);
    });
    // Rounded once instead of twice: on a machine with FMA (x86 since 2013) some bits differ.
    const differing = FMA_CASES.filter((_, i) => one.products[i].some((v, j) => v !== plain[i][j]));
    expect(differing.length).to.be.above(FMA_CASES.length / 2);
  });
});
