/**
 * `submit k8s --apply` through the user's kubectl (and so its kubeconfig and context): applies the
 * shards' objects, follows the Indexed Job until it is Complete or Failed, then applies the merge
 * Job and follows it too, so the merge runs after every shard has ended, however it ended. Owns
 * calling kubectl and reading a Job's conditions; the objects are k8s.ts's.
 */
import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

export interface FollowOptions {
  /** The manifests and the Jobs in them. */
  shardsFile: string;
  mergeFile: string;
  shardsJob: string;
  mergeJob: string;
  /** The kubectl to run. Default: kubectl from PATH. */
  kubectl?: string;
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

/** The path of `command` on PATH, or null. */
export function onPath(command: string, path = process.env.PATH ?? ''): string | null {
  for (const dir of path.split(delimiter).filter((d) => d !== '')) {
    try {
      accessSync(join(dir, command), constants.X_OK);
      return join(dir, command);
    } catch {
      // not in this directory
    }
  }
  return null;
}

export async function applyAndFollow(o: FollowOptions): Promise<{ shards: JobEnd; merge: JobEnd }> {
  const kubectl = o.kubectl ?? 'kubectl';
  await run(kubectl, ['apply', '-f', o.shardsFile]);
  o.log(`applied ${o.shardsFile}; following job/${o.shardsJob}`);
  const shards = await follow(kubectl, o.shardsJob, o);
  await run(kubectl, ['apply', '-f', o.mergeFile]);
  o.log(`applied ${o.mergeFile}; following job/${o.mergeJob}`);
  const merge = await follow(kubectl, o.mergeJob, o);
  return { shards, merge };
}

/** Looks at the Job every pollSeconds, logging its pod counts when they change, until it ends. */
async function follow(kubectl: string, name: string, o: FollowOptions): Promise<JobEnd> {
  let last = '';
  for (;;) {
    const status = jobStatus(JSON.parse(await run(kubectl, ['get', 'job', name, '-o', 'json'])) as unknown);
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

function run(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${command} ${args.join(' ')}: ${stderr.trim() || error.message}`));
      else resolve(stdout);
    });
  });
}
