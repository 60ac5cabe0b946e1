/**
 * `submit k8s --apply`: creates the shards' objects (the spec's ConfigMap, the Indexed Job),
 * follows the Indexed Job until it is Complete or Failed, then creates the merge Job and follows it
 * too, so that the merge runs after every shard has ended, however it ended (as Slurm's afterany).
 * Owns that order and reading a Job's conditions; the objects are k8s.ts's, the API k8s-api.ts's.
 */
import type { K8sApi } from './k8s-api';
import type { K8sObject } from './k8s';

export interface ApplyOptions {
  api: K8sApi;
  /** The objects of the shards (ConfigMap, Indexed Job) and of the merge Job, as k8sManifests makes them. */
  manifests: { shards: K8sObject[]; merge: K8sObject[] };
  shardsJob: string;
  mergeJob: string;
  /** The merge Job's YAML file, for the message when following the shards stops. */
  mergeFile: string;
  /** Seconds between looks at a Job. Default: 10. */
  pollSeconds?: number;
  log: (line: string) => void;
}

/** How a Job ended: its terminal condition, and its pods' counts. */
export interface JobEnd {
  condition: 'Complete' | 'Failed';
  succeeded: number;
  failed: number;
  /** The Job controller's reason and message for the condition. */
  message: string;
}

export async function applyAndFollow(o: ApplyOptions): Promise<{ shards: JobEnd; merge: JobEnd }> {
  for (const object of o.manifests.shards) await o.api.create(object);
  o.log(`created ${names(o.manifests.shards)} in ${o.api.where}; following job/${o.shardsJob}`);
  const shards = await follow(o.shardsJob, o).catch((error: Error) => {
    // The Job goes on in the cluster without us: say how to finish by hand.
    error.message += `\njob/${o.shardsJob} goes on in the cluster; once it has ended, create the merge Job with kubectl apply -f ${o.mergeFile}`;
    throw error;
  });
  for (const object of o.manifests.merge) await o.api.create(object);
  o.log(`created ${names(o.manifests.merge)}; following job/${o.mergeJob}`);
  const merge = await follow(o.mergeJob, o);
  return { shards, merge };
}

/** "configmap/exp-spec, job/exp-shards" */
function names(objects: K8sObject[]): string {
  return objects.map((o) => `${String(o.kind).toLowerCase()}/${(o.metadata as { name: string }).name}`).join(', ');
}

/** Looks at the Job every pollSeconds, logging its pod counts when they change, until it ends. */
async function follow(name: string, o: ApplyOptions): Promise<JobEnd> {
  let last = '';
  for (;;) {
    const status = jobStatus(await o.api.readJob(name));
    const counts = `succeeded ${status.succeeded}, failed ${status.failed}, active ${status.active}`;
    if (counts !== last) o.log(`job/${name}: ${counts}`);
    last = counts;
    if (status.end) return status.end;
    await new Promise((resolve) => setTimeout(resolve, (o.pollSeconds ?? 10) * 1000));
  }
}

interface JobStatusJson {
  status?: {
    succeeded?: number;
    failed?: number;
    active?: number;
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
  };
}

/** A Job object's counts, and its end when a Complete or Failed condition is true. */
export function jobStatus(job: unknown): { succeeded: number; failed: number; active: number; end: JobEnd | null } {
  const status = (job as JobStatusJson).status ?? {};
  const counts = { succeeded: status.succeeded ?? 0, failed: status.failed ?? 0, active: status.active ?? 0 };
  const done = (status.conditions ?? []).find(
    (c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True',
  );
  if (!done) return { ...counts, end: null };
  const message = [done.reason, done.message].filter((s) => s !== undefined && s !== '').join(': ');
  return { ...counts, end: { condition: done.type as JobEnd['condition'], ...counts, message } };
}
