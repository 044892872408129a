export type Severity = 'error' | 'warning';

/** One problem found in a runbook, pointing at the offending key or value. */
export interface Diagnostic {
  file: string;
  line: number;
  col: number;
  severity: Severity;
  /** A short stable name of the rule, for tests and `--json` consumers. */
  rule: string;
  message: string;
}

export function formatDiagnostic(d: Diagnostic): string {
  const prefix = d.severity === 'warning' ? 'warning: ' : '';
  // Line 0: the problem is about the file or a flag as a whole, not a place in it.
  const where = d.line > 0 ? `${d.file}:${d.line}:${d.col}` : d.file;
  return `${where}: ${prefix}${d.message}`;
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}

export function sortDiagnostics(diagnostics: Diagnostic[]): Diagnostic[] {
  return diagnostics.sort((a, b) => a.line - b.line || a.col - b.col || a.message.localeCompare(b.message));
}
