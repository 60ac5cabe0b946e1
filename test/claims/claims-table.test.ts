import { expect } from 'chai';
import { claimsLead, claimsMarkdown } from '../../src/claims/claims-table';
import { reportHtml } from '../../src/report/report-html';
import type { ClaimCheck } from '../../src/claims/verdict';

const checks: ClaimCheck[] = [
  {
    id: 'memory',
    claim: 'A mini-batch needs memory for n samples',
    rule: 'Holds if | rises',
    evidence: 'update peak: sgd 1 MB | full 9 MB',
    verdict: { kind: 'holds', text: 'holds here' },
    plot: 'memory-vs-batch',
  },
  {
    id: 'gpu',
    claim: 'A GPU is faster',
    rule: 'GPU <fast>',
    evidence: 'backends that start: wasm',
    verdict: { kind: 'cannot be checked', text: 'cannot be checked here: no GPU backend' },
    plot: null,
  },
];

describe('the claims table', () => {
  it('is a Markdown table with the plot file, pipes in the text escaped', () => {
    expect(claimsMarkdown(checks)).to.equal(
      [
        '| Claim | Evidence | Verdict | Plot |',
        '|---|---|---|---|',
        '| A mini-batch needs memory for n samples | update peak: sgd 1 MB \\| full 9 MB | holds here | plots/memory-vs-batch.svg |',
        '| A GPU is faster | backends that start: wasm | cannot be checked here: no GPU backend | - |',
      ].join('\n'),
    );
  });

  it("is the report's first section, each plot linked to its chart's anchor, text escaped", () => {
    const html = reportHtml({ title: 't', lead: claimsLead(checks), charts: [], summary: [], results: [], spec: {} });
    const section = html.slice(html.indexOf('<section id="claims">'), html.indexOf('</section>'));
    expect(html.indexOf('<section id="claims">')).to.be.lessThan(html.indexOf('<pre>'));
    expect(section).to.include('<th>Claim</th><th>Evidence</th><th>Verdict</th><th>Plot</th>');
    expect(section).to.include(
      '<td>A mini-batch needs memory for n samples. Rule: Holds if | rises</td><td>update peak: sgd 1 MB | full 9 MB</td><td>holds here</td><td><a href="#memory-vs-batch">memory-vs-batch</a></td>',
    );
    expect(section).to.include('<td>A GPU is faster. Rule: GPU &lt;fast&gt;</td>');
    expect(section).to.include('<td>cannot be checked here: no GPU backend</td><td>-</td>');
  });
});
