/** report.html: one self-contained page (inline SVG charts, no scripts, no external files). */
import type { BackendProbe } from '../backend';
import type { RunResult } from '../experiment/result';
import { backendLines } from './backend-chart';
import { SummaryRow, contentionNote, summaryTable } from './summary';
import { outcomeOf, stopReasonOf } from './run-status';

export interface RenderedChart {
  name: string;
  title: string;
  /** What to look for in it, shown under the chart. */
  caption: string;
  svg: string;
}

/** A cell of a lead table: text, or text linking to an anchor or file. */
export type LeadCell = string | { text: string; href: string };

/** A table shown first, above the summary (e.g. claims and their verdicts), with its own anchor. */
export interface LeadTable {
  id: string;
  title: string;
  /** A paragraph under the title. Default: none. */
  intro?: string;
  headers: string[];
  rows: LeadCell[][];
}

export interface ReportPage {
  title: string;
  /** Default: none. */
  lead?: LeadTable;
  charts: RenderedChart[];
  summary: SummaryRow[];
  results: RunResult[];
  spec: unknown;
  /** The listed backends' probes, for an experiment that lists backends. Default: none. */
  backends?: BackendProbe[] | null;
}

const escape = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function leadHtml(lead: LeadTable | undefined): string {
  if (!lead) return '';
  const cell = (c: LeadCell): string =>
    typeof c === 'string' ? escape(c) : `<a href="${escape(c.href)}">${escape(c.text)}</a>`;
  const head = lead.headers.map((h) => `<th>${escape(h)}</th>`).join('');
  const rows = lead.rows.map((r) => `<tr>${r.map((c) => `<td>${cell(c)}</td>`).join('')}</tr>`).join('\n');
  return `<section id="${escape(lead.id)}">
<h2>${escape(lead.title)}</h2>
${lead.intro ? `<p>${escape(lead.intro)}</p>\n` : ''}<table class="lead">
<tr>${head}</tr>
${rows}
</table>
</section>
`;
}

export function reportHtml(page: ReportPage): string {
  const failed = page.results.filter((r) => r.status === 'failed');
  const contention = contentionNote(page.summary);
  const stopped = page.results.filter((r) => outcomeOf(r) === 'nan');
  const charts = page.charts
    .map(
      (c) => `
<section class="chart" id="${escape(c.name)}">
  <h2>${escape(c.title)}</h2>
  ${c.svg}
  <p>${escape(c.caption)}</p>
</section>`,
    )
    .join('\n');
  const item = (r: RunResult, text: string): string => `<li><code>${escape(r.id)}</code>: ${escape(text)}</li>`;
  const items = [
    ...failed.map((r) => item(r, r.error ?? 'unknown error')),
    ...stopped.map((r) => item(r, `stopped: ${stopReasonOf(r)?.message ?? ''}`)),
  ];
  const backends =
    page.backends && page.backends.length > 0
      ? `
<h2>Backends</h2>
<ul>${backendLines(page.backends)
          .map((line) => `<li>${escape(line)}</li>`)
          .join('')}</ul>`
      : '';
  const failures =
    items.length === 0
      ? ''
      : `
<h2>Runs that did not finish</h2>
<ul>${items.join('')}</ul>`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escape(page.title)}</title>
<style>
  body { font-family: sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }
  pre { background: #f6f6f6; padding: 1em; overflow-x: auto; font-size: 13px; }
  section.chart { margin: 2em 0; }
  section.chart svg { max-width: 100%; height: auto; }
  table.lead { border-collapse: collapse; font-size: 14px; }
  table.lead td, table.lead th { border: 1px solid #ccc; padding: 0.4em 0.6em; text-align: left; vertical-align: top; }
</style>
</head>
<body>
<h1>${escape(page.title)}</h1>
${leadHtml(page.lead)}<p>${page.results.length} runs (${failed.length} failed, ${stopped.length} NaN-stopped). Mean ± standard deviation over seeds.</p>
${contention === null ? '' : `<p><strong>${escape(contention)}</strong></p>\n`}<pre>${escape(summaryTable(page.summary))}</pre>
${backends}${failures}
${charts}
<h2>Specification</h2>
<pre>${escape(JSON.stringify(page.spec, null, 2))}</pre>
</body>
</html>
`;
}
