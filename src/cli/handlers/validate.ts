import { formatDiagnostic, hasErrors } from '../../runbook/diagnostics.js';
import { ExitCode, ExitError } from '../exit.js';
import type { Output } from '../output.js';
import { paint } from '../output.js';
import { loadWithFlags } from '../runbook-options.js';
import type { RunbookFlags } from '../runbook-options.js';

export interface ValidateFlags extends RunbookFlags {
  strict?: boolean;
}

export async function validate(file: string, flags: ValidateFlags, output: Output): Promise<void> {
  const result = await loadWithFlags(file, flags, { mode: 'validate', strict: flags.strict === true, digests: false });
  const valid = result.ok && !hasErrors(result.diagnostics);
  if (flags.json) {
    output.out(JSON.stringify({ file, valid, steps: result.ok ? result.runbook.steps.length : undefined, diagnostics: result.diagnostics }));
  } else {
    for (const diagnostic of result.diagnostics) output.out(formatDiagnostic(diagnostic));
    if (valid && result.ok) {
      const count = result.runbook.steps.length;
      output.out(`${paint(output, 'green', 'valid')}: ${file} (${count} step${count === 1 ? '' : 's'})`);
    } else {
      const errors = result.diagnostics.filter((d) => d.severity === 'error').length;
      output.out(`${paint(output, 'red', 'invalid')}: ${file} has ${errors} problem${errors === 1 ? '' : 's'}; fix them and validate again`);
    }
  }
  if (!valid) throw new ExitError(ExitCode.invalid);
}
