// Started by wasm-fma.test.ts under `node --experimental-wasm-relaxed-simd`, with a thread count:
// prints whether the products took their FMA variants, the backend's notes, and the products.
import { useBackend } from '../../src/backend';
import { productsUseFma } from '../../src/kernels/wasm/simd/instance';
import { fmaProducts } from './fma-products';

async function main(): Promise<void> {
  const { notes } = await useBackend('wasm', { threads: Number(process.argv[2]) });
  process.stdout.write(JSON.stringify({ fma: productsUseFma(), notes, products: fmaProducts() }));
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
