/**
 * Headless rendering of chart specs: spec -> SVG with vega's 'none' renderer, SVG -> PNG with resvg.
 *
 * Fonts: vega writes text as `sans-serif`; resvg draws it with DejaVu Sans from the npm package
 * dejavu-fonts-ttf (a dependency, so PNG text renders on any machine without system fonts). Without
 * them `svgToPng` throws rather than return a PNG with no text.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import { compile } from 'vega-lite';
import type { ChartSpec } from './charts';

export interface PngOptions {
  /** Output width in pixels, height scaled to keep the aspect. Default: the SVG's own width. */
  width?: number;
}

/** TrueType files handed to resvg, from the dejavu-fonts-ttf package. */
const FONT_DIR = join(dirname(require.resolve('dejavu-fonts-ttf/package.json')), 'ttf');
export const FONT_FILES: readonly string[] = [join(FONT_DIR, 'DejaVuSans.ttf'), join(FONT_DIR, 'DejaVuSans-Bold.ttf')];
const FONT_FAMILY = 'DejaVu Sans';

/** Compiles a Vega-Lite spec and renders it headless to an SVG string. */
export async function renderSvg(spec: ChartSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Rasterises an SVG to PNG bytes on a white background, with DejaVu Sans for all text. */
export function svgToPng(svg: string, options: PngOptions = {}): Uint8Array {
  const { width } = options;
  if (width !== undefined && !(Number.isInteger(width) && width > 0)) {
    throw new RangeError(`svgToPng: width must be a positive integer, got ${width}`);
  }
  const missing = FONT_FILES.filter((f) => !existsSync(f));
  if (missing.length > 0) {
    throw new Error(
      `svgToPng: font file ${missing[0]} not found; reinstall the dejavu-fonts-ttf package (npm install)`,
    );
  }
  const resvg = new Resvg(svg, {
    background: 'white',
    fitTo: width === undefined ? { mode: 'original' } : { mode: 'width', value: width },
    font: {
      loadSystemFonts: false,
      fontFiles: [...FONT_FILES],
      defaultFontFamily: FONT_FAMILY,
      sansSerifFamily: FONT_FAMILY,
    },
  });
  return new Uint8Array(resvg.render().asPng());
}
