/**
 * Vega-Lite spec builders for experiment reports (`lineChart`, `barChart`) with the house sizes,
 * legends, axis titles and notes under a chart. Rendering a spec is chart-render.ts's; choosing
 * what to plot, and writing files, are left to the report code that calls them.
 */
import type { TopLevelSpec } from 'vega-lite';

export type ChartSpec = TopLevelSpec;

/** A positional field: the data column, its axis title, and its scale (default 'linear'). */
export interface AxisField {
  field: string;
  title: string;
  /** Default 'linear'; 'log' needs positive values. */
  scale?: 'linear' | 'log';
  /** Order of categories on a bar chart's x axis. Default: alphabetical. */
  sort?: string[];
  /** Whole-number ticks only (epochs). Default: false. */
  integer?: boolean;
}

/** A grouping field shown as a legend (colour) or as side-by-side panels (facet). */
export interface GroupField {
  field: string;
  title: string;
  /** Order of the values in legends and panels. Default: alphabetical. */
  sort?: string[];
  /** Fixed colours by value, so that one value has one colour in every chart. Default: vega's scheme. */
  colors?: { domain: string[]; range: string[] };
  /** Whether a colour field gets a legend. Default: true. */
  legend?: boolean;
}

export interface LineChartOptions {
  title: string;
  /** Quantitative x, e.g. epoch. */
  x: AxisField;
  /** Quantitative y, e.g. loss. */
  y: AxisField;
  /** One line per value, e.g. strategy. */
  color: GroupField;
  /** Optional column facet, e.g. BatchNorm on/off side by side. Default: one panel. */
  facet?: GroupField;
  /** Lines printed under the chart, e.g. which series are missing and why. Default: none. */
  note?: string[];
  data: Record<string, unknown>[];
}

export interface BarChartOptions {
  title: string;
  /** Category axis, e.g. strategy; its scale is ignored. */
  x: AxisField;
  /** Bar height, e.g. mean final accuracy. */
  y: AxisField;
  /** Optional grouping: bars side by side within each x, with a legend. Default: none. */
  color?: GroupField;
  /** Optional column facet. Default: one panel. */
  facet?: GroupField;
  /** Optional column holding a standard deviation, drawn as y ± std error bars. Default: none. */
  errorField?: string;
  /**
   * Optional column of text written upright above each bar (and its error bar), e.g. 'failed' for a
   * configuration without a value (its y null: an empty bar that still has its place). Default: none.
   */
  labelField?: string;
  /** Lines printed under the chart. Default: none. */
  note?: string[];
  data: Record<string, unknown>[];
}

/** Size of one panel (per facet), in pixels. */
export const PANEL = { width: 360, height: 220 } as const;

/**
 * One line per `color` value over quantitative x and y, optionally one panel per `facet` value.
 * @example lineChart({ title: 'Loss', x: { field: 'epoch', title: 'Epoch' },
 *   y: { field: 'loss', title: 'Loss', scale: 'log' }, color: { field: 'strategy', title: 'Strategy' },
 *   facet: { field: 'bn', title: 'BatchNorm' }, data: rows })
 */
export function lineChart(options: LineChartOptions): ChartSpec {
  const { title, x, y, color, facet, note, data } = options;
  requireFields('lineChart', data, [x.field, y.field, color.field, facet?.field]);
  return withNote(title, note, {
    data: { values: data },
    ...PANEL,
    mark: { type: 'line', point: data.length <= 400 },
    encoding: {
      x: quantitative(x, data),
      y: { ...quantitative(y, data), scale: y.scale === 'log' ? { type: 'log' } : { type: 'linear', zero: false } },
      color: colour(color),
      ...(facet ? { column: nominal(facet) } : {}),
    },
  });
}

/**
 * Bars of y per x category, grouped side by side by `color`, with y ± `errorField` error bars.
 * @example barChart({ title: 'Final accuracy', x: { field: 'strategy', title: 'Strategy' },
 *   y: { field: 'acc', title: 'Accuracy' }, errorField: 'accStd', data: rows })
 */
