/**
 * The built CLI with its journal on S3: the real S3 client against the in-test endpoint of
 * test/fake-s3/server.ts (conditional writes, ETags, path-style), through --endpoint-url.
 *
 * Needs dist/ (npm test builds it; alone: npm run build).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyChain } from '../../src/journal/chain.js';
import type { JournalEvent } from '../../src/journal/events.js';
import type { FakeS3 } from '../fake-s3/server.js';
import { startFakeS3 } from '../fake-s3/server.js';
import { isJournalObject, journalText } from '../fake-s3/journal.js';
import type { CliResult } from './helpers.js';
import { cli, cliEnv, describeResult, journalPath, requireBuild, scratch, startCli, waitUntil } from './helpers.js';

let s3: FakeS3;
beforeAll(async () => {
  requireBuild();
  s3 = await startFakeS3({ buckets: ['journals'] });
});
afterAll(async () => {
  await s3?.close();
});

/** Dummy credentials and a region: the fake endpoint ignores signatures. No profile from the machine running the tests. */
function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const base = cliEnv({ AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_REGION: 'us-east-1', CI: 'true', ...extra });
  for (const name of ['AWS_PROFILE', 'AWS_DEFAULT_PROFILE', 'AWS_SESSION_TOKEN', 'AWS_ENDPOINT_URL']) delete base[name];
  return base;
}

const url = (key: string) => `s3://journals/${key}`;
const flags = (key: string) => ['--journal', url(key), '--endpoint-url', s3.url];
/** The journal as cutover would read it (manifest, snapshot, segments; or a single object). */
const objectText = (key: string) => journalText(s3.model, 'journals', key);
const requestsFor = (key: string) => s3.requests.filter((r) => isJournalObject(key, r.key) || r.key === `${key}.lock`);

/** The object's events, after verifying its hash chain the way cutover does. */
function s3Events(key: string): JournalEvent[] {
  const text = objectText(key);
  if (text === undefined) throw new Error(`no object ${url(key)}`);
  const chain = verifyChain(text);
  expect(chain.torn).toBeUndefined();
  expect(chain.unterminated).toBe(false);
  return chain.events;
}

function writeRunbook(dir: string, name: string, steps: Record<string, unknown>[], root: Record<string, unknown> = {}): string {
  const file = path.join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    `${JSON.stringify({ cutover: 1, name, vars: { dir }, defaults: { timeout: '1m', onFailure: 'stop', confirm: true }, ...root, steps }, null, 2)}\n`,
  );
  return file;
}

/** A shell step that marks its start and end in the ledger, so overlapping steps would show. */
function slowStep(id: string, seconds = 1): Record<string, unknown> {
  return {
    id,
    title: `Step ${id}`,
    run: `echo "start ${id}" >> \${dir}/ledger; sleep ${seconds}; echo "end ${id}" >> \${dir}/ledger`,
    verify: `grep -qx "end ${id}" \${dir}/ledger`,
    rollback: { run: `echo "undo ${id}" >> \${dir}/ledger`, verify: `grep -qx "undo ${id}" \${dir}/ledger` },
  };
}

const gate = { id: 'gate', title: 'Look at it', run: { manual: 'Check the dashboards' }, rollback: 'none', irreversible: 'a look has nothing to undo' };

