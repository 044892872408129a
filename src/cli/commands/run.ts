/**
 * `cutover run <runbook>` and `cutover resume <runbook>`: the same options (run adds
 * --dry-run) and the same handler; resume requires a journal and first resolves an
 * interrupted step.
 */
import { Command, Option } from '@commander-js/extra-typings';
import type { Output } from '../output.js';
import { addAwsOptions, addSessionOptions } from '../runbook-flags.js';

export const ON_INTERRUPTED = ['retry', 'rollback', 'kill'] as const;
export const BAKE_MODES = ['wait', 'exit'] as const;

function runOptions(command: Command<[string]>) {
  return addAwsOptions(addSessionOptions(command))
    .option('--force', 'apply traffic steps even when live weights drifted from the journal (journaled)')
    .option('--max-steps <n>', 'run at most N steps, then stop')
    .option('--until <id>', 'stop after this step')
    .option(
      '--start-at <id>',
      'skip the pending steps before this one (each journaled as skipped, with who and "--start-at ID"); refused if one of them may have left changes, is a manual step or skippable: false',
    )
    .option('--accept-changes', 'run even though completed steps changed since they ran (journaled)')
    .addOption(new Option('--on-interrupted <what>', 'without a TTY, what to do with an interrupted step that has no verify').choices(ON_INTERRUPTED))
    .addOption(
      new Option(
        '--bake <mode>',
        'at an open bake window: wait (watching until it passes) or exit (watch once, report waiting); default wait at a terminal, exit otherwise',
      ).choices(BAKE_MODES),
    )
    .option('--detailed-exitcode', 'exit 10 when steps remain, 11 when waiting for a bake, 12 when waiting for an approval')
    .option('--require-rehearsal', 'refuse to start unless every step to run passed a rehearsal of its current definition (as policy.requireRehearsal)')
    .option('--rehearsal <path>', 'the rehearsal journal the gate reads (default .cutover/<name>.rehearsal.jsonl)');
}

export function runCommand(output: Output) {
  return runOptions(
    new Command('run').description('execute pending steps in order, asking before each; resumes from the journal').argument('<runbook>', 'runbook YAML file'),
  )
    .option('--dry-run', 'walk through the prompts and show what would run; execute and journal nothing')
    .addHelpText(
      'after',
      `
Examples:
  $ cutover run examples/quickstart.yaml
  $ cutover run --yes --max-steps 1 runbooks/3-traffic-shift.yaml
  $ cutover run --dry-run examples/quickstart.yaml
  $ cutover run --start-at dns-25 --until dns-50 runbooks/3-traffic-shift.yaml

At the step prompt: r run, c run all remaining without asking (this run only; manual steps
and failures still ask), s skip, d show details, q quit; arrows and Enter work too.
Ctrl-C stops the running step (journaled as interrupted); "cutover resume" picks it up.`,
    )
    .action(async (file, flags) => {
      const { runOrResume } = await import('../handlers/run.js');
      await runOrResume(file, flags, output, 'run');
    });
}

export function resumeCommand(output: Output) {
  return runOptions(
    new Command('resume').description('like run, but requires a journal and first resolves an interrupted step').argument('<runbook>', 'runbook YAML file'),
  )
    .addHelpText(
      'after',
      `
Examples:
  $ cutover resume examples/quickstart.yaml
  $ cutover resume --yes --on-interrupted retry runbooks/1-apps-to-kubernetes.yaml`,
    )
    .action(async (file, flags) => {
      const { runOrResume } = await import('../handlers/run.js');
      await runOrResume(file, flags, output, 'resume');
    });
}
