/**
 * What the screen shows, through a real pseudo-terminal (issue 18): NO_COLOR and
 * --no-color cover enquirer's prompts, and `status` stays aligned with colours and
 * readable on a 50-column terminal.
 */
import type { TestContext } from 'vitest';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLI, cli, cliEnv, describeResult, requireBuild, scratch, writeLedgerRunbook } from './helpers.js';
import { KEY, PtySession, stripAnsi } from './pty.js';

beforeAll(requireBuild);

// eslint-disable-next-line no-control-regex
const SGR = /\u001b\[[0-9;]*m/;

function terminal(context: TestContext, dir: string, args: string[], extra: { env?: Record<string, string>; columns?: number } = {}): PtySession {
  const env = cliEnv({ TERM: 'xterm-256color', ...extra.env });
  delete env.CI;
  if (!extra.env?.NO_COLOR) delete env.NO_COLOR;
  const session = new PtySession([process.execPath, CLI, ...args], { cwd: dir, env, timeoutMs: 25_000, ...(extra.columns ? { columns: extra.columns } : {}) });
  context.onTestFinished(() => session.kill());
  return session;
}

describe.concurrent('the screen', () => {
  it('NO_COLOR and --no-color leave no colour code in the prompts; without them the prompt is coloured', async (context) => {
    const dir = scratch(context);
    const runbook = writeLedgerRunbook(dir, [{}]);
    for (const [label, args, env] of [
      ['NO_COLOR', ['run', runbook], { NO_COLOR: '1' }],
      ['--no-color', ['run', '--no-color', runbook], {}],
    ] as const) {
      const tty = terminal(context, dir, [...args], { env });
      await tty.answer('Step 1/1 step-1', KEY.down, KEY.down, KEY.down, KEY.enter);
      const result = await tty.done;
      expect(result.code, `${label}: ${result.output}`).toBe(0);
      expect(SGR.test(tty.rawOutput()), `${label}: ${JSON.stringify(tty.rawOutput().slice(0, 400))}`).toBe(false);
    }
    const coloured = terminal(context, dir, ['run', runbook]);
    await coloured.answer('Step 1/1 step-1', KEY.down, KEY.down, KEY.down, KEY.enter);
    await coloured.done;
    expect(SGR.test(coloured.rawOutput())).toBe(true);
  });

  it('status: coloured states keep the columns aligned, and a 50-column terminal drops columns instead of wrapping rows', async (context) => {
    const dir = scratch(context);
    const runbook = writeLedgerRunbook(dir, [{}, {}, { run: 'exit 1' }, {}]);
    const run = await cli(['run', '--yes', runbook], { cwd: dir });
    expect(run.code, describeResult(run)).toBe(1);

    const wide = terminal(context, dir, ['status', runbook]);
    await wide.done;
    expect(SGR.test(wide.rawOutput()), 'coloured').toBe(true);
    const table = (text: string) =>
      stripAnsi(text)
        .split('\n')
        .filter((line) => /^(STEP|step-)/.test(line));
    const rows = table(wide.rawOutput());
    expect(rows).toHaveLength(5);
    // Every column starts where its header does.
    const header = rows[0] ?? '';
    for (const name of ['STATE', 'WHEN', 'BY', 'DURATION']) {
      const at = header.indexOf(name);
      for (const row of rows.slice(1)) expect(row[at - 1], `${name} in ${JSON.stringify(row)}`).toBe(' ');
      for (const row of rows.slice(1)) expect(row[at], `${name} in ${JSON.stringify(row)}`).not.toBe(' ');
    }

    const narrow = terminal(context, dir, ['status', runbook], { columns: 50 });
    await narrow.done;
    const narrowRows = table(narrow.rawOutput());
    expect(narrowRows[0]).toMatch(/^STEP\s+STATE\s+DURATION\s+BAKE$/);
    for (const row of narrowRows) expect(row.length, row).toBeLessThanOrEqual(50);
  });
});
