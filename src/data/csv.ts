/**
 * Reader for small classification tables in CSV: numeric feature columns plus one label column.
 * Owns splitting, header detection, number checking and mapping labels to class indices; moving
 * the RawData onto a backend belongs to dataset.ts. Nothing here touches tensorflow.
 *
 * Deliberately simple: one row per line, cells split on commas and trimmed of whitespace; a cell
 * may be quoted (to hold a comma or a quote written ""), but not span lines. A leading byte-order
 * mark, \r\n line ends and blank lines are accepted.
 */
import { readFileSync } from 'node:fs';
import type { RawData } from './dataset';
import { InputError } from './input-error';

export interface CsvOptions {
  /** Name used in every error message, usually the file path. */
  fileName: string;
  /** Label column: a header name, or a 0-based column index. Default: the last column. */
  labelColumn?: string | number;
  /**
   * Whether the first row is a header. Default: detected; the first row is a header when one of
   * its cells outside the label column is not a number (label cells may be class names in any
   * row), or when `labelColumn` is a name.
   */
  header?: boolean;
}

export interface CsvData {
  /** Features float32 with inputShape [numFeatures]; targets are indices into `labelNames`. */
  raw: RawData;
  /** Class names in class-index order: sorted strings, or sorted distinct numbers as strings. */
  labelNames: string[];
}

interface Row {
  /** 1-based line number in the text, for error messages. */
  line: number;
  cells: string[];
}

const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

function isNumber(cell: string): boolean {
  return NUMBER.test(cell);
}

/** Parses CSV text into features and class indices. */
export function parseCsv(text: string, opts: CsvOptions): CsvData {
  const rows = splitRows(text, opts.fileName);
  if (rows.length === 0) throw new InputError(`${opts.fileName}: empty file, expected a header or data rows`);
  const width = rows[0].cells.length;
  if (width < 2)
    throw new InputError(
      `${opts.fileName} line ${rows[0].line}: expected at least 2 columns (features and a label), found ${width}`,
    );
  checkRagged(rows, width, opts.fileName);
  const hasHeader = detectHeader(rows[0], width, opts);
  const names = hasHeader ? rows[0].cells : undefined;
  const labelIndex = resolveLabelColumn(opts, width, names);
  const data = hasHeader ? rows.slice(1) : rows;
  if (data.length === 0)
    throw new InputError(`${opts.fileName}: expected data rows after the header on line ${rows[0].line}, found none`);
  const { targets, labelNames } = encodeLabels(data, labelIndex, opts.fileName);
  const features = parseFeatures(data, labelIndex, opts.fileName, names);
  return { raw: { features, inputShape: [width - 1], targets }, labelNames };
}

function splitRows(text: string, fileName: string): Row[] {
  const rows: Row[] = [];
  // A byte-order mark (as spreadsheet programs write) would otherwise stick to the first cell.
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  body.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() !== '') rows.push({ line: i + 1, cells: splitCells(line, `${fileName} line ${i + 1}`) });
  });
  return rows;
}

/**
 * Cells of one line, trimmed. A cell may be quoted ("a, b" is one cell, "" inside quotes is a
 * quote); a quote left open at the end of the line is an error, since cells never span lines here.
 */
function splitCells(line: string, where: string): string[] {
  const cells: string[] = [];
  const cell = /\s*(?:"((?:[^"]|"")*)"|([^,"]*))\s*(,|$)/y;
  let at = 0;
  for (let match = cell.exec(line); match; match = cell.exec(line)) {
    cells.push(match[1] !== undefined ? match[1].replace(/""/g, '"') : match[2].trim());
    if (match[3] === '') return cells;
    at = cell.lastIndex;
  }
  throw new InputError(
    `${where}, column ${cells.length + 1}: expected a plain or a whole quoted cell, closed on its line, found ${line.slice(at)}`,
  );
}

function checkRagged(rows: Row[], width: number, fileName: string): void {
  for (const row of rows) {
    if (row.cells.length !== width) {
      throw new InputError(
        `${fileName} line ${row.line}: expected ${width} columns (as on line ${rows[0].line}), found ${row.cells.length}`,
      );
    }
  }
}

/** Label cells are left out of the guess because class names are not numbers in any row. */
function detectHeader(first: Row, width: number, opts: CsvOptions): boolean {
  if (opts.header !== undefined) return opts.header;
  if (typeof opts.labelColumn === 'string') return true;
  const labelIndex = opts.labelColumn ?? width - 1;
  return first.cells.some((cell, i) => i !== labelIndex && !isNumber(cell));
}

function resolveLabelColumn(opts: CsvOptions, width: number, names: string[] | undefined): number {
  const column = opts.labelColumn ?? width - 1;
  if (typeof column === 'number') {
    if (!Number.isInteger(column) || column < 0 || column >= width) {
      throw new InputError(`${opts.fileName}: labelColumn ${column} is outside the column indices 0..${width - 1}`);
    }
    return column;
  }
  const index = names ? names.indexOf(column) : -1;
  if (index < 0) {
    const found = names ? `found columns ${names.map((n) => `"${n}"`).join(', ')}` : 'found no header row';
    throw new InputError(
      `${opts.fileName} line 1: expected a header column named "${column}" for labelColumn, ${found}`,
    );
  }
  return index;
}

function parseFeatures(data: Row[], labelIndex: number, fileName: string, names?: string[]): Float32Array {
  const width = data[0].cells.length;
  const features = new Float32Array(data.length * (width - 1));
  let k = 0;
  for (const row of data) {
    row.cells.forEach((cell, col) => {
      if (col === labelIndex) return;
      if (!isNumber(cell))
        throw new InputError(
          `${fileName} line ${row.line}, ${columnName(col, names)}: expected a number, found "${cell}"`,
        );
      features[k++] = Number(cell);
    });
  }
  return features;
}

function columnName(col: number, names?: string[]): string {
  return names ? `column ${col + 1} ("${names[col]}")` : `column ${col + 1}`;
}

/**
 * Numeric labels when every label cell is a number (classes are the distinct values in numeric
 * order, so "1" and "1.0" are one class), otherwise class names in code-point order.
 */
function encodeLabels(
  data: Row[],
  labelIndex: number,
  fileName: string,
): { targets: Int32Array; labelNames: string[] } {
  const cells = data.map((row) => row.cells[labelIndex]);
  const empty = cells.indexOf('');
  if (empty >= 0)
    throw new InputError(
      `${fileName} line ${data[empty].line}, column ${labelIndex + 1}: expected a label, found an empty cell`,
    );
  const numeric = cells.every(isNumber);
  const keys = numeric ? cells.map((c) => String(Number(c))) : cells;
  const order = numeric
    ? (a: string, b: string) => Number(a) - Number(b)
    : (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  const labelNames = [...new Set(keys)].sort(order);
  if (labelNames.length < 2) {
    throw new InputError(
      `${fileName}, column ${labelIndex + 1} (the label column): every one of the ${data.length} rows has the class "${labelNames[0]}"; classification needs at least 2 classes`,
    );
  }
  const classOf = new Map(labelNames.map((name, i) => [name, i]));
  return { targets: Int32Array.from(keys, (key) => classOf.get(key) as number), labelNames };
}

/** Reads and parses a CSV file; `opts.fileName` defaults to `path`. */
export function readCsvFile(path: string, opts: Partial<CsvOptions> = {}): CsvData {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new InputError(`${path}: file not found`);
    throw new InputError(`${path}: cannot read the file (${code ?? (err as Error).message})`);
  }
  return parseCsv(text, { ...opts, fileName: opts.fileName ?? path });
}
