// `batchlab submit k8s`: the generated ConfigMap, Indexed Job and merge Job checked against
// Kubernetes' published OpenAPI definitions (test/fixtures/k8s-batch-v1-job.openapi.json) and the
// rules their descriptions state, and the flags' effect on them. (--apply against a stand-in API
// server is test/compare/submit-k8s-apply.test.ts's; running the Job's pods sharded-runs.test.ts's.)
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { CLI_MAIN } from '../helpers/batchlab-cli';
import { checkK8sObject, checkSchema, k8sSchemas } from '../helpers/openapi-check';

interface Container {
  name: string;
  image: string;
  command: string[];
  env?: { name: string; value: string }[];
  resources: { requests: Record<string, string>; limits: Record<string, string> };
  volumeMounts: { name: string; mountPath: string; readOnly?: boolean }[];
}
interface Volume {
  name: string;
  persistentVolumeClaim?: { claimName: string };
  configMap?: { name: string };
}
interface Job {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec: {
    completionMode?: string;
    completions?: number;
    parallelism?: number;
    backoffLimitPerIndex?: number;
    backoffLimit?: number;
    template: { spec: { restartPolicy: string; containers: Container[]; volumes: Volume[] } };
  };
}
interface ConfigMap {
  kind: string;
  metadata: { name: string };
  data: Record<string, string>;
}

