// Library use from a plain Node script (CommonJS; `import { ... } from 'batchlab'` works the same
// from an ES module). Trains the same BatchNorm MLP with three batching strategies on the embedded
// Fashion-MNIST subset and prints test accuracy and weight updates for each.
//
//   node scripts/library-example.js [epochs]
const { useBackend, loadDataset, train, evaluate, fullBatch, miniBatch, mlp, disposeDataset } = require('batchlab');

async function main() {
  const epochs = Number(process.argv[2] ?? 2);
  const backend = await useBackend('auto');
  const { train: data, test } = await loadDataset('fashion-mnist-small');
  console.log(`backend ${backend.name} (${backend.device}), ${data.size} training samples`);
  for (const strategy of [fullBatch(), miniBatch(32), miniBatch(128)]) {
    const { model, history } = await train(mlp({ batchNorm: true }), data, { strategy, epochs, seed: 1 });
    const { accuracy } = await evaluate(model, test);
    const updates = history.epochs.reduce((n, e) => n + e.updates, 0);
    console.log(`${strategy.label.padEnd(9)} ${updates} updates, test accuracy ${(100 * accuracy).toFixed(2)}%`);
    model.dispose();
  }
  disposeDataset(data);
  disposeDataset(test);
}

main().catch((error) => {
  console.error(error.message);
  process.exit(1);
});
