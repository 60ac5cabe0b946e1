/**
 * An experiment as Kubernetes objects: a ConfigMap holding the spec, an Indexed Job with one
 * completion per shard (each pod runs `batchlab compare` for the shard JOB_COMPLETION_INDEX of
 * BATCHLAB_SHARD_COUNT into a directory on a PersistentVolumeClaim), and a merge Job that runs
 * `batchlab merge` on that directory. Owns the objects and their YAML; creating them is k8s-apply.ts's.
 */
import { stringify } from 'yaml';
import type { ExperimentSpec } from '../../experiment/spec';
import { ONE_THREAD_PER_WORKER } from './worker-threads';

export interface K8sOptions {
  /** Prefix of every object's name: a DNS label of at most 40 characters (see k8sName). */
  name: string;
  image: string;
  /** The PersistentVolumeClaim that holds the experiment directory, shared by every pod. */
  claim: string;
  /** Completions: one per shard. */
  shards: number;
  /** Pods running at once. */
  maxParallel: number;
  /** CPUs each pod requests and is limited to; it runs this many worker processes. */
  cpusPerTask: number;
  spec: ExperimentSpec;
}

/** Where the claim is mounted in the pods; the experiment directory is <mount>/<name>. */
export const RESULTS_MOUNT = '/results';
const SPEC_MOUNT = '/etc/batchlab';

export type K8sObject = Record<string, unknown>;

/**
 * `name` checked as a prefix for the objects' names: a DNS label (lower-case letters, digits and
 * '-') short enough that the Job's pods' host names, `<name>-shards-<index>`, stay within 63
 * characters. Returns the reason it is not, or null.
 */
export function k8sNameProblem(name: string): string | null {
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name))
    return 'must be lower-case letters, digits and "-", starting and ending with a letter or digit';
  return name.length > 40 ? `must be at most 40 characters, has ${name.length}` : null;
}

/** A DNS-label name from a spec's name: "Fashion-MNIST: batch sizes" -> "fashion-mnist-batch-sizes". */
export function k8sName(text: string): string {
  const slug = text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .slice(0, 40)
    .replace(/^-+|-+$/g, '');
  return slug === '' ? 'batchlab' : slug;
}

/** The objects of the shards (ConfigMap and Indexed Job) and of the merge Job. */
export function k8sManifests(o: K8sOptions): { shards: K8sObject[]; merge: K8sObject[] } {
  const outDir = `${RESULTS_MOUNT}/${o.name}`;
  const labels = { 'app.kubernetes.io/name': 'batchlab', 'app.kubernetes.io/instance': o.name };
  const cpu = String(o.cpusPerTask);
  const resultsVolume = { name: 'results', persistentVolumeClaim: { claimName: o.claim } };
  const resultsMount = { name: 'results', mountPath: RESULTS_MOUNT };
  const configMap = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: `${o.name}-spec`, labels },
    data: { 'spec.json': `${JSON.stringify(o.spec, null, 2)}\n` },
  };
  const shardsJob = job(`${o.name}-shards`, labels, {
    completionMode: 'Indexed',
    completions: o.shards,
    parallelism: Math.min(o.maxParallel, o.shards),
    // A pod that fails (a failed cell, or one evicted) is retried once; --resume skips what it finished.
    backoffLimitPerIndex: 1,
    template: {
      metadata: { labels },
      spec: {
        restartPolicy: 'Never',
        containers: [
          {
            name: 'shard',
            image: o.image,
            command: [
              'batchlab',
              'compare',
              '--spec',
              `${SPEC_MOUNT}/spec.json`,
              '--resume',
              '--out',
              outDir,
              '--jobs',
              cpu,
              '--threads',
              '1',
            ],
            // JOB_COMPLETION_INDEX is the pod's index, set by Kubernetes; the count is set here.
            env: [
              { name: 'BATCHLAB_SHARD_COUNT', value: String(o.shards) },
              ...Object.entries(ONE_THREAD_PER_WORKER).map(([name, value]) => ({ name, value })),
            ],
            resources: { requests: { cpu }, limits: { cpu } },
            volumeMounts: [resultsMount, { name: 'spec', mountPath: SPEC_MOUNT, readOnly: true }],
          },
        ],
        volumes: [resultsVolume, { name: 'spec', configMap: { name: `${o.name}-spec` } }],
      },
    },
  });
  const mergeJob = job(`${o.name}-merge`, labels, {
    // Cells missing or failed make merge exit 1; retrying would not find them.
    backoffLimit: 0,
    template: {
      metadata: { labels },
      spec: {
        restartPolicy: 'Never',
        containers: [
          {
            name: 'merge',
            image: o.image,
            command: ['batchlab', 'merge', outDir],
            resources: { requests: { cpu: '1' }, limits: { cpu: '1' } },
            volumeMounts: [resultsMount],
          },
        ],
        volumes: [resultsVolume],
      },
    },
  });
  return { shards: [configMap, shardsJob], merge: [mergeJob] };
}

function job(name: string, labels: Record<string, string>, spec: K8sObject): K8sObject {
  return { apiVersion: 'batch/v1', kind: 'Job', metadata: { name, labels }, spec };
}

/** Objects as one YAML stream, `---` between documents; shared values written out, not as anchors. */
export function toYaml(objects: K8sObject[]): string {
  return objects.map((o) => stringify(o, { lineWidth: 0, aliasDuplicateObjects: false })).join('---\n');
}