export function barChart(options: BarChartOptions): ChartSpec {
  const { title, x, y, color, facet, errorField, labelField, note, data } = options;
  requireFields('barChart', data, [x.field, y.field, color?.field, facet?.field, errorField, labelField]);
  const position = {
    // Long category names (strategy plus optimizer and learning rate) are slanted so they do not overlap.
    x: {
      ...nominal(x),
      // Every category keeps its place, even one whose bars all lack a value.
      ...(x.sort ? { scale: { domain: x.sort } } : {}),
      axis: { labelAngle: data.some((row) => String(row[x.field]).length > 10) ? -30 : 0, labelLimit: 0 },
    },
    ...(color && color.field !== x.field ? { xOffset: nominal(color) } : {}),
  };
  const bar = {
    mark: { type: 'bar' as const },
    encoding: { ...position, y: quantitative(y, data), ...(color ? { color: colour(color) } : {}) },
  };
  const errorBar = errorField && {
    mark: { type: 'errorbar' as const, color: 'black' },
    encoding: { ...position, y: quantitative(y, data), yError: { field: errorField } },
  };
  const label = labelField && {
    // Above the bar and its error bar; at 0 for a bar without a value.
    transform: [{ calculate: `(datum.${y.field} || 0) + (datum.${errorField ?? 'none'} || 0)`, as: 'labelAt' }],
    mark: { type: 'text' as const, angle: 270, align: 'left' as const, baseline: 'middle' as const, dx: 4 },
    encoding: { ...position, y: { field: 'labelAt', type: 'quantitative' as const }, text: { field: labelField } },
  };
  const layers = [bar, errorBar, label].filter((l) => !!l);
  const panel = layers.length > 1 ? { ...PANEL, layer: layers } : { ...PANEL, ...bar };
  if (!facet) return withNote(title, note, { data: { values: data }, ...panel });
  return withNote(title, note, { data: { values: data }, facet: { column: nominal(facet) }, spec: panel });
}

/** Lines of text stacked under a chart (under all its panels), in grey. */
export function withNote(title: string, note: string[] | undefined, chart: Record<string, unknown>): ChartSpec {
  if (!note || note.length === 0) return { title, ...chart } as ChartSpec;
  const lines = {
    data: { values: note.map((text, line) => ({ text, line })) },
    mark: { type: 'text', align: 'left', baseline: 'top', color: '#555', fontSize: 11 },
    encoding: {
      y: { field: 'line', type: 'ordinal', axis: null },
      x: { value: 0 },
      text: { field: 'text' },
    },
    height: { step: 15 },
    view: { stroke: null },
  };
  // The legend stays beside the chart rather than beside the (wider) lines of the note.
  return { title, vconcat: [chart, lines], resolve: { legend: { color: 'independent' } } } as ChartSpec;
}

/**
 * A quantitative position. `integer` ticks are the whole numbers of the data's range (thinned to
 * about ten), set explicitly: vega's own ticks for a range of 1 to 2 are 1, 1.5, 2.
 */
function quantitative(axis: AxisField, data: Record<string, unknown>[]) {
  return {
    field: axis.field,
    type: 'quantitative' as const,
    title: axis.title,
    scale: { type: axis.scale ?? 'linear' },
    ...(axis.integer ? { axis: { values: integerTicks(data, axis.field), format: 'd' } } : {}),
  };
}

/** Whole numbers from the smallest to the largest value of `field`, every k-th for at most 12. */
export function integerTicks(data: Record<string, unknown>[], field: string): number[] {
  const values = data.map((row) => row[field]).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  if (values.length === 0) return [];
  const [low, high] = [Math.ceil(Math.min(...values)), Math.floor(Math.max(...values))];
  const step = Math.max(1, Math.ceil((high - low + 1) / 12));
  const ticks: number[] = [];
  for (let v = low; v <= high; v += step) ticks.push(v);
  return ticks;
}

function nominal(group: GroupField | AxisField) {
  return {
    field: group.field,
    type: 'nominal' as const,
    title: group.title,
    ...(group.sort ? { sort: group.sort } : {}),
  };
}

/** A colour encoding: fixed colours when given, and legend labels never cut short. */
function colour(group: GroupField) {
  return {
    ...nominal(group),
    ...(group.colors ? { scale: { domain: group.colors.domain, range: group.colors.range } } : {}),
    legend: group.legend === false ? null : { labelLimit: 0, titleLimit: 0 },
  };
}

/** Rejects a spec naming a field that no row has, naming the field. */
function requireFields(who: string, data: Record<string, unknown>[], fields: (string | undefined)[]): void {
  if (data.length === 0) return;
  for (const field of fields) {
    if (field !== undefined && !data.some((row) => field in row)) {
      throw new Error(`${who}: field '${field}' is not in the data (first row has ${Object.keys(data[0]).join(', ')})`);
    }
  }
}
