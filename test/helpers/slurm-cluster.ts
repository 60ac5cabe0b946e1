/**
 * A single-node Slurm cluster for tests, from Debian's slurm-wlm and munge packages: munged,
 * slurmctld and slurmd run as root in the foreground (no systemd), with every file (key, socket,
 * state, spool, logs, a slurm.conf generated for this host) in a temporary directory, and ports
 * nobody else listens on. Client commands reach it through SLURM_CONF in `env`. stop() ends the
 * three daemons this helper started, by their process ids, and only them; so does the test process
 * ending without it (an uncaught error) or on SIGINT or SIGTERM, after cancelling this cluster's jobs.
 */
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, hostname, tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

const DAEMONS = ['/usr/sbin/munged', '/usr/sbin/slurmctld', '/usr/sbin/slurmd'];

/** Why a cluster cannot start here (packages missing, not root), or null when it can. */
export function slurmUnavailable(): string | null {
  const missing = DAEMONS.filter((d) => !existsSync(d));
  if (missing.length > 0) return `${missing.join(', ')} missing (apt-get install slurm-wlm munge)`;
  if (process.getuid?.() !== 0) return 'the test cluster runs its daemons as root';
  return null;
}

export interface SlurmCluster {
  /** process.env with SLURM_CONF pointing at this cluster. */
  env: NodeJS.ProcessEnv;
  dir: string;
  /** The daemons' process ids: munged, slurmctld, slurmd. */
  pids: number[];
  /** A client command's output (sbatch, squeue, scontrol, sinfo) against this cluster. */
  client(command: string, args: string[]): string;
  /** The daemons' logs, for a failure message. */
  logs(): string;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

async function waitFor(what: string, check: () => boolean, seconds: number, logs: () => string): Promise<void> {
  const until = Date.now() + seconds * 1000;
  while (!check()) {
    if (Date.now() > until) throw new Error(`test Slurm cluster: ${what} not within ${seconds} s\n${logs()}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

export async function startSlurmCluster(): Promise<SlurmCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'batchlab-slurm-'));
  // munged refuses a socket directory others cannot enter.
  chmodSync(dir, 0o755);
  for (const sub of ['state', 'spool', 'log']) mkdirSync(join(dir, sub));
  const key = join(dir, 'munge.key');
  writeFileSync(key, randomBytes(1024), { mode: 0o400 });
  const socket = join(dir, 'munge.socket');
  const host = hostname().split('.')[0];
  const conf = join(dir, 'slurm.conf');
  writeFileSync(conf, slurmConf(dir, host, socket, await freePort(), await freePort()));
  const env = { ...process.env, SLURM_CONF: conf };
  const children: ChildProcess[] = [];
  const logs = (): string =>
    ['munged', 'slurmctld', 'slurmd']
      .map((d) => join(dir, 'log', `${d}.out`))
      .filter((f) => existsSync(f))
      .map((f) => `--- ${f}\n${readFileSync(f, 'utf8').slice(-3000)}`)
      .join('\n');
  const start = (name: string, args: string[]): void => {
    const out = openSync(join(dir, 'log', `${name}.out`), 'a');
    children.push(spawn(`/usr/sbin/${name}`, args, { env, stdio: ['ignore', out, out] }));
  };
  const client = (command: string, args: string[]): string =>
    execFileSync(command, args, { env, encoding: 'utf8', timeout: 30000 });
  // Should the test process end without stop() (an uncaught error, Ctrl-C, a kill), the daemons end
  // with it; on a signal, this cluster's jobs are cancelled first, then the signal ends the process.
  const killAll = (): void =>
    children.forEach((c) => c.exitCode === null && c.signalCode === null && c.kill('SIGKILL'));
  const onSignal = (signal: NodeJS.Signals): void => {
    try {
      execFileSync('scancel', ['--user', userInfo().username], { env, timeout: 5000, stdio: 'ignore' });
    } catch {
      // the controller is not up yet, or there is nothing to cancel
    }
    forget();
    killAll();
    rmSync(dir, { recursive: true, force: true });
    process.kill(process.pid, signal);
  };
  const forget = (): void => {
    process.off('exit', killAll);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
  process.once('exit', killAll);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const stop = async (): Promise<void> => {
    forget();
    // Only the processes started here, by pid; slurmd before slurmctld before munged.
    for (const child of [...children].reverse()) {
      if (child.exitCode !== null || child.signalCode !== null) continue;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    start('munged', [
      '--foreground',
      '--force',
      `--socket=${socket}`,
      `--key-file=${key}`,
      `--pid-file=${join(dir, 'munged.pid')}`,
      `--seed-file=${join(dir, 'munged.seed')}`,
      `--log-file=${join(dir, 'log', 'munged.log')}`,
    ]);
    await waitFor('munged', () => existsSync(socket), 20, logs);
    start('slurmctld', ['-D', '-f', conf]);
    start('slurmd', ['-D', '-f', conf, '-N', host]);
    const idle = (): boolean => {
      try {
        return client('sinfo', ['-h', '-o', '%T']).trim() === 'idle';
      } catch {
        return false;
      }
    };
    await waitFor('an idle node', idle, 60, logs);
  } catch (error) {
    await stop();
    throw error;
  }
  return { env, dir, pids: children.map((c) => c.pid ?? 0), client, logs, stop };
}

/** slurm.conf for one node, this host, with every path under `dir`. */
function slurmConf(dir: string, host: string, socket: string, ctldPort: number, slurmdPort: number): string {
  return [
    'ClusterName=batchlabtest',
    `SlurmctldHost=${host}`,
    `SlurmctldPort=${ctldPort}`,
    `SlurmdPort=${slurmdPort}`,
    'AuthType=auth/munge',
    `AuthInfo=socket=${socket}`,
    'CredType=cred/munge',
    'SlurmUser=root',
    'SlurmdUser=root',
    `StateSaveLocation=${join(dir, 'state')}`,
    `SlurmdSpoolDir=${join(dir, 'spool')}`,
    `SlurmctldPidFile=${join(dir, 'slurmctld.pid')}`,
    `SlurmdPidFile=${join(dir, 'slurmd.pid')}`,
    // No cgroups here (and no cgroup.conf): processes are tracked through /proc, tasks not bound.
    'ProctrackType=proctrack/linuxproc',
    'TaskPlugin=task/none',
    'JobAcctGatherType=jobacct_gather/none',
    'AccountingStorageType=accounting_storage/none',
    'JobCompType=jobcomp/none',
    'MpiDefault=none',
    'SelectType=select/cons_tres',
    'SelectTypeParameters=CR_CPU',
    'ReturnToService=2',
    // RealMemory 1: a node that declares less memory than it has is not drained.
    `NodeName=${host} CPUs=${cpus().length} RealMemory=1 State=UNKNOWN`,
    `PartitionName=batch Nodes=${host} Default=YES MaxTime=INFINITE State=UP`,
    '',
  ].join('\n');
}
