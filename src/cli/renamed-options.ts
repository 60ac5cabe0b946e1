/**
 * Options that had another name in earlier versions of batchlab. yargs only says "Unknown argument:
 * bn"; a user following an older example should learn the new name instead.
 */
export const RENAMED_OPTIONS: Readonly<Record<string, string>> = {
  bn: 'batch-norm',
  'allow-bn-batch-1': 'allow-batch-norm-batch-of-one',
};

/**
 * yargs' unknown-argument message with a line per renamed option it names, or the message as it was.
 * @example withRenamedHints('Unknown argument: bn') -> 'Unknown argument: bn\n--bn is now --batch-norm'
 */
export function withRenamedHints(message: string): string {
  const match = /^Unknown arguments?: (.+)$/.exec(message);
  if (!match) return message;
  const hints = match[1]
    .split(', ')
    .filter((name) => Object.hasOwn(RENAMED_OPTIONS, name))
    .map((name) => `--${name} is now --${RENAMED_OPTIONS[name]}`);
  return [message, ...hints].join('\n');
}
