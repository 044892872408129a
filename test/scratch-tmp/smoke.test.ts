import { it } from 'vitest';
import { loadRunbookFile } from '../../src/runbook/load.js';
it('smoke', async () => {
  const r = await loadRunbookFile(process.env.SMOKE ?? '/tmp/groups-smoke/g.yaml', { env: {}, mode: (process.env.MODE as 'validate') ?? 'resolve' });
  if (!r.ok) console.log(r.diagnostics); else for (const s of r.runbook.steps) console.log(s.id, s.action.kind, s.bakeMs, JSON.stringify(s.group), s.action.kind==='route53'?JSON.stringify(s.action.weights):'', s.rollback.kind, s.verify?.length, s.source.line);
  if (r.ok) console.log(r.diagnostics);
});
