/**
 * The error for input a user handed in that cannot be used as it is: a data file, a spec file, an
 * output directory that would lose work. The message names the file (or option) and the problem;
 * the CLI maps this class to exit status 2, the same as a bad option, and leaves exit status 1 to
 * runs that fail on their own.
 */
export class InputError extends Error {
  override name = 'InputError';
}
