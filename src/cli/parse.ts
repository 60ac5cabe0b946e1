/**
 * Parsers for CLI option values. Each throws a UsageError naming the option and the value, which
 * main.ts turns into a usage message and exit code 2.
 */

export class UsageError extends Error {
  override name = 'UsageError';
}

export function positiveInteger(option: string) {
  return (value: unknown): number => {
    const n = Number(value);
    if (value === '' || !Number.isInteger(n) || n < 1)
      throw new UsageError(`--${option} must be a positive integer, got ${String(value)}`);
    return n;
  };
}

/** A positive integer no larger than `max`, e.g. `--epochs` within the budget limits. */
export function positiveIntegerUpTo(option: string, max: number) {
  const parse = positiveInteger(option);
  return (value: unknown): number => {
    const n = parse(value);
    if (n > max) throw new UsageError(`--${option} must be at most ${max}, got ${String(value)}`);
    return n;
  };
}

export function integer(option: string) {
  return (value: unknown): number => {
    const n = Number(value);
    if (value === '' || !Number.isInteger(n))
      throw new UsageError(`--${option} must be an integer, got ${String(value)}`);
    return n;
  };
}

export function numberIn(option: string, min: number, max: number, { minExclusive = true } = {}) {
  return (value: unknown): number => {
    const n = Number(value);
    const aboveMin = minExclusive ? n > min : n >= min;
    if (value === '' || !Number.isFinite(n) || !aboveMin || n > max) {
      throw new UsageError(
        `--${option} must be a number in ${minExclusive ? '(' : '['}${min}, ${max}], got ${String(value)}`,
      );
    }
    return n;
  };
}

export function positiveNumber(option: string) {
  return (value: unknown): number => {
    const n = Number(value);
    if (value === '' || !Number.isFinite(n) || n <= 0)
      throw new UsageError(`--${option} must be a positive number, got ${String(value)}`);
    return n;
  };
}

/** Comma-separated positive integers, e.g. `--hidden 256,128`. */
export function integerList(option: string) {
  return (value: unknown): number[] => {
    const parts = String(value)
      .split(',')
      .map((p) => p.trim());
    const numbers = parts.map(Number);
    if (parts.some((p) => p === '') || numbers.some((n) => !Number.isInteger(n) || n < 1)) {
      throw new UsageError(`--${option} must be comma-separated positive integers, got ${String(value)}`);
    }
    return numbers;
  };
}

/** Wraps a library parser so its error becomes a usage error naming the option. */
export function viaLibrary<T>(option: string, parse: (text: string) => T) {
  return (value: unknown): T => {
    try {
      return parse(String(value));
    } catch (error) {
      throw new UsageError(`--${option}: ${error instanceof Error ? error.message : String(error)}`);
    }
  };
}
