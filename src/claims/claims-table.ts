/**
 * The claims and their verdicts in the three forms they are read in: a Markdown table for the
 * terminal (and to paste where Markdown is read), the report's first section (plots linked by
 * anchor), and claims.json. Owns the layout; the verdicts are the claim modules'.
 */
import type { LeadTable } from '../report/report-html';
import type { ClaimCheck } from './verdict';

const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/**
 * | Claim | Evidence | Verdict | Plot |, the plot as the file under `plotDir` that shows it.
 * @example claimsMarkdown([check], 'plots') -> '| Claim | Evidence | Verdict | Plot |\n|---|...|\n| Powers of two ... |'
 */
export function claimsMarkdown(checks: ClaimCheck[], plotDir = 'plots'): string {
  const rows = checks.map(
    (c) =>
      `| ${cell(c.claim)} | ${cell(c.evidence)} | ${cell(c.verdict.text)} | ${c.plot ? `${plotDir}/${c.plot}.svg` : '-'} |`,
  );
  return ['| Claim | Evidence | Verdict | Plot |', '|---|---|---|---|', ...rows].join('\n');
}

/** The report's first section: each plot linked to its chart's anchor in the same page. */
export function claimsLead(checks: ClaimCheck[]): LeadTable {
  return {
    id: 'claims',
    title: 'Claims',
    intro:
      'Textbook claims about batching, each judged by the rule under it on what this run measured (the rules are in the README: "The textbook claims, checked").',
    headers: ['Claim', 'Evidence', 'Verdict', 'Plot'],
    rows: checks.map((c) => [
      `${c.claim}. Rule: ${c.rule}`,
      c.evidence,
      c.verdict.text,
      c.plot ? { text: c.plot, href: `#${c.plot}` } : '-',
    ]),
  };
}

export interface ClaimsFile {
  /** The experiment the verdicts rest on. */
  experiment: string;
  /** Where the runs and the sweep are, relative to claims.json. */
  files: { results: string; report: string; throughput: string | null };
  claims: ClaimCheck[];
}
