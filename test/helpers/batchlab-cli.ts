/** Runs the batchlab command from source, as a user's shell would, and returns what it printed. */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

export const CLI_MAIN = join(__dirname, '..', '..', 'src', 'cli', 'main.ts');

export function batchlab(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, ['--require', 'tsx/cjs', CLI_MAIN, ...args], {
    encoding: 'utf8',
    timeout: 120000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}