/** 2 models x 2 strategies x BN on/off = 8 cells. */
const SPEC = 'name: "K8s Test: BN & batching"\nmodels: [mlp, cnn]\nstrategies: [full, "mini:32"]\nbatchNorm: both\n';
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function batchlab(args: string[], env: NodeJS.ProcessEnv = process.env) {
  const r = spawnSync(process.execPath, ['--require', 'tsx/cjs', CLI_MAIN, ...args], {
    encoding: 'utf8',
    timeout: 120000,
    env,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('batchlab submit k8s', function () {
  this.timeout(180000);
  let dir: string;
  let spec: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'batchlab-k8s-'));
    spec = join(dir, 'exp.yaml');
    writeFileSync(spec, SPEC);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const submit = (...extra: string[]) =>
    batchlab([
      'submit',
      'k8s',
      '--spec',
      spec,
      '--image',
      'ghcr.io/example/batchlab:0.1.0',
      '--volume',
      'exp-claim',
      ...extra,
    ]);
  const documents = (file: string): unknown[] =>
    parseAllDocuments(readFileSync(file, 'utf8')).map((d) => d.toJS() as unknown);

  it("writes objects that pass Kubernetes' schema and the Job rules its descriptions state", () => {
    const out = join(dir, 'manifests');
    const r = submit('--shards', '3', '--max-parallel', '2', '--cpus-per-task', '4', '--manifests', out);
    expect(r.status, r.stderr).to.equal(0);
    const [configMap, shards] = documents(join(out, 'shards.yaml')) as [ConfigMap, Job];
    const [merge] = documents(join(out, 'merge.yaml')) as [Job];
    // The labels shared by a Job and its pods are written out twice, not as a YAML anchor and alias.
    expect(readFileSync(join(out, 'shards.yaml'), 'utf8')).to.not.match(/[&*]a\d/);
    expect(
      readFileSync(join(out, 'shards.yaml'), 'utf8').match(/app.kubernetes.io\/instance: k8s-test/g),
    ).to.have.length(3);
    const schemas = k8sSchemas();
    for (const object of [configMap, shards, merge]) {
      expect(checkK8sObject(object as unknown as Record<string, unknown>, schemas), object.metadata.name).to.deep.equal(
        [],
      );
    }
    // The name comes from the spec's, as a DNS label; pod host names are <job>-<index>, at most 63 characters.
    expect(shards.metadata.name).to.equal('k8s-test-bn-batching-shards');
    for (const name of [configMap.metadata.name, shards.metadata.name, merge.metadata.name])
      expect(name).to.match(DNS_LABEL);
    expect(`${shards.metadata.name}-2`.length).to.be.at.most(63);
    // Indexed: completions required; backoffLimitPerIndex only with Indexed and restartPolicy Never.
    expect(shards.spec).to.include({
      completionMode: 'Indexed',
      completions: 3,
      parallelism: 2,
      backoffLimitPerIndex: 1,
    });
    expect(shards.spec.template.spec.restartPolicy).to.equal('Never');
    expect(merge.spec.template.spec.restartPolicy).to.equal('Never');
    const pod = shards.spec.template.spec;
    const [container] = pod.containers;
    expect(container.image).to.equal('ghcr.io/example/batchlab:0.1.0');
    expect(container.resources).to.deep.equal({ requests: { cpu: '4' }, limits: { cpu: '4' } });
    expect(container.command).to.deep.equal([
      'batchlab',
      'compare',
      '--spec',
      '/etc/batchlab/spec.json',
      '--resume',
      '--out',
      '/results/k8s-test-bn-batching',
      '--jobs',
      '4',
      '--threads',
      '1',
    ]);
    // 4 CPUs, 4 workers: one compute thread each, also under native TensorFlow.
    expect(container.env).to.deep.equal([
      { name: 'BATCHLAB_SHARD_COUNT', value: '3' },
      { name: 'OMP_NUM_THREADS', value: '1' },
      { name: 'TF_NUM_INTRAOP_THREADS', value: '1' },
      { name: 'TF_NUM_INTEROP_THREADS', value: '1' },
    ]);
    // Every mount names a volume of the pod; the claim and the ConfigMap are the ones written.
    const volumes = new Map(pod.volumes.map((v) => [v.name, v]));
    expect(container.volumeMounts.map((m) => volumes.has(m.name))).to.deep.equal([true, true]);
    expect(volumes.get('results')?.persistentVolumeClaim?.claimName).to.equal('exp-claim');
    expect(volumes.get('spec')?.configMap?.name).to.equal(configMap.metadata.name);
    expect(JSON.parse(configMap.data['spec.json'])).to.include({ name: 'K8s Test: BN & batching', batchNorm: 'both' });
    expect(merge.spec.template.spec.containers[0].command).to.deep.equal([
      'batchlab',
      'merge',
      '/results/k8s-test-bn-batching',
    ]);
    expect(merge.spec.template.spec.volumes[0].persistentVolumeClaim?.claimName).to.equal('exp-claim');
  });

  it('defaults to one shard per cell, all at once; the schema check finds wrong types, missing and unknown fields', () => {
    const out = join(dir, 'm');
    expect(submit('--manifests', out).status).to.equal(0);
    const [, shards] = documents(join(out, 'shards.yaml')) as [ConfigMap, Job];
    expect(shards.spec).to.include({ completions: 8, parallelism: 8 });
    const broken = JSON.parse(JSON.stringify(shards)) as {
      spec: Record<string, unknown> & { template: { spec: { containers: Record<string, unknown>[] } } };
    };
    broken.spec.completions = '8';
    broken.spec.completionsMode = 'Indexed';
    delete broken.spec.template.spec.containers[0].name;
    broken.spec.template.spec.containers[0].resources = { limits: { cpu: { cores: 1 } } };
    const schemas = k8sSchemas();
    expect(checkSchema(broken, schemas['io.k8s.api.batch.v1.Job'], schemas)).to.deep.equal([
      '$.spec.completions: expected integer, got string',
      '$.spec.template.spec.containers[0].name: required',
      '$.spec.template.spec.containers[0].resources.limits.cpu: matches 0 of the oneOf alternatives, not exactly 1',
      '$.spec.completionsMode: unknown field',
    ]);
  });

  it('refuses more shards than cells and a name that is not a DNS label, with status 2', () => {
    const many = submit('--shards', '9');
    expect(many.status).to.equal(2);
    expect(many.stderr).to.match(/--shards must be at most the experiment's 8 cells, got 9/);
    const bad = submit('--name', 'My_Experiment');
    expect(bad.status).to.equal(2);
    expect(bad.stderr).to.match(/--name must be lower-case letters, digits and "-".*got My_Experiment/);
  });
});
