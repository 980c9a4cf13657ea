/** Every command's --help lists the global options, nested commands included. */
import { expect } from 'chai';
import type { Command } from 'commander';
import { buildProgram } from '../../../lib/cli/main.js';
import { createOutput } from '../../../lib/cli/output.js';

const GLOBAL_OPTIONS = [
  '--spec <file>',
  '--migrations-dir <dir>',
  '--database-url <url>',
  '--json',
];

function leafCommands(command: Command, prefix = ''): { name: string; command: Command }[] {
  return command.commands.flatMap((c) => {
    const name = `${prefix}${c.name()}`;
    return c.commands.length === 0 ? [{ name, command: c }] : leafCommands(c, `${name} `);
  });
}

describe('command help', () => {
  const program = buildProgram(createOutput(false));
  const leaves = leafCommands(program);

  it('finds the commands, nested ones included', () => {
    const names = leaves.map((l) => l.name);
    expect(names).to.include.members([
      'up',
      'init',
      'jobs run',
      'embedded start',
      'embedded reset',
    ]);
  });

  for (const name of ['up', 'jobs run', 'embedded start']) {
    it(`${name} --help shows the global options under their own heading`, () => {
      const help = leaves.find((l) => l.name === name)?.command.helpInformation() ?? '';
      const globals = help.slice(help.indexOf('Global Options:'));
      expect(help).to.include('Global Options:');
      for (const option of GLOBAL_OPTIONS) expect(globals, `${name}: ${option}`).to.include(option);
    });
  }

  it('every command lists every global option', () => {
    for (const { name, command } of leaves) {
      const help = command.helpInformation();
      for (const option of GLOBAL_OPTIONS) expect(help, `${name}: ${option}`).to.include(option);
    }
  });
});
