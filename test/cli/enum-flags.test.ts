/**
 * Every enumerated flag is declared with Option.choices(): a bad value is refused by
 * commander before any handler runs, with exit 2 and the allowed values, the same way for
 * every flag. In process, through runCli (the path bin/cutover takes for these commands).
 */
import type { CommandUnknownOpts } from '@commander-js/extra-typings';
import { afterEach, describe, expect, expectTypeOf, it, vi } from 'vitest';
import type { rehearseCommand } from '../../src/cli/commands/rehearse.js';
import type { rollbackCommand } from '../../src/cli/commands/rollback.js';
import type { resumeCommand, runCommand } from '../../src/cli/commands/run.js';
import type { statusCommand } from '../../src/cli/commands/status.js';
import { createOutput } from '../../src/cli/output.js';
import { buildProgram } from '../../src/cli/program.js';
import { runCli } from '../../src/cli/run-cli.js';

/** The enumerated flags, by command: a flag that loses its choices() fails the walk below. */
const ENUM_FLAGS: [command: string, flag: string, allowed: string[]][] = [
  ['run', '--on-interrupted', ['retry', 'rollback', 'kill']],
  ['resume', '--on-interrupted', ['retry', 'rollback', 'kill']],
  ['rehearse', '--on-interrupted', ['retry', 'rollback', 'kill']],
  ['run', '--bake', ['wait', 'exit']],
  ['resume', '--bake', ['wait', 'exit']],
  ['rollback', '--failed-steps', ['rollback', 'skip']],
];

function commandsOf(command: CommandUnknownOpts, path: string[] = []): [string, CommandUnknownOpts][] {
  return command.commands.flatMap((sub) => [[[...path, sub.name()].join(' '), sub] as [string, CommandUnknownOpts], ...commandsOf(sub, [...path, sub.name()])]);
}

async function cutover(args: string[]): Promise<{ code: number; stderr: string; stdout: string }> {
  let stderr = '';
  let stdout = '';
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((stderr += String(chunk)), true));
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((stdout += String(chunk)), true));
  const code = await runCli(['node', 'cutover', ...args]);
  vi.restoreAllMocks();
  return { code, stderr, stdout };
}

afterEach(() => vi.restoreAllMocks());

describe('enumerated flags', () => {
  it('are exactly the ones in the table (every option with a fixed set of values declares it)', () => {
    const declared = commandsOf(buildProgram(createOutput({ color: false }), '0.0.0')).flatMap(([name, command]) =>
      command.options.filter((option) => option.argChoices !== undefined).map((option) => [name, option.long, option.argChoices]),
    );
    expect(new Set(declared.map((row) => JSON.stringify(row)))).toEqual(new Set(ENUM_FLAGS.map((row) => JSON.stringify(row))));
  });

  it.each(ENUM_FLAGS)('%s %s banana exits 2 and lists the allowed values, before reading the runbook', async (command, flag, allowed) => {
    const run = await cutover([command, flag, 'banana', 'does-not-exist.yaml']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`error: option '${flag} <`);
    expect(run.stderr).toContain(`argument 'banana' is invalid. Allowed choices are ${allowed.join(', ')}.`);
    expect(run.stderr).not.toContain('does-not-exist.yaml');
    expect(run.stdout).toBe('');
  });

  it.each(ENUM_FLAGS)('%s --help lists the values of %s', async (command, flag, allowed) => {
    const run = await cutover([command, '--help']);
    expect(run.code).toBe(0);
    const line = run.stdout.slice(run.stdout.indexOf(flag)).replace(/\s+/g, ' ');
    expect(line).toContain(`(choices: ${allowed.map((value) => `"${value}"`).join(', ')})`);
  });
});

describe('typed options', () => {
  type OptionsOf<F extends (...args: never[]) => { opts(): unknown }> = ReturnType<ReturnType<F>['opts']>;

  it('give the handlers the flags as their types, not any', () => {
    expectTypeOf<OptionsOf<typeof runCommand>['onInterrupted']>().toEqualTypeOf<'retry' | 'rollback' | 'kill' | undefined>();
    expectTypeOf<OptionsOf<typeof resumeCommand>['bake']>().toEqualTypeOf<'wait' | 'exit' | undefined>();
    expectTypeOf<OptionsOf<typeof rehearseCommand>['onInterrupted']>().toEqualTypeOf<'retry' | 'rollback' | 'kill' | undefined>();
    expectTypeOf<OptionsOf<typeof rollbackCommand>['failedSteps']>().toEqualTypeOf<'rollback' | 'skip' | undefined>();
    expectTypeOf<OptionsOf<typeof runCommand>['var']>().toEqualTypeOf<string[] | undefined>();
    expectTypeOf<OptionsOf<typeof runCommand>['maxSteps']>().toEqualTypeOf<string | undefined>();
    expectTypeOf<OptionsOf<typeof statusCommand>['watch']>().toEqualTypeOf<true | undefined>();
    expectTypeOf<OptionsOf<typeof runCommand>>().not.toBeAny();
    // @ts-expect-error resume has no --dry-run
    expectTypeOf<OptionsOf<typeof resumeCommand>['dryRun']>();
  });
});
