// `batchlab submit k8s --apply` against a stand-in Kubernetes API server (test/helpers/fake-k8s-api.ts)
// reached through a generated kubeconfig (KUBECONFIG): the objects it POSTs are those of the YAML
// files, in order (ConfigMap, Indexed Job, its status until it ends, then the merge Job and its
// status), with the kubeconfig's token, in the context's namespace or --namespace; a Job that fails
// still gets its merge, and the command exits 1; a refused, absent or unreachable cluster, or an
// object already there, is an error naming it, exit 2, with the YAML files kept.
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { runBatchlab } from '../helpers/batchlab-cli';
import { FakeK8sApi, FakeK8sOptions, startFakeK8sApi } from '../helpers/fake-k8s-api';

/** 2 strategies x BN on/off = 4 cells, so 4 completions. */
const SPEC = 'name: apply test\nstrategies: [full, "mini:32"]\n';
const COMPLETE = { succeeded: 2, conditions: [{ type: 'Complete', status: 'True' }] };
const FAILED = {
  failed: 2,
  conditions: [{ type: 'Failed', status: 'True', reason: 'FailedIndexes', message: 'Job has failed indexes' }],
};

describe('batchlab submit k8s --apply', function () {
  this.timeout(180000);
  let dir: string;
  let api: FakeK8sApi | null;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'batchlab-k8s-apply-'));
    writeFileSync(join(dir, 'exp.yaml'), SPEC);
    api = null;
  });
  afterEach(async () => {
    await api?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const apply = (env: NodeJS.ProcessEnv, ...extra: string[]) =>
    runBatchlab(
      ['submit', 'k8s', '--spec', join(dir, 'exp.yaml'), '--image', 'img:1', '--volume', 'claim'].concat(
        ['--name', 'exp', '--manifests', join(dir, 'm'), '--apply', '--poll', '1'],
        extra,
      ),
      { ...process.env, ...env },
    );
  const server = async (o: FakeK8sOptions, namespace?: string): Promise<NodeJS.ProcessEnv> => {
    api = await startFakeK8sApi(o);
    return { KUBECONFIG: api.kubeconfig(join(dir, 'kubeconfig'), namespace) };
  };
  const documents = (file: string): unknown[] =>
    parseAllDocuments(readFileSync(join(dir, 'm', file), 'utf8')).map((d) => d.toJS() as unknown);

  it("creates the YAML's objects in the context's namespace, follows the Indexed Job, then the merge Job", async () => {
    const env = await server(
      { statuses: { 'exp-shards': [{ active: 2 }, COMPLETE], 'exp-merge': [{}, COMPLETE] } },
      'lab',
    );
    const r = await apply(env);
    expect(r.status, r.stderr).to.equal(0);
    const requests = (api as FakeK8sApi).requests;
    expect(requests.map((q) => `${q.method} ${q.path}`)).to.deep.equal([
      'POST /api/v1/namespaces/lab/configmaps',
      'POST /apis/batch/v1/namespaces/lab/jobs',
      'GET /apis/batch/v1/namespaces/lab/jobs/exp-shards/status',
      'GET /apis/batch/v1/namespaces/lab/jobs/exp-shards/status',
      'POST /apis/batch/v1/namespaces/lab/jobs',
      'GET /apis/batch/v1/namespaces/lab/jobs/exp-merge/status',
      'GET /apis/batch/v1/namespaces/lab/jobs/exp-merge/status',
    ]);
    expect(requests.map((q) => q.token)).to.deep.equal(Array(7).fill('t0ken'));
    // Field for field the objects of the files written, none lost on the way.
    const posted = requests.filter((q) => q.method === 'POST').map((q) => q.body);
    expect(posted).to.deep.equal([...documents('shards.yaml'), ...documents('merge.yaml')]);
    expect(posted[1]).to.nested.include({ 'spec.completionMode': 'Indexed', 'spec.completions': 4 });
    expect(r.stderr).to.include(
      `created configmap/exp-spec, job/exp-shards in cluster fake-cluster (${api?.server}), namespace lab`,
    );
    expect(r.stderr).to.match(
      /job\/exp-shards: succeeded 0, failed 0, active 2\njob\/exp-shards: succeeded 2, failed 0, active 0\n/,
    );
    expect(r.stdout).to.include('job/exp-shards: Complete (2 succeeded, 0 failed)\njob/exp-merge: Complete');
  });

  it('a failed Indexed Job still gets its merge Job, and the command exits 1; --namespace overrides', async () => {
    const env = await server({ statuses: { 'exp-shards': [FAILED], 'exp-merge': [COMPLETE] } }, 'lab');
    const r = await apply(env, '--namespace', 'other');
    expect(r.status, r.stderr).to.equal(1);
    expect(
      (api as FakeK8sApi).requests.map((q) => `${q.method} ${q.path.replace('/apis/batch/v1/namespaces', '')}`),
    ).to.deep.equal([
      'POST /api/v1/namespaces/other/configmaps',
      'POST /other/jobs',
      'GET /other/jobs/exp-shards/status',
      'POST /other/jobs',
      'GET /other/jobs/exp-merge/status',
    ]);
    expect(r.stdout).to.include('job/exp-shards: Failed (0 succeeded, 2 failed)\njob/exp-merge: Complete');
  });

  for (const [code, why] of [
    [401, /the server answered 401 Unauthorized.*renew its credentials/],
    [403, /the server answered 403 Forbidden.*may not do this there/],
  ] as const) {
    it(`a cluster that answers ${code} is an error naming it and the object, exit 2, files kept`, async () => {
      const env = await server({ statuses: {}, answer: code });
      const r = await apply(env);
      expect(r.status).to.equal(2);
      expect(r.stderr).to.include(
        `create ConfigMap exp-spec in cluster fake-cluster (${api?.server}), namespace default:`,
      );
      expect(r.stderr).to.match(why);
      expect(documents('shards.yaml')).to.have.length(2);
      expect((api as FakeK8sApi).requests).to.have.length(1);
    });
  }

  it('losing the server while following says the Job goes on and how to create the merge Job', async () => {
    const env = await server({ statuses: { 'exp-shards': [{ active: 2 }, 503] } });
    const r = await apply(env);
    expect(r.status, r.stderr).to.equal(2);
    expect(r.stderr).to.match(
      /read Job exp-shards in cluster fake-cluster .*: the server answered 503 ServiceUnavailable/,
    );
    expect(r.stderr).to.include(
      `job/exp-shards goes on in the cluster; once it has ended, create the merge Job with kubectl apply -f ${join(dir, 'm', 'merge.yaml')}`,
    );
    expect((api as FakeK8sApi).requests.filter((q) => q.method === 'POST')).to.have.length(2);
  });

  it('an object already there (409) names it and how to remove the earlier one', async () => {
    const env = await server({ statuses: {}, existing: ['default/exp-shards'] });
    const r = await apply(env);
    expect(r.status).to.equal(2);
    expect(r.stderr).to.match(
      /create Job exp-shards in cluster fake-cluster .*: the server answered 409 AlreadyExists/,
    );
    expect(r.stderr).to.include('kubectl delete job,configmap -l app.kubernetes.io/instance=exp');
  });

  it('an unreachable server, a missing kubeconfig file, and none at all are errors, exit 2', async () => {
    const env = await server({ statuses: {} });
    await (api as FakeK8sApi).close();
    const down = await apply(env);
    api = null;
    expect(down.status).to.equal(2);
    expect(down.stderr).to.match(
      /create ConfigMap exp-spec: cannot reach cluster fake-cluster \(http:\/\/127\.0\.0\.1:\d+\), namespace default: .*ECONNREFUSED/,
    );
    const missing = await apply({ KUBECONFIG: join(dir, 'nowhere') });
    expect(missing.status).to.equal(2);
    expect(missing.stderr).to.include(`KUBECONFIG names ${join(dir, 'nowhere')}, which does not exist`);
    const none = await apply({ KUBECONFIG: '', HOME: dir, KUBERNETES_SERVICE_HOST: undefined });
    expect(none.status).to.equal(2);
    expect(none.stderr).to.include(
      `--apply needs a kubeconfig, the one kubectl uses: KUBECONFIG is not set and ${join(dir, '.kube', 'config')} does not exist`,
    );
    expect(documents('merge.yaml')).to.have.length(1);
  });
});