describe('a journal on S3', () => {
  it('8 concurrent CLI processes: one mutates at a time, the others exit 4 naming the holder, no event is lost, the chain verifies', async (context) => {
    const dir = scratch(context);
    const key = 'concurrent/shared.journal.jsonl';
    const runbook = writeRunbook(dir, 'shared', [slowStep('s1'), gate, slowStep('s2'), slowStep('s3')]);
    const results: { kind: 'run' | 'approve'; note?: string; result: CliResult }[] = [];

    // Two waves of 8 processes started together (runs of one step each, and approvals), then an approval and a run to finish.
    for (let wave = 0; wave < 2; wave += 1) {
      const processes = Array.from({ length: 8 }, (_, index) => {
        if (index % 3 === 2) {
          const note = `approver ${wave}.${index}`;
          return {
            kind: 'approve' as const,
            note,
            proc: startCli(['approve', ...flags(key), runbook, 'gate', '--note', note], { cwd: dir, env: env(), timeoutMs: 60_000 }),
          };
        }
        return {
          kind: 'run' as const,
          proc: startCli(['run', '--yes', '--max-steps', '1', ...flags(key), runbook], { cwd: dir, env: env(), timeoutMs: 60_000 }),
        };
      });
      for (const { kind, note, proc } of processes) results.push({ kind, note, result: await proc.done });
    }
    results.push({ kind: 'approve', note: 'last', result: await cli(['approve', ...flags(key), runbook, 'gate', '--note', 'last'], { cwd: dir, env: env() }) });
    results.push({ kind: 'run', result: await cli(['run', '--yes', ...flags(key), runbook], { cwd: dir, env: env(), timeoutMs: 60_000 }) });
    expect(results.slice(-2).map((r) => r.result.code)).toEqual([0, 0]);

    for (const { kind, result } of results) {
      expect(result.timedOut, describeResult(result)).toBe(false);
      expect([0, 4], `${kind}: ${describeResult(result)}`).toContain(result.code);
      if (result.code === 4) {
        // Named: who holds the lease, since when, and until when it runs.
        expect(result.stderr).toMatch(
          /the journal is locked by \S+@\S+ \(pid \d+, cutover (run|approve) since [0-9T:.Z-]+\); its lease is renewed while that command runs/,
        );
      }
    }
    const ran = results.filter((r) => r.kind === 'run' && r.result.code === 0).length;
    const approved = results.filter((r) => r.kind === 'approve' && r.result.code === 0);
    expect(results.filter((r) => r.result.code === 4).length, 'some processes must have found the journal locked').toBeGreaterThan(0);

    const events = s3Events(key);
    // None lost: every process that exited 0 left its events.
    expect(events.filter((e) => e.type === 'run.started')).toHaveLength(ran);
    expect(events.filter((e) => e.type === 'run.finished')).toHaveLength(ran);
    expect(
      events
        .filter((e) => e.type === 'approval')
        .map((e) => (e.data as { note?: string }).note)
        .sort(),
    ).toEqual(approved.map((r) => r.note).sort());
    // One at a time: nothing else is journaled between a run's start and its finish.
    let open = false;
    for (const event of events) {
      if (event.type === 'run.started') {
        expect(open, `run.started #${event.seq} inside another run`).toBe(false);
        open = true;
      } else if (event.type === 'run.finished') {
        open = false;
      } else if (event.type === 'approval') {
        expect(open, `approval #${event.seq} inside a run`).toBe(false);
      }
    }
    // And the steps' own effects never overlapped, each ran once.
    const ledger = readFileSync(path.join(dir, 'ledger'), 'utf8').trim().split('\n');
    expect(ledger).toEqual(['start s1', 'end s1', 'start s2', 'end s2', 'start s3', 'end s3']);
    expect(events.filter((e) => e.type === 'step.succeeded').map((e) => e.step)).toEqual(['s1', 'gate', 's2', 's3']);
    const status = await cli(['status', '--json', ...flags(key), runbook], { cwd: dir, env: env() });
    expect((JSON.parse(status.stdout) as { steps: { state: string }[] }).steps.map((step) => step.state)).toEqual([
      'succeeded',
      'succeeded',
      'succeeded',
      'succeeded',
    ]);
    // Every holder released its lease on the way out.
    expect(s3.model.object('journals', `${key}.lock`)).toBeUndefined();
    // Every journal write was conditional: each event a new segment (If-None-Match: *), the manifest If-Match.
    const journalPuts = s3.requests.filter((r) => isJournalObject(key, r.key) && r.method === 'PUT');
    expect(journalPuts.every((r) => r.ifMatch !== undefined || r.ifNoneMatch === '*')).toBe(true);
    const segmentPuts = journalPuts.filter((r) => r.key.startsWith(`${key}.d/segments/`) && r.status === 200);
    expect(segmentPuts.every((r) => r.ifNoneMatch === '*')).toBe(true);
    expect(segmentPuts).toHaveLength(events.length);
  }, 180_000);

  it("status and log only read (GetObject); the runbook's journal: and aws.endpointUrl work without flags, for resume and rollback too", async (context) => {
    const dir = scratch(context);
    const key = 'from-runbook/app.journal.jsonl';
    const runbook = writeRunbook(dir, 'app', [slowStep('one', 0), slowStep('two', 0)], {
      journal: 's3://journals/from-runbook/${name}.journal.jsonl',
      vars: { dir, name: 'app' },
      aws: { endpointUrl: s3.url },
    });
    const run = await cli(['run', '--yes', runbook], { cwd: dir, env: env() });
    expect(run.code, describeResult(run)).toBe(0);
    expect(
      s3Events(key)
        .filter((e) => e.type === 'step.succeeded')
        .map((e) => e.step),
    ).toEqual(['one', 'two']);
    expect(existsSync(journalPath(dir, 'app'))).toBe(false);

    const before = s3.requests.length;
    for (let round = 0; round < 2; round += 1) {
      // The second status reads the runbook's outline from the cache, journal: included.
      const status = await cli(['status', runbook], { cwd: dir, env: env() });
      expect(status.code, describeResult(status)).toBe(0);
      expect(status.stdout).toContain(`app (s3://journals/${key})`);
      expect(status.stdout).toMatch(/two\s+succeeded/);
    }
    const log = await cli(['log', runbook], { cwd: dir, env: env() });
    expect(log.code, describeResult(log)).toBe(0);
    expect(log.stdout).toContain('step.succeeded two');
    const seen = s3.requests.slice(before);
    expect(seen.length).toBeGreaterThan(0);
    // status also reads the lease (who holds the journal), never writes it; it lists the segments.
    expect(seen.every((r) => r.method === 'GET' && (isJournalObject(key, r.key) || r.key === `${key}.lock` || r.list === true))).toBe(true);
    expect(seen.some((r) => r.key === key)).toBe(true);
    expect(seen.some((r) => r.list === true)).toBe(true);

    // The mutating commands on the same S3 journal.
    const resume = await cli(['resume', '--yes', runbook], { cwd: dir, env: env() });
    expect(resume.code, describeResult(resume)).toBe(0);
    const rollback = await cli(['rollback', '--yes', runbook], { cwd: dir, env: env() });
    expect(rollback.code, describeResult(rollback)).toBe(0);
    expect(
      s3Events(key)
        .filter((e) => e.type === 'rollback.succeeded')
        .map((e) => e.step),
    ).toEqual(['two', 'one']);
    expect(s3.model.object('journals', `${key}.lock`)).toBeUndefined();
  });

  it('rehearse writes its rehearsal journal to S3 when --journal says so', async (context) => {
    const dir = scratch(context);
    const key = 'rehearsals/app.rehearsal.jsonl';
    const runbook = writeRunbook(dir, 'app', [slowStep('one', 0)]);
    const rehearse = await cli(['rehearse', '--yes', '--return', ...flags(key), runbook], { cwd: dir, env: env() });
    expect(rehearse.code, describeResult(rehearse)).toBe(0);
    expect(
      s3Events(key)
        .filter((e) => e.type === 'rehearsal.step')
        .map((e) => e.step),
    ).toEqual(['one']);
    expect(s3.model.object('journals', `${key}.lock`)).toBeUndefined();
  });

  it('a journal write whose answer was lost (connection cut after S3 applied it) is found on re-read, not repeated or reported as a conflict', async (context) => {
    const dir = scratch(context);
    const key = 'dropped/app.journal.jsonl';
    const runbook = writeRunbook(dir, 'app', [slowStep('one', 0), slowStep('two', 0)]);
    let drops = 2;
    s3.dropResponse = (request) => isJournalObject(key, request.key) && request.method === 'PUT' && drops-- > 0;
    try {
      const run = await cli(['run', '--yes', ...flags(key), runbook], { cwd: dir, env: env() });
      expect(run.code, describeResult(run)).toBe(0);
    } finally {
      s3.dropResponse = undefined;
    }
    expect(requestsFor(key).filter((r) => r.dropped)).toHaveLength(2);
    const events = s3Events(key);
    expect(events.filter((e) => e.type === 'step.succeeded').map((e) => e.step)).toEqual(['one', 'two']);
    expect(new Set(events.map((e) => e.seq)).size).toBe(events.length);
  });

  it('an expired lease is taken over and the takeover is journaled; a live one makes the run exit 4; unlock asks, --force removes it', async (context) => {
    const dir = scratch(context);
    const key = 'leases/app.journal.jsonl';
    const runbook = writeRunbook(dir, 'app', [slowStep('one', 0), gate]);
    const lease = (expiresAt: string, user: string) =>
      s3.model.set(
        'journals',
        `${key}.lock`,
        `${JSON.stringify({ holder: { user, host: 'gone-host', pid: 99, command: 'run' }, acquiredAt: '2026-01-01T00:00:00.000Z', expiresAt, id: user })}\n`,
      );

    // Killed two hours ago: its lease expired long since.
    lease('2026-01-01T00:02:00.000Z', 'ghost');
    const run = await cli(['run', '--yes', ...flags(key), runbook], { cwd: dir, env: env() });
    expect(run.code, describeResult(run)).toBe(0);
    expect(run.stderr).toContain('took over the lease of ghost@gone-host (pid 99, cutover run), which expired at 2026-01-01T00:02:00.000Z');
    const takeover = s3Events(key).find((e) => e.type === 'lock.takeover');
    expect(takeover?.data).toEqual({
      lock: `s3://journals/${key}.lock`,
      previousHolder: { user: 'ghost', host: 'gone-host', pid: 99, command: 'run', since: '2026-01-01T00:00:00.000Z' },
      expiredAt: '2026-01-01T00:02:00.000Z',
    });
    expect(s3.model.object('journals', `${key}.lock`)).toBeUndefined();

    // A live lease (renewed until far in the future): refused, named, nothing written.
    lease('2999-01-01T00:00:00.000Z', 'dave');
    const journalBefore = objectText(key);
    const locked = await cli(['approve', ...flags(key), runbook, 'gate'], { cwd: dir, env: env() });
    expect(locked.code, describeResult(locked)).toBe(4);
    expect(locked.stderr).toContain('the journal is locked by dave@gone-host (pid 99, cutover run since 2026-01-01T00:00:00.000Z)');
    expect(objectText(key)).toBe(journalBefore);

    // unlock shows the holder; without a terminal it removes the lease only with --force.
    const refused = await cli(['unlock', ...flags(key), runbook], { cwd: dir, env: env() });
    expect(refused.code, describeResult(refused)).toBe(4);
    expect(refused.stderr).toContain(
      `the lease s3://journals/${key}.lock is held by dave@gone-host (pid 99, cutover run since 2026-01-01T00:00:00.000Z); it runs until 2999-01-01T00:00:00.000Z`,
    );
    expect(refused.stderr).toContain('--force');
    expect(s3.model.object('journals', `${key}.lock`)).toBeDefined();
    const forced = await cli(['unlock', '--force', ...flags(key), runbook], { cwd: dir, env: env() });
    expect(forced.code, describeResult(forced)).toBe(0);
    expect(forced.stderr).toContain('removed the lease of dave@gone-host');
    expect(s3.model.object('journals', `${key}.lock`)).toBeUndefined();
    const approve = await cli(['approve', ...flags(key), runbook, 'gate'], { cwd: dir, env: env() });
    expect(approve.code, describeResult(approve)).toBe(0);
  });

  it('the lease of a dead process on this machine is taken over at once (journaled: holder-gone); a live one on this machine is never unlocked, --force or not', async (context) => {
    const dir = scratch(context);
    const key = 'leases/local.journal.jsonl';
    const runbook = writeRunbook(dir, 'local', [slowStep('one', 0), gate]);
    const since = new Date().toISOString();
    const lease = (pid: number, user: string) =>
      s3.model.set(
        'journals',
        `${key}.lock`,
        `${JSON.stringify({ holder: { user, host: hostname(), pid, command: 'run' }, acquiredAt: since, expiresAt: '2999-01-01T00:00:00.000Z', id: user })}\n`,
      );

    // Killed a moment ago on this machine: its lease would run for centuries; its pid is gone.
    const dead = spawnSync(process.execPath, ['-e', '']).pid;
    lease(dead, 'crashed');
    const run = await cli(['run', '--yes', ...flags(key), runbook], { cwd: dir, env: env() });
    expect(run.code, describeResult(run)).toBe(0);
    expect(run.stderr).toContain(`took over the lease of crashed@${hostname()} (pid ${dead}, cutover run): that process is no longer running on this machine`);
    const takeover = s3Events(key).find((e) => e.type === 'lock.takeover');
    expect(takeover?.data).toMatchObject({ why: 'holder-gone', previousHolder: { user: 'crashed', pid: dead }, expiredAt: '2999-01-01T00:00:00.000Z' });

    // This test process stands for a live holder on this machine.
    lease(process.pid, 'alive');
    for (const args of [
      ['unlock', ...flags(key), runbook],
      ['unlock', '--force', ...flags(key), runbook],
    ]) {
      const refused = await cli(args, { cwd: dir, env: env() });
      expect(refused.code, describeResult(refused)).toBe(4);
      expect(refused.stderr).toContain(`which is running on this machine (pid ${process.pid} is alive)`);
      expect(s3.model.object('journals', `${key}.lock`)).toBeDefined();
    }
    const locked = await cli(['approve', ...flags(key), runbook, 'gate'], { cwd: dir, env: env() });
    expect(locked.code, describeResult(locked)).toBe(4);
    s3.model.delete('journals', `${key}.lock`, {});
  });

  it('a writer killed (SIGKILL) right after a segment write: the next command takes the lease over at once, verifies the chain, judges the step by its verify and goes on', async (context) => {
    const dir = scratch(context);
    const key = 'killed/app.journal.jsonl';
    const runbook = writeRunbook(dir, 'app', [slowStep('one', 0), slowStep('two', 0)]);
    // Once the segment with step.started of "one" has landed (and been answered), nothing that follows it does.
    let landed = false;
    s3.stall = (request) => {
      if (landed) return true;
      if (request.method === 'PUT' && request.body?.toString('utf8').includes('"type":"step.started","step":"one"')) landed = true;
      return false;
    };
    const proc = startCli(['run', '--yes', ...flags(key), runbook], { cwd: dir, env: env(), timeoutMs: 60_000 });
    try {
      await waitUntil(
        'the write after step.started is held',
        () => s3.requests.some((r) => r.stalled === true && r.key !== '' && isJournalObject(key, r.key)),
        30_000,
      );
      proc.child.kill('SIGKILL');
      await proc.done;
    } finally {
      s3.stall = undefined;
    }
    const before = s3Events(key);
    expect(before.at(-1)).toMatchObject({ type: 'step.started', step: 'one' });
    expect(s3.model.object('journals', `${key}.lock`)).toBeDefined();

    const resume = await cli(['resume', '--yes', ...flags(key), runbook], { cwd: dir, env: env() });
    expect(resume.code, describeResult(resume)).toBe(0);
    expect(resume.stderr).toContain('that process is no longer running on this machine');
    const events = s3Events(key);
    expect(events.slice(0, before.length)).toEqual(before);
    expect(events.find((e) => e.type === 'lock.takeover')?.data).toMatchObject({ why: 'holder-gone' });
    expect(events.filter((e) => e.type === 'step.succeeded').map((e) => e.step)).toEqual(['one', 'two']);
    // The killed step had run to its end: its verify passed, so it was not run again.
    expect(readFileSync(path.join(dir, 'ledger'), 'utf8').trim().split('\n')).toEqual(['start one', 'end one', 'start two', 'end two']);
    expect(new Set(events.map((e) => e.seq)).size).toBe(events.length);
  }, 120_000);

  it('a journal in the single-object layout is read as it is and migrated by the first command that writes', async (context) => {
    const dir = scratch(context);
    const key = 'legacy/app.journal.jsonl';
    const runbook = writeRunbook(dir, 'app', [slowStep('one', 0), slowStep('two', 0)]);
    const first = await cli(['run', '--yes', '--max-steps', '1', runbook], { cwd: dir, env: env() });
    expect(first.code, describeResult(first)).toBe(0);
    const legacy = readFileSync(journalPath(dir, 'app'));
    s3.model.set('journals', key, legacy);

    const status = await cli(['status', ...flags(key), runbook], { cwd: dir, env: env() });
    expect(status.code, describeResult(status)).toBe(0);
    expect(status.stdout).toMatch(/one\s+succeeded/);
    expect(s3.model.object('journals', key)?.body.equals(legacy)).toBe(true);

    const run = await cli(['run', '--yes', ...flags(key), runbook], { cwd: dir, env: env() });
    expect(run.code, describeResult(run)).toBe(0);
    expect(s3.model.object('journals', key)?.body.toString('utf8')).toMatch(/^\{"format":"cutover\.s3-journal","version":1,/);
    expect(s3.model.object('journals', `${key}.d/snapshots/000000000000.jsonl`)?.body.equals(legacy)).toBe(true);
    const text = objectText(key) ?? '';
    expect(text.startsWith(legacy.toString('utf8'))).toBe(true);
    expect(
      s3Events(key)
        .filter((e) => e.type === 'step.succeeded')
        .map((e) => e.step),
    ).toEqual(['one', 'two']);
  }, 120_000);

  it('journal push then journal pull round-trips a journal byte for byte, and refuses a damaged one', async (context) => {
    const dir = scratch(context);
    const key = 'moved/app.journal.jsonl';
    const runbook = writeRunbook(dir, 'app', [slowStep('one', 0), slowStep('two', 0), slowStep('three', 0)]);
    const local = journalPath(dir, 'app');
    const started = await cli(['run', '--yes', '--max-steps', '1', runbook], { cwd: dir, env: env() });
    expect(started.code, describeResult(started)).toBe(0);
    const original = readFileSync(local);

    // Laptop → S3: exactly the local bytes.
    const push = await cli(['journal', 'push', '--endpoint-url', s3.url, runbook, url(key)], { cwd: dir, env: env() });
    expect(push.code, describeResult(push)).toBe(0);
    expect(push.stderr).toMatch(/pushed \d+ events/);
    expect(objectText(key)).toBe(original.toString('utf8'));
    expect(s3.model.object('journals', `${key}.lock`)).toBeUndefined();
    // Pushing again is a no-op.
    expect((await cli(['journal', 'push', '--endpoint-url', s3.url, runbook, url(key)], { cwd: dir, env: env() })).stderr).toContain('nothing to copy');

    // CI continues on S3.
    const ci = await cli(['run', '--yes', '--max-steps', '1', ...flags(key), runbook], { cwd: dir, env: env() });
    expect(ci.code, describeResult(ci)).toBe(0);
    const remoteText = objectText(key);
    const remote = remoteText === undefined ? undefined : Buffer.from(remoteText, 'utf8');

    // S3 → a fresh file, and back over the original (an earlier state of it): byte for byte.
    const copy = path.join(dir, 'copy.journal.jsonl');
    const pull = await cli(['journal', 'pull', '--journal', copy, '--endpoint-url', s3.url, runbook, url(key)], { cwd: dir, env: env() });
    expect(pull.code, describeResult(pull)).toBe(0);
    expect(readFileSync(copy).equals(remote ?? Buffer.alloc(0))).toBe(true);
    const back = await cli(['journal', 'pull', '--endpoint-url', s3.url, runbook, url(key)], { cwd: dir, env: env() });
    expect(back.code, describeResult(back)).toBe(0);
    expect(readFileSync(local).equals(remote ?? Buffer.alloc(0))).toBe(true);
    const finish = await cli(['run', '--yes', runbook], { cwd: dir, env: env() });
    expect(finish.code, describeResult(finish)).toBe(0);
    expect(readFileSync(path.join(dir, 'ledger'), 'utf8').trim().split('\n')).toEqual([
      'start one',
      'end one',
      'start two',
      'end two',
      'start three',
      'end three',
    ]);

    // A damaged S3 journal (an edited line) is refused; nothing is written locally.
    const damagedKey = 'moved/damaged.journal.jsonl';
    s3.model.set('journals', damagedKey, (remote ?? Buffer.alloc(0)).toString('utf8').replace('"durationMs":', '"durationMs":1'));
    const target = path.join(dir, 'damaged-copy.jsonl');
    const damaged = await cli(['journal', 'pull', '--journal', target, '--endpoint-url', s3.url, runbook, url(damagedKey)], { cwd: dir, env: env() });
    expect(damaged.code, describeResult(damaged)).toBe(2);
    expect(damaged.stderr).toMatch(/refused, nothing was copied: s3:\/\/journals\/moved\/damaged.journal.jsonl: line \d+: the hash chain is broken/);
    expect(existsSync(target)).toBe(false);

    // A damaged local journal is not pushed.
    const edited = path.join(dir, 'edited.journal.jsonl');
    writeFileSync(edited, original.toString('utf8').replace('"runbook":"app","file"', '"runbook":"app","fil"'));
    const badPush = await cli(['journal', 'push', '--journal', edited, '--endpoint-url', s3.url, runbook, url('moved/never.journal.jsonl')], {
      cwd: dir,
      env: env(),
    });
    expect(badPush.code, describeResult(badPush)).toBe(2);
    expect(badPush.stderr).toContain('refused, nothing was copied');
    expect(s3.model.object('journals', 'moved/never.journal.jsonl')).toBeUndefined();

    // A destination that is not an earlier state of the copy is never replaced.
    const diverged = await cli(['journal', 'push', '--journal', copy, '--endpoint-url', s3.url, runbook, url(damagedKey)], { cwd: dir, env: env() });
    expect(diverged.code, describeResult(diverged)).toBe(2);
    expect(diverged.stderr).toContain('is not an earlier state of');
  }, 120_000);
});
