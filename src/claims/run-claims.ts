/**
 * `runClaims`: runs the claims experiment (compare), asks the doctor which backends start, checks
 * every claim on what was measured and writes the verdicts: claims.json, report.html with the
 * claims as its first section (beside compare's results, summary and plots). Owns the order of the
 * work and the output files it adds; each rule is its claim module's.
 */
import { join } from 'node:path';
import { compare } from '../compare/compare';
import type { BackendName } from '../backend';
import { probeBackends } from '../doctor/probe';
import type { ExperimentSpecInput } from '../experiment/spec';
import { writeJsonAtomic } from '../io/atomic-write';
import { ReportChart, writeReport } from '../report/report';
import { throughputChart } from '../report/throughput-chart';
import { ThroughputSweep, describeThroughput, measureThroughput } from '../throughput';
import type { Callback } from '../training';
import { bnEvidence, checkBnClaim } from './bn-claim';
import { MEMORY_CHART, NOISE_CHART, memoryChart, noiseChart } from './claims-charts';
import { CLAIMS_SPEC } from './claims-spec';
import { ClaimsFile, claimsLead } from './claims-table';
import { BackendStatus, checkGpuClaim } from './gpu-claim';
import { checkMemoryClaim, memoryEvidence } from './memory-claim';
import { checkNoiseClaim, noiseEvidence } from './noise-claim';
import { checkPowersOfTwoClaim } from './powers-of-two-claim';
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
  options.log?.(`throughput: batch sizes ${CLAIMS_BATCH_SIZES.join(', ')} on ${sweptBackends(backends).join(', ')}`);
  const sweep = await measureThroughput({
    backends: sweptBackends(backends),
    batchSizes: CLAIMS_BATCH_SIZES,
    repeats: 3,
    seconds: 0.5,
    dataDir: options.spec?.dataDir,
  });
  const throughput = sweep.points;
  const memory = memoryEvidence(compared.results);
  const noise = noiseEvidence(compared.results);
  const charts = [throughputReportChart(sweep), memoryChart(memory), noiseChart(noise)].flatMap((c) => (c ? [c] : []));
  const checks = [
    checkPowersOfTwoClaim(throughput, THROUGHPUT_CHART),
    checkGpuClaim(backends, throughput, THROUGHPUT_CHART),
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
    files: { results: 'results.jsonl', report: 'report.html', throughput: `plots/${THROUGHPUT_CHART}.svg` },
    claims: checks,
  };
  await writeJsonAtomic(claimsPath, file);
  return { checks, files: { claims: claimsPath, report: report.html, results: compared.files.results } };
}

/**
 * Around three powers of two, each with both neighbours, as the powers-of-two rule reads them; 32 and
 * above are the mini-batches the GPU rule compares.
 */
const CLAIMS_BATCH_SIZES = [31, 32, 33, 63, 64, 65, 127, 128, 129];
const THROUGHPUT_CHART = 'throughput';

/** wasm, the CPU backend batchlab trains on by default, and every backend that computes on a GPU. */
function sweptBackends(backends: BackendStatus[]): BackendName[] {
  return ['wasm', ...backends.filter((b) => b.available && b.gpu).map((b) => b.name as BackendName)];
}

function throughputReportChart(sweep: ThroughputSweep): ReportChart | null {
  if (sweep.points.length === 0) return null;
  const note = describeThroughput(sweep.points);
  const caption = 'Samples per second of training steps against batch size, per backend; powers of two marked.';
  return { name: THROUGHPUT_CHART, caption, spec: throughputChart(sweep), note };
}
