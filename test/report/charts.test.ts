import { expect } from 'chai';
import { barChart, lineChart } from '../../src/report/charts';
import { renderSvg, svgToPng } from '../../src/report/chart-render';

const PNG_SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10];
/** IHDR is the first chunk: width and height are big-endian u32 at bytes 16 and 20. */
const pngSize = (png: Uint8Array): { width: number; height: number } => {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  return { width: view.getUint32(16), height: view.getUint32(20) };
};
const count = (text: string, needle: string): number => text.split(needle).length - 1;

/** Loss 1/epoch for two strategies, BatchNorm off and on. */
const rows = ['off', 'on'].flatMap((bn) =>
  ['full', 'sgd'].flatMap((strategy) =>
    [1, 2, 3, 4].map((epoch) => ({ bn, strategy, epoch, loss: (strategy === 'sgd' ? 0.5 : 1) / epoch })),
  ),
);
const lossChart = (facet: boolean) =>
  lineChart({
    title: 'Training loss',
    x: { field: 'epoch', title: 'Epoch' },
    y: { field: 'loss', title: 'Loss', scale: 'log' },
    color: { field: 'strategy', title: 'Strategy' },
    facet: facet ? { field: 'bn', title: 'BatchNorm' } : undefined,
    data: facet ? rows : rows.filter((r) => r.bn === 'off'),
  });

describe('report/charts', () => {
  it('renders a two-series line chart to SVG with its title and one line per series', async () => {
    const svg = await renderSvg(lossChart(false));
    expect(svg.startsWith('<svg')).to.equal(true);
    expect(svg).to.contain('>Training loss</text>');
    expect(svg).to.contain('>Epoch</text>').and.to.contain('>Strategy</text>');
    expect(count(svg, 'class="mark-line role-mark')).to.equal(2);
    expect(svg).to.match(/<path [^>]*d="M/);
  });

  it('puts one column header per facet value', async () => {
    const svg = await renderSvg(lossChart(true));
    const headers = svg.slice(svg.indexOf('role-column-header'), svg.indexOf('role-column-footer'));
    expect(count(headers, 'role-title-text')).to.equal(2);
    expect(headers).to.contain('>off</text>').and.to.contain('>on</text>');
    expect(count(svg, 'class="mark-line role-mark')).to.equal(4);
  });

  it('renders grouped bars with error bars', async () => {
    const data = [
      { strategy: 'full', bn: 'off', acc: 0.9, std: 0.01 },
      { strategy: 'full', bn: 'on', acc: 0.93, std: 0.02 },
      { strategy: 'sgd', bn: 'off', acc: 0.95, std: 0.015 },
    ];
    const svg = await renderSvg(
      barChart({
        title: 'Final accuracy',
        x: { field: 'strategy', title: 'Strategy' },
        y: { field: 'acc', title: 'Accuracy' },
        color: { field: 'bn', title: 'BatchNorm' },
        errorField: 'std',
        data,
      }),
    );
    expect(svg).to.contain('>Final accuracy</text>').and.to.contain('>Accuracy</text>');
    expect(count(svg, 'aria-roledescription="bar"')).to.equal(3);
    expect(svg).to.contain('class="mark-rule role-mark');
  });

  it('rasterises to a PNG of the requested width', async () => {
    const png = svgToPng(await renderSvg(lossChart(true)), { width: 800 });
    expect(Array.from(png.subarray(0, 8))).to.deep.equal(PNG_SIGNATURE);
    const { width, height } = pngSize(png);
    expect(width).to.equal(800);
    expect(height).to.be.within(100, 800);
  });

  it('draws text in the PNG (a font is loaded)', () => {
    const blank = '<svg xmlns="http://www.w3.org/2000/svg" width="60" height="20"></svg>';
    const text = blank.replace(
      '></svg>',
      '><text x="2" y="15" font-family="sans-serif" font-size="14">Ag</text></svg>',
    );
    expect(Buffer.from(svgToPng(text)).equals(Buffer.from(svgToPng(blank)))).to.equal(false);
    expect(pngSize(svgToPng(blank)).width).to.equal(60);
  });

  it('rejects a bad width and a field missing from the data, naming them', () => {
    expect(() => svgToPng('<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>', { width: 0 })).to.throw(
      RangeError,
      /width must be a positive integer, got 0/,
    );
    expect(() =>
      lineChart({
        title: 't',
        x: { field: 'epoch', title: 'Epoch' },
        y: { field: 'lose', title: 'Loss' },
        color: { field: 'strategy', title: 'Strategy' },
        data: rows,
      }),
    ).to.throw(/field 'lose' is not in the data/);
  });
});
