/// <reference lib="dom" />
// Opens a generated report.html in headless Chromium (Debian's package) and checks that every
// chart rendered: a visible SVG with drawn marks and text. CI installs chromium; elsewhere the
// test is skipped when /usr/bin/chromium is absent.
import { expect } from 'chai';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { compare } from '../../src/compare/compare';
import { skipBecause } from '../setup';

const CHROMIUM = '/usr/bin/chromium';

describe('report.html in a browser', function () {
  this.timeout(180000);
  let dir: string;
  before(function () {
    if (!existsSync(CHROMIUM)) {
      if (process.env.CI) throw new Error(`${CHROMIUM} is missing: .ci/run installs the chromium package`);
      skipBecause(this, `${CHROMIUM} is missing; CI installs chromium`);
    }
    dir = mkdtempSync(join(tmpdir(), 'batchlab-report-'));
  });
  after(() => dir && rmSync(dir, { recursive: true, force: true }));

  it('renders every chart with marks and text', async () => {
    const result = await compare(
      {
        data: 'blobs',
        limit: 200,
        strategies: ['full', 'mini:20', 'mini:100'],
        batchNorm: 'both',
        seeds: 2,
        budget: 'epochs:2',
        backend: 'wasm',
      },
      { outDir: dir },
    );
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
      await page.goto(pathToFileURL(result.files.report as string).href);
      const charts = await page.$$eval('section.chart', (sections) =>
        sections.map((s) => {
          const svg = s.querySelector('svg');
          const box = svg?.getBoundingClientRect();
          return {
            id: s.id,
            width: box?.width ?? 0,
            height: box?.height ?? 0,
            marks: svg ? svg.querySelectorAll('path').length : 0,
            texts: svg
              ? Array.from(svg.querySelectorAll('text')).filter((t) => (t.textContent ?? '').trim() !== '').length
              : 0,
          };
        }),
      );
      expect(charts.map((c) => c.id)).to.include.members([
        'loss-vs-epoch',
        'loss-vs-updates',
        'final-accuracy',
        'gradient-noise',
        'activation-std',
      ]);
      for (const chart of charts) {
        expect(chart.width, chart.id).to.be.greaterThan(300);
        expect(chart.height, chart.id).to.be.greaterThan(150);
        expect(chart.marks, chart.id).to.be.greaterThan(3);
        expect(chart.texts, chart.id).to.be.greaterThan(5);
      }
      await page.screenshot({ path: join(tmpdir(), 'batchlab-report-screenshot.png'), fullPage: false });
    } finally {
      await browser.close();
    }
  });
});
