// Which mini-batch size trains best per second, with and without BatchNorm? Five batch sizes x BN
// off/on x 2 seeds on the embedded Fashion-MNIST subset, through the library's compare().
//
//   node scripts/batch-size-sweep.js [outDir]      (default: runs/batch-size-sweep)
const { compare, summaryTable } = require('batchlab');

async function main() {
  const outDir = process.argv[2] ?? 'runs/batch-size-sweep';
  const result = await compare(
    {
      name: 'Mini-batch size sweep, BN off/on',
      strategies: ['mini:16', 'mini:32', 'mini:64', 'mini:128', 'mini:256'],
      batchNorm: 'both',
      seeds: 2,
      budget: 'epochs:2',
      limit: 3000,
      checkpoints: 1,
    },
    { outDir, log: (line) => console.error(line) },
  );
  console.log(summaryTable(result.summary));
  console.log(`report: ${result.files.report}`);
}

main().catch((error) => {
  console.error(error.message);
  process.exit(1);
});
