import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { buildProgram } from '../src/cli/main.js';

// docs/cli-reference.md: every command's `--help`, generated from the commander definitions the
// CLI parses with (`npm run generate`); a test fails when the committed page differs.

export const CLI_REFERENCE_FILE = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  'docs',
  'cli-reference.md',
);

/** The help of a command at a fixed width, so the page does not depend on the terminal. */
function helpOf(command: Command): string {
  command.configureHelp({ helpWidth: 100 });
  return command.helpInformation().trimEnd();
}

function commandsOf(command: Command, prefix: string[] = []): Array<{ name: string; command: Command }> {
  return command.commands.flatMap((sub) => {
    const name = [...prefix, sub.name()];
    return [{ name: name.join(' '), command: sub }, ...commandsOf(sub, name)];
  });
}

export function cliReferenceText(): string {
  const program = buildProgram();
  const sections = commandsOf(program).map(
    ({ name, command }) => `## linkswitch ${name}\n\n\`\`\`text\n${helpOf(command)}\n\`\`\``,
  );
  return [
    '# Command reference',
    '',
    'Every command and flag, as `linkswitch <command> --help` prints them. Generated from the CLI',
    'by `npm run generate`; [cli.md](cli.md) explains what the commands do, their output and',
    'their exit codes.',
    '',
    '## linkswitch',
    '',
    '```text',
    helpOf(program),
    '```',
    '',
    sections.join('\n\n'),
    '',
  ].join('\n');
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await writeFile(CLI_REFERENCE_FILE, cliReferenceText());
  console.log(`wrote ${path.relative(process.cwd(), CLI_REFERENCE_FILE)}`);
}
