import { existsSync, mkdirSync, readFileSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runExec } from '../../src/actions/exec.js';
import { killGroup } from '../../src/actions/process-group.js';
import { runShell } from '../../src/actions/shell.js';
import { TAIL_LINES } from '../../src/actions/types.js';
import { createMasker } from '../../src/support/mask.js';
import { isRunning, pgidOf, recorder, sh, tempDir, testContext } from './helpers.js';

let dir: ReturnType<typeof tempDir>;
beforeEach(() => {
  dir = tempDir();
});
afterEach(() => dir.remove());

/** Resolves once a line matching `pattern` was printed, with the match. */
function waitForLine(pattern: RegExp) {
  let resolveLine: (match: RegExpMatchArray) => void = () => undefined;
  const seen = new Promise<RegExpMatchArray>((resolve) => (resolveLine = resolve));
  const onOutput = (line: string) => {
    const match = line.match(pattern);
    if (match) resolveLine(match);
  };
  return { seen, onOutput };
}

describe('output', () => {
  it('streams stdout and stderr line by line, in order, and returns the tail', async () => {
    const out = recorder();
    const result = await runShell(sh('echo one; echo two >&2; echo three; printf "no newline"'), testContext({ onOutput: out.onOutput }));
    expect(result.ok).toBe(true);
    expect(out.lines.filter((l) => l.stream === 'stdout').map((l) => l.line)).toEqual(['one', 'three', 'no newline']);
    expect(out.lines.filter((l) => l.stream === 'stderr').map((l) => l.line)).toEqual(['two']);
    expect(result.tail).toHaveLength(4);
  });

  it('keeps only the last TAIL_LINES lines in the result', async () => {
    const out = recorder();
    const result = await runShell(sh('i=1; while [ $i -le 50 ]; do echo "line $i"; i=$((i+1)); done'), testContext({ onOutput: out.onOutput }));
    expect(out.lines.map((l) => l.line)).toEqual(Array.from({ length: 50 }, (_, i) => `line ${i + 1}`));
    expect(result.tail).toEqual(Array.from({ length: TAIL_LINES }, (_, i) => `line ${50 - TAIL_LINES + i + 1}`));
  });

  it('masks secrets in callbacks, tail and log file, even when the command echoes them', async () => {
    const secret = 's3cr3t-value';
    const out = recorder();
    const logFile = join(dir.path, 'logs', 'nested', 'step.1.log');
    const ctx = testContext({ masker: createMasker([secret]), onOutput: out.onOutput, logFile, env: { PATH: process.env.PATH, TOKEN: secret } });
    const result = await runShell(sh(`echo "token=$TOKEN"; echo "$TOKEN" >&2; echo ${secret}`), ctx);
    expect(result.ok).toBe(true);
    expect(out.lines.map((l) => l.line)).toEqual(['token=***', '***', '***']);
    expect(result.tail.join('\n')).not.toContain(secret);
    const log = readFileSync(logFile, 'utf8');
    expect(log).not.toContain(secret);
    expect(log).toContain('token=***');
    expect(log.split('\n')[0]).toMatch(/^--- 2026-01-01T00:00:00\.000Z \$ echo "token=\$TOKEN"; echo "\$TOKEN" >&2; echo \*\*\*$/);
  });

  it('creates the log file with mode 0600 and appends one header per run', async () => {
    const logFile = join(dir.path, 'logs', 'step.1.log');
    await runShell(sh('echo first'), testContext({ logFile }));
    await runShell(sh('echo second; exit 2'), testContext({ logFile }));
    expect(statSync(logFile).mode & 0o777).toBe(0o600);
    const lines = readFileSync(logFile, 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(6);
    expect(lines[1]).toBe('first');
    expect(lines[2]).toMatch(/^--- .* exited with code 0 after /);
    expect(lines[3]).toMatch(/^--- .* \$ echo second; exit 2$/);
    expect(lines[5]).toMatch(/exited with code 2 after/);
  });

  it('fails before starting when the log file cannot be created', async () => {
    const blocker = join(dir.path, 'blocker');
    writeFileSync(blocker, '');
    const result = await runShell(sh('touch ran'), testContext({ cwd: dir.path, logFile: join(blocker, 'step.1.log') }));
    expect(result).toMatchObject({ ok: false, reason: expect.stringContaining('cannot write the log file') });
    expect(existsSync(join(dir.path, 'ran'))).toBe(false);
  });
});

describe('exit status', () => {
  it('reports a non-zero exit as a value', async () => {
    expect(await runShell(sh('exit 3'), testContext())).toMatchObject({ ok: false, exitCode: 3, reason: 'exited with code 3' });
  });

  it('says when the script names a missing command', async () => {
    const result = await runShell(sh('no-such-command-xyz'), testContext());
    expect(result).toMatchObject({ ok: false, exitCode: 127, reason: 'exited with code 127 (command not found)' });
  });

  it('says when an exec program or a shell does not exist', async () => {
    expect(await runExec({ argv: ['no-such-command-xyz', '--flag'], env: {} }, testContext())).toMatchObject({
      ok: false,
      reason: 'command not found: no-such-command-xyz',
    });
    expect(await runShell(sh('true', { shell: 'no-such-shell-xyz' }), testContext())).toMatchObject({
      ok: false,
      reason: 'shell not found: no-such-shell-xyz',
    });
  });

  it('reports a kill from outside', async () => {
    expect(await runShell(sh('kill -9 $$'), testContext())).toMatchObject({ ok: false, reason: 'killed by SIGKILL' });
  });
});

describe('environment', () => {
  it('merges the action env over the context env and passes nothing else', async () => {
    process.env.CUTOVER_TEST_LEAK = 'leaked';
    try {
      const out = recorder();
      const ctx = testContext({ env: { PATH: process.env.PATH, A: 'base-a', B: 'base-b' }, onOutput: out.onOutput });
      await runShell(sh('echo "$A $B [${CUTOVER_TEST_LEAK:-}]"', { env: { B: 'own-b' } }), ctx);
      expect(out.lines.map((l) => l.line)).toEqual(['base-a own-b []']);
    } finally {
      delete process.env.CUTOVER_TEST_LEAK;
    }
  });

  it('resolves cwd against the context cwd', async () => {
    mkdirSync(join(dir.path, 'sub'));
    const out = recorder();
    await runShell(sh('pwd', { cwd: 'sub' }), testContext({ cwd: dir.path, onOutput: out.onOutput }));
    expect(realpathSync(out.lines[0]?.line ?? '')).toBe(realpathSync(join(dir.path, 'sub')));
  });

  it('says clearly when the working directory is missing', async () => {
    const result = await runShell(sh('true', { cwd: 'missing' }), testContext({ cwd: dir.path }));
    expect(result).toMatchObject({ ok: false, reason: `working directory does not exist: ${join(dir.path, 'missing')}` });
  });

  it('never hands stdin to the command', async () => {
    const out = recorder();
    await runShell(sh('if read line; then echo "got $line"; else echo eof; fi'), testContext({ onOutput: out.onOutput }));
    expect(out.lines.map((l) => l.line)).toEqual(['eof']);
  });

  it('runs exec argv without a shell', async () => {
    const out = recorder();
    const result = await runExec({ argv: ['printf', '%s\\n', '$HOME', 'a b; echo injected'], env: {} }, testContext({ onOutput: out.onOutput }));
    expect(result.ok).toBe(true);
    expect(out.lines.map((l) => l.line)).toEqual(['$HOME', 'a b; echo injected']);
  });
});

describe('process group', () => {
  it('reports a pid that leads its own process group, and waits for onSpawn', async () => {
    const spawned: { pid: number; pgid: number; actualPgid: number }[] = [];
    let journaled = false;
    const result = await runShell(
      sh('sleep 0.2'),
      testContext({
        onSpawn: async (child) => {
          spawned.push({ ...child, actualPgid: pgidOf(child.pid) });
          await new Promise((resolve) => setTimeout(resolve, 300));
          journaled = true;
        },
      }),
    );
    expect(result.ok).toBe(true);
    expect(journaled).toBe(true);
    expect(spawned).toHaveLength(1);
    expect(spawned[0]?.pgid).toBe(spawned[0]?.pid);
    expect(spawned[0]?.actualPgid).toBe(spawned[0]?.pid);
    expect(spawned[0]?.pid).not.toBe(process.pid);
  });

  it('kills the whole group on timeout, grandchildren included', async () => {
    const bg = waitForLine(/^bg (\d+)$/);
    const started = Date.now();
    const result = await runShell(sh('sleep 1000 & echo "bg $!"; sleep 1000'), testContext({ timeoutMs: 300, onOutput: bg.onOutput }));
    expect(result).toMatchObject({ ok: false, timedOut: true, reason: 'timed out after 300ms' });
    expect(Date.now() - started).toBeLessThan(2_000);
    const grandchild = Number((await bg.seen)[1]);
    expect(isRunning(grandchild)).toBe(false);
  });

  it('escalates to SIGKILL after the grace period when SIGTERM is ignored', async () => {
    const logFile = join(dir.path, 'x.log');
    const started = Date.now();
    const result = await runShell(sh("trap '' TERM; echo ready; sleep 1000"), testContext({ timeoutMs: 200, killGraceMs: 200, logFile }));
    expect(result).toMatchObject({ ok: false, timedOut: true });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(readFileSync(logFile, 'utf8')).toContain('timed out after 200ms (sent SIGTERM, then SIGKILL)');
  });

  it('stops the group when the signal aborts', async () => {
    const controller = new AbortController();
    const ready = waitForLine(/^ready (\d+)$/);
    const running = runShell(sh('sleep 1000 & echo "ready $!"; wait'), testContext({ signal: controller.signal, onOutput: ready.onOutput }));
    const grandchild = Number((await ready.seen)[1]);
    controller.abort();
    expect(await running).toMatchObject({ ok: false, aborted: true, reason: 'aborted' });
    expect(isRunning(grandchild)).toBe(false);
  });

  it('forwards SIGINT when that is the abort reason, so the command can clean up', async () => {
    const controller = new AbortController();
    const out = recorder();
    const ready = waitForLine(/^ready$/);
    const onOutput = (line: string, stream: 'stdout' | 'stderr') => {
      out.onOutput(line, stream);
      ready.onOutput(line);
    };
    const running = runShell(
      sh("trap 'echo cleaned up; exit 130' INT; echo ready; while true; do sleep 0.05; done"),
      testContext({ signal: controller.signal, onOutput }),
    );
    await ready.seen;
    controller.abort('SIGINT');
    expect(await running).toMatchObject({ ok: false, aborted: true });
    expect(out.lines.map((l) => l.line)).toContain('cleaned up');
  });

  it('SIGKILLs at once on forceKill, without waiting for the grace period', async () => {
    const controller = new AbortController();
    const force = new AbortController();
    const ready = waitForLine(/^ready$/);
    const running = runShell(
      sh("trap '' TERM INT; echo ready; sleep 1000"),
      testContext({ signal: controller.signal, forceKill: force.signal, killGraceMs: 10_000, onOutput: ready.onOutput }),
    );
    await ready.seen;
    const started = Date.now();
    controller.abort('SIGINT');
    setTimeout(() => force.abort(), 100);
    expect(await running).toMatchObject({ ok: false, aborted: true });
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('does not start when already aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    let spawned = false;
    const result = await runShell(sh('touch ran'), testContext({ cwd: dir.path, signal: controller.signal, onSpawn: () => void (spawned = true) }));
    expect(result).toMatchObject({ ok: false, aborted: true });
    expect(spawned).toBe(false);
  });

  it('kills the command and rethrows when onSpawn fails (its pid could not be journaled)', async () => {
    let pid = 0;
    const run = runShell(
      sh('sleep 1000'),
      testContext({
        onSpawn: (child) => {
          pid = child.pid;
          throw new Error('journal is full');
        },
      }),
    );
    await expect(run).rejects.toThrow('journal is full');
    expect(isRunning(pid)).toBe(false);
  });

  it('returns soon after the command exits even if a background child keeps its output open', async () => {
    const bg = waitForLine(/^bg (\d+)$/);
    const started = Date.now();
    const result = await runShell(sh('sleep 30 & echo "bg $!"'), testContext({ onOutput: bg.onOutput }), { drainMs: 100 });
    const grandchild = Number((await bg.seen)[1]);
    try {
      expect(result.ok).toBe(true);
      expect(Date.now() - started).toBeLessThan(2_000);
      // A step may start a daemon on purpose: a normal exit leaves the rest of the group alone.
      expect(isRunning(grandchild)).toBe(true);
    } finally {
      killGroup(pgidOf(grandchild), 'SIGKILL');
    }
  });
});
