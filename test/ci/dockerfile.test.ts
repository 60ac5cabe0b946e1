// The Dockerfile cannot be built here (no container registry or daemon), so what can be checked
// without building is: everything it copies from the checkout exists, the command it installs
// runs the file package.json names as batchlab's bin, and it is the command the Kubernetes Jobs run.
import { expect } from 'chai';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { k8sManifests } from '../../src/compare/cluster/k8s';
import { resolveSpec } from '../../src/experiment/spec';

const ROOT = join(__dirname, '..', '..');
const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');

describe('Dockerfile', () => {
  it('copies only paths that exist in the checkout', () => {
    const sources = [...dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((m) => m[1].split(' '));
    expect(sources).to.include.members(['package.json', 'src', 'models', 'data']);
    expect(sources.filter((s) => !existsSync(join(ROOT, s)))).to.deep.equal([]);
  });

  it("installs `batchlab` as package.json's bin, the command the Jobs run", () => {
    const bin = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { bin: { batchlab: string } }).bin;
    expect(dockerfile).to.include(`exec node /opt/batchlab/${bin.batchlab} "$@"\\n' > /usr/local/bin/batchlab`);
    const { shards, merge } = k8sManifests({
      name: 'x',
      image: 'i',
      claim: 'c',
      shards: 1,
      maxParallel: 1,
      cpusPerTask: 1,
      spec: resolveSpec({}),
    });
    const commands = [...shards, ...merge]
      .filter((o) => o.kind === 'Job')
      .map((o) => JSON.stringify(o).match(/"command":\["([^"]+)"/)?.[1]);
    expect(commands).to.deep.equal(['batchlab', 'batchlab']);
  });
});
