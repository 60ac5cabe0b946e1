/**
 * What two runs of one experiment must share, whichever machines ran them: every recorded number
 * except measurements of time and of the process (seconds, samples per second, the process's peak
 * resident set size, the threads it computed with), for results.jsonl records and summary.csv rows.
 */
import { readFileSync } from 'node:fs';
import type { RunResult } from '../../src/experiment/result';

export function readJsonLines(path: string): RunResult[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as RunResult);
}

/** A record without its timings and the process's memory, id and threads. */
export function withoutTimings(result: RunResult): unknown {
  const { timing: _timing, pid: _pid, threads: _threads, memory, target, history, ...rest } = result;
  return {
    ...rest,
    memory: memory && { ...memory, maxRssBytes: null },
    target: target && { ...target, seconds: null },
    history: history && { ...history, epochs: history.epochs.map((e) => ({ ...e, seconds: null })) },
  };
}

/** summary.csv without the columns of seconds, samples per second, resident set size and threads. */
export function summaryWithoutTimings(path: string): string[][] {
  const rows = readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .map((line) => line.split(','));
  const keep = rows[0].map((name, i) => (/second|rss|^threads$/.test(name) ? -1 : i)).filter((i) => i >= 0);
  return rows.map((row) => keep.map((i) => row[i]));
}
