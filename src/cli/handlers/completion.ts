import type { CommandUnknownOpts } from '@commander-js/extra-typings';
import { completionModel } from '../completion/model.js';
import { bashScript, fishScript, zshScript } from '../completion/scripts.js';
import type { Output } from '../output.js';

export function printCompletion(shell: 'bash' | 'zsh' | 'fish', program: CommandUnknownOpts, output: Output): void {
  const model = completionModel(program);
  output.out(shell === 'bash' ? bashScript(model) : shell === 'zsh' ? zshScript(model) : fishScript(model));
}
