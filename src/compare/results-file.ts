/**
 * results.jsonl: one JSON line per finished run, appended as each run ends, so a crash loses no
 * finished run. Reading tolerates a torn last line (a crash mid-append) and says so, and reads
 * records of older versions under this version's field names.
 */
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { RunResult, upgradeResult } from '../experiment/result';

export async function appendResult(path: string, result: RunResult): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  // One write call per line: appends of a few hundred KB land whole on local file systems.
  await appendFile(path, `${JSON.stringify(result)}\n`);
}

export interface ReadResults {
  results: RunResult[];
  /** 1-based numbers of lines that were not valid JSON (a torn last line after a crash). */
  skippedLines: number[];
}

export async function readResults(path: string): Promise<ReadResults> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { results: [], skippedLines: [] };
    throw error;
  }
  const results: RunResult[] = [];
  const skippedLines: number[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      results.push(upgradeResult(JSON.parse(line) as RunResult));
    } catch {
      skippedLines.push(i + 1);
    }
  });
  return { results, skippedLines };
}

/** Ids of cells that finished successfully: what --resume skips (failed cells run again). */
export function finishedIds(results: RunResult[]): Set<string> {
  return new Set(results.filter((r) => r.status === 'ok').map((r) => r.id));
}

/** Ends a torn last line with a newline, so the next append starts a line of its own. */
export async function ensureTrailingNewline(path: string): Promise<void> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return;
  }
  if (text.length > 0 && !text.endsWith('\n')) await appendFile(path, '\n');
}
