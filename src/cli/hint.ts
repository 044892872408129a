/**
 * Commands printed for people to copy (`cutover approve --journal s3://… rb.yaml go`): they
 * carry every flag that located the journal and resolved the runbook, so a copied hint acts
 * on the same journal with the same variables. A secret variable's value is shown masked
 * (`***`): such a hint needs the value typed in.
 */
import type { Hint } from '../engine/next.js';

export interface HintFlags {
  journal?: string;
  var?: string[];
  varsFile?: string;
  endpointUrl?: string;
  profile?: string;
  region?: string;
}

/** Single quotes around anything but plain words, as a POSIX shell reads it back. */
export function quoteArg(value: string): string {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

export function hintFor(file: string, flags: HintFlags, mask: (text: string) => string = (text) => text): Hint {
  const parts: string[] = [];
  if (flags.journal !== undefined) parts.push('--journal', quoteArg(flags.journal));
  if (flags.varsFile !== undefined) parts.push('--vars-file', quoteArg(flags.varsFile));
  for (const assignment of flags.var ?? []) parts.push('--var', quoteArg(mask(assignment)));
  if (flags.endpointUrl !== undefined) parts.push('--endpoint-url', quoteArg(flags.endpointUrl));
  if (flags.profile !== undefined) parts.push('--profile', quoteArg(flags.profile));
  if (flags.region !== undefined) parts.push('--region', quoteArg(flags.region));
  const options = parts.length > 0 ? ` ${parts.join(' ')}` : '';
  return (command, after) => `cutover ${command}${options} ${quoteArg(file)}${after ? ` ${after}` : ''}`;
}
