// Every batchlab command the README shows, in its code blocks and inline code, parses with the real
// command line: its commands, options, choices and checks (yargs strict options, coerce and check),
// with stand-ins for the commands themselves, so that nothing trains. An unknown option or a bad
// value fails the test, naming the README line.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { batchlabCli, CommandRunners } from '../../src/cli/main';

const README = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');

interface ShownCommand {
  line: number;
  text: string;
  args: string[];
}

/**
 * The batchlab commands in `markdown`: lines of indented or fenced code blocks and inline code spans
 * that run `batchlab` or `npx batchlab` (after `&&` too). In a code block a command ends at a `#`
 * comment or at two or more spaces (the aligned description of a synopsis); `[options]` stands for
 * options and is left out, `[--flag]` is the optional flag itself.
 */
export function shownCommands(markdown: string): ShownCommand[] {
  const found: ShownCommand[] = [];
  const add = (line: number, text: string): void => {
    const words = text
      .split(/\s+/)
      .filter((w) => w !== '' && w !== '[options]')
      .map((w) => w.replace(/^\[(--[\w-]+)\]$/, '$1'));
    found.push({ line, text, args: words.slice(words.indexOf('batchlab') + 1) });
  };
  let fenced = false;
  markdown.split('\n').forEach((raw, i) => {
    if (/^\s*```/.test(raw)) fenced = !fenced;
    const code = fenced || /^ {4}/.test(raw);
    if (code) {
      const match = /(?:^|&&\s*)((?:npx )?batchlab(?: .*)?)$/.exec(raw.trim());
      if (match) add(i + 1, match[1].split(/\s+#|\s{2,}/)[0].trim());
      return;
    }
    for (const span of raw.matchAll(/`((?:npx )?batchlab(?: [^`]*)?)`/g)) add(i + 1, span[1]);
  });
  return found;
}

/** Parses `args` with the real command line; resolves to the command that would run, rejects on a bad line. */
async function parseOnly(args: string[]): Promise<string> {
  let ran = '(none: help or version)';
  const stand = (name: string) => () => {
    ran = name;
    return Promise.resolve();
  };
  const runners: CommandRunners = {
    train: stand('train'),
    compare: stand('compare'),
    claims: stand('claims'),
    lrFind: stand('lr-find'),
    throughput: stand('throughput'),
    merge: stand('merge'),
    submit: { slurm: stand('submit slurm'), k8s: stand('submit k8s') },
    doctor: stand('doctor'),
  };
  await new Promise<void>((resolve, reject) => {
    void batchlabCli(args, runners)
      .exitProcess(false)
      .fail((message, error) => reject(error ?? new Error(message)))
      // A parse callback keeps help text from being printed.
      .parseAsync(args, {}, (error) => (error ? reject(error) : resolve()));
  });
  return ran;
}

describe('the README’s batchlab commands', () => {
  const commands = shownCommands(README);

  it('finds the commands of code blocks and inline code, synopses included', () => {
    const texts = commands.map((c) => c.text);
    expect(texts).to.include('npx batchlab train --model mlp --batch-norm --strategy mini:128 --epochs 3');
    expect(texts).to.include('npx batchlab compare');
    expect(texts).to.include('npx batchlab doctor [--parity]');
    expect(texts).to.include('batchlab train --no-kernels');
    expect(commands.length).to.be.greaterThan(8);
  });

  it('reads a synopsis and a comment as a command line would', () => {
    const sample = [
      '    npx batchlab train [options]     train one model',
      '    npm install && npx batchlab doctor [--parity]   # every backend',
      'Inline: `batchlab train --no-kernels`.',
    ].join('\n');
    expect(shownCommands(sample).map((c) => c.args)).to.deep.equal([
      ['train'],
      ['doctor', '--parity'],
      ['train', '--no-kernels'],
    ]);
  });

  it('rejects what the real command line rejects (so that the check below can fail)', async () => {
    for (const bad of [
      ['train', '--bogus'],
      ['train', '--epochs', '1.5'],
      ['compare', '--batch-norm', 'maybe'],
      ['train', '--strategy', 'mini:0'],
      ['nonsense'],
    ]) {
      const error = await parseOnly(bad).then(
        () => null,
        (e: Error) => e,
      );
      expect(error, bad.join(' ')).to.be.instanceOf(Error);
    }
    expect(await parseOnly(['train', '--epochs', '2'])).to.equal('train');
  });

  for (const command of shownCommands(README)) {
    it(`README line ${command.line}: ${command.text}`, async () => {
      const ran = await parseOnly(command.args);
      const help = command.args.includes('--help') || command.args.length === 0;
      const name = command.args[0] === 'submit' ? command.args.slice(0, 2).join(' ') : command.args[0];
      expect(ran).to.equal(help ? '(none: help or version)' : name);
    });
  }
});
