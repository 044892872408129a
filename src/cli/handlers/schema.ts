import { runbookJsonSchema } from '../../runbook/schema.js';
import type { Output } from '../output.js';

export function printSchema(output: Output): void {
  output.out(`${JSON.stringify(runbookJsonSchema(), null, 2)}\n`);
}
