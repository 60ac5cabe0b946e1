/**
 * The Kubernetes API as `submit k8s --apply` uses it: the user's kubeconfig (KUBECONFIG, else
 * ~/.kube/config, else the pod's service account when run inside a cluster) and its current context,
 * creating a ConfigMap or a Job in a namespace and reading a Job back, through
 * @kubernetes/client-node, which is loaded only here, on --apply. Owns which cluster and namespace,
 * and errors that name them and the object; what to create and when is k8s-apply.ts's.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import type * as K8s from '@kubernetes/client-node';
import { InputError } from '../../data/input-error';
import type { K8sObject } from './k8s';

/** A connection to the current context's cluster, in one namespace. */
export interface K8sApi {
  /** "cluster kind-dev (https://127.0.0.1:6443), namespace exp", for messages. */
  where: string;
  namespace: string;
  /** Creates a ConfigMap or a Job. */
  create(object: K8sObject): Promise<void>;
  /** A Job as the API server has it now, status included. */
  readJob(name: string): Promise<unknown>;
}

/** The kubeconfig files kubectl would read, or the service account's; a clear error when there are none. */
function kubeconfigSource(env: NodeJS.ProcessEnv): string {
  const files = (env.KUBECONFIG ?? '').split(delimiter).filter((f) => f !== '');
  const missing = files.filter((f) => !existsSync(f));
  if (missing.length > 0) throw new InputError(`KUBECONFIG names ${missing.join(', ')}, which does not exist`);
  if (files.length > 0) return files.join(delimiter);
  const home = join(homedir(), '.kube', 'config');
  if (existsSync(home)) return home;
  if (env.KUBERNETES_SERVICE_HOST !== undefined) return 'the pod service account';
  throw new InputError(
    `--apply needs a kubeconfig, the one kubectl uses: KUBECONFIG is not set and ${home} does not exist`,
  );
}

async function loadClient(): Promise<typeof K8s> {
  try {
    return await import('@kubernetes/client-node');
  } catch (error) {
    throw new InputError(
      `--apply needs the package @kubernetes/client-node, which did not load (${(error as Error).message}); apply the files written above with kubectl instead`,
    );
  }
}

/** Connects to the kubeconfig's current context; `namespace` overrides the context's (default: "default"). */
export async function connectK8s(namespace?: string, env: NodeJS.ProcessEnv = process.env): Promise<K8sApi> {
  const source = kubeconfigSource(env);
  const k8s = await loadClient();
  const config = new k8s.KubeConfig();
  try {
    config.loadFromDefault();
  } catch (error) {
    throw new InputError(`kubeconfig ${source}: ${(error as Error).message}`);
  }
  const context = config.getCurrentContext();
  const cluster = config.getCurrentCluster();
  if (!cluster) {
    throw new InputError(`kubeconfig ${source}: its current context (${context || 'none'}) names no cluster`);
  }
  const ns = namespace ?? config.getContextObject(context)?.namespace ?? 'default';
  const where = `cluster ${cluster.name} (${cluster.server}), namespace ${ns}`;
  const core = config.makeApiClient(k8s.CoreV1Api);
  const batch = config.makeApiClient(k8s.BatchV1Api);
  const call = async <T>(what: string, request: () => Promise<{ body: T }>, instance?: string): Promise<T> => {
    try {
      return (await request()).body;
    } catch (error) {
      throw apiError(error, what, where, instance);
    }
  };
  return {
    where,
    namespace: ns,
    async create(object) {
      const metadata = object.metadata as K8s.V1ObjectMeta;
      const what = `create ${String(object.kind)} ${metadata.name}`;
      const instance = metadata.labels?.['app.kubernetes.io/instance'];
      if (object.kind === 'ConfigMap') {
        await call(what, () => core.createNamespacedConfigMap(ns, object as K8s.V1ConfigMap), instance);
      } else if (object.kind === 'Job') {
        await call(what, () => batch.createNamespacedJob(ns, object as K8s.V1Job), instance);
      } else {
        throw new Error(`${what}: not a kind submit k8s writes`);
      }
    },
    readJob: (name) => call(`read Job ${name}`, () => batch.readNamespacedJobStatus(name, ns)),
  };
}

interface ApiStatusBody {
  reason?: string;
  message?: string;
}

/**
 * A failed request as an error naming what was asked of which cluster: unreachable, refused
 * (401, 403), an object that already exists (409), or whatever else the server answered.
 */
export function apiError(error: unknown, what: string, where: string, instance = '<name>'): InputError {
  const status = (error as { statusCode?: number }).statusCode;
  if (status === undefined) {
    return new InputError(`${what}: cannot reach ${where}: ${(error as Error).message}`);
  }
  const body = ((error as { body?: unknown }).body ?? {}) as ApiStatusBody;
  const answer = [String(status), body.reason, body.message].filter((s) => s !== undefined && s !== '').join(' ');
  const hint =
    status === 401
      ? "; the kubeconfig's user is not recognised: renew its credentials"
      : status === 403
        ? "; the kubeconfig's user may not do this there: ask for the right, or choose another --namespace"
        : status === 409
          ? `; delete the earlier objects (kubectl delete job,configmap -l app.kubernetes.io/instance=${instance}) or choose another --name`
          : '';
  return new InputError(`${what} in ${where}: the server answered ${answer}${hint}`);
}
