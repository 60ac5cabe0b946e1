/**
 * `runClaims`: runs the claims experiment (compare), asks the doctor which backends start, checks
 * every claim on what was measured and writes the verdicts: claims.json, report.html with the
 * claims as its first section (beside compare's results, summary and plots). Owns the order of the
 * work and the output files it adds; each rule is its claim module's.
 */
import { join } from 'node:path';
import { compare } from '../compare/compare';
import { probeBackends } from '../doctor/probe';
import type { ExperimentSpecInput } from '../experiment/spec';
import { writeJsonAtomic } from '../io/atomic-write';
import { writeReport } from '../report/report';
import type { Callback } from '../training';
import { bnEvidence, checkBnClaim } from './bn-claim';
import { MEMORY_CHART, NOISE_CHART, memoryChart, noiseChart } from './claims-charts';
import { CLAIMS_SPEC } from './claims-spec';
import { ClaimsFile, claimsLead } from './claims-table';
import { BackendStatus, checkGpuClaim } from './gpu-claim';
import { checkMemoryClaim, memoryEvidence } from './memory-claim';
import { checkNoiseClaim, noiseEvidence } from './noise-claim';
import { ThroughputPointLike, checkPowersOfTwoClaim } from './powers-of-two-claim';
import type { ClaimCheck } from './verdict';

export interface ClaimsOptions {
  /** The experiment the memory, noise and BN claims read. Default: CLAIMS_SPEC. */
  spec?: ExperimentSpecInput;
  /** Output directory; one that already holds results is refused unless resuming. Default: runs/claims-<time>. */
  outDir?: string;
  /** Keep the runs already in outDir's results.jsonl (of this same experiment) and run the rest. Default: false. */
  resume?: boolean;
  /** Progress lines. Default: none. */
  log?: (line: string) => void;
  /** Training callbacks made afresh for each run (e.g. a progress bar). Default: none. */
  callbacks?: () => Callback[];
  /** Aborting ends the runs; runClaims then rejects with compare's CompareInterrupted. Default: none. */
  signal?: AbortSignal;
}

export interface ClaimsResult {
  checks: ClaimCheck[];
  files: { claims: string; report: string; results: string };
}

export async function runClaims(options: ClaimsOptions = {}): Promise<ClaimsResult> {
  const outDir = options.outDir ?? join('runs', `claims-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  const compared = await compare(options.spec ?? CLAIMS_SPEC, {
    outDir,
    report: false,
    resume: options.resume,
    log: options.log,
    callbacks: options.callbacks,
    signal: options.signal,
  });
  const backends: BackendStatus[] = (await probeBackends()).map((p) => ({
    name: p.name,
    available: p.available,
    gpu: p.info?.gpu ?? false,
    device: p.info?.device ?? null,
    reason: p.reason,
  }));
  const throughput: ThroughputPointLike[] = [];
  const memory = memoryEvidence(compared.results);
  const noise = noiseEvidence(compared.results);
  const charts = [memoryChart(memory), noiseChart(noise)].flatMap((c) => (c ? [c] : []));
  const checks = [
    checkPowersOfTwoClaim(throughput, null),
    checkGpuClaim(backends, throughput, null),
    checkMemoryClaim(memory, MEMORY_CHART),
    checkNoiseClaim(noise, NOISE_CHART),
    checkBnClaim(bnEvidence(compared.results), 'activation-std'),
  ];
  const report = await writeReport(
    compared.outDir,
    compared.spec.name,
    compared.results,
    compared.summary,
    compared.spec,
    { lead: claimsLead(checks), charts },
  );
  const claimsPath = join(compared.outDir, 'claims.json');
  const file: ClaimsFile = {
    experiment: compared.spec.name,
    files: { results: 'results.jsonl', report: 'report.html', throughput: null },
    claims: checks,
  };
  await writeJsonAtomic(claimsPath, file);
  return { checks, files: { claims: claimsPath, report: report.html, results: compared.files.results } };
}
