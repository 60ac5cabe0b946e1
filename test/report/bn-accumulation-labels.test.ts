import { expect } from 'chai';
import { summarize, summaryTable } from '../../src/report/summary';
import { bnFacetLabel } from '../../src/report/bn-labels';
import { run } from './fixtures';

describe('the BN accumulation mode in the summary and the report', () => {
  const oneSeed = (strategy: string, bn: boolean, bnAccumulation?: 'chunk' | 'exact') => {
    const r = run({ strategy, bn });
    if (!bnAccumulation) return r;
    // The id part of a cell of the factor: bn-chunk, bn-exact.
    const group = r.cell.group.replace('/bn/', `/bn-${bnAccumulation}/`);
    return { ...r, id: `${group}/seed0`, cell: { ...r.cell, group, bnAccumulation }, bnAccumulation };
  };

  it("takes the cell's mode; a record from before the factor has its run's; no BN has none", () => {
    const exact = oneSeed('mini:64/micro:16', true, 'exact');
    const older = { ...oneSeed('mini:64/micro:16', true), bnAccumulation: 'exact' as const };
    const rows = summarize([oneSeed('mini:64/micro:16', false), older, exact]);
    expect(rows.map((r) => r.bnAccumulation)).to.deep.equal([null, 'exact', 'exact']);
    expect([exact, older].map((r) => bnFacetLabel(r.cell))).to.deep.equal(['BN on (exact)', 'BN on']);
  });

  it("gives the table a 'BN acc.' column only when a row is exact", () => {
    const chunk = [oneSeed('mini:64', true), oneSeed('mini:64/micro:16', true, 'chunk')];
    expect(summaryTable(summarize(chunk)).split('\n')[0]).to.match(/^model +strategy +BN +runs /);
    const table = summaryTable(summarize([...chunk, oneSeed('mini:64/micro:16', true, 'exact')])).split('\n');
    expect(table[0]).to.match(/^model +strategy +BN +BN acc\. +runs /);
    expect(table.slice(2, 5).map((l) => l.split(/ {2,}/).slice(1, 4))).to.deep.equal([
      ['mini:64', 'on', '-'],
      ['mini:64/micro:16', 'on', 'chunk'],
      ['mini:64/micro:16', 'on', 'exact'],
    ]);
  });
});
