/**
 * The shipped templates, run end to end by the built CLI against fake site commands (small
 * shell scripts on PATH that keep their state in files and log every change): the grouped
 * shard move (one shard end to end before the next, a resume inside an item, a rollback in
 * exact reverse), the mail IP warm-up (a gate, a day of the ramp, a failing watch rolling
 * back to the previous share) and NFS to EFS (copy, manifest gate, freeze, switch, back).
 */
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT, cli, cliEnv, describeResult, requireBuild, scratch } from './helpers.js';

beforeAll(requireBuild);

const FAKES: Record<string, string> = {
  dbgw: `#!/bin/sh
set -eu
shift 2
S="$FAKE_STATE"
case "$1 $2" in
  "writes pause") echo "pause $3" >> "$S/log"; echo paused > "$S/writes-$3" ;;
  "writes resume") echo "resume $3" >> "$S/log"; echo open > "$S/writes-$3" ;;
  "writes status") cat "$S/writes-$3" 2>/dev/null || echo open ;;
  "route get") cat "$S/route-$3" 2>/dev/null || echo onprem ;;
  "route set")
    if [ -f "$S/fail-route-$3" ]; then rm "$S/fail-route-$3"; echo "gateway busy" >&2; exit 1; fi
    echo "route $3 $4" >> "$S/log"; echo "$4" > "$S/route-$3" ;;
  "probe "*) test "$(cat "$S/writes-$2")" = open ;;
  *) echo "dbgw: unknown command $*" >&2; exit 2 ;;
esac
`,
  dbrepl: `#!/bin/sh
set -eu
S="$FAKE_STATE"
cmd=$1; shift
case $cmd in
  start) echo "start $1 $3>$5" >> "$S/log"; echo running > "$S/repl-$1-$3-$5" ;;
  stop)
    echo "stop $1 $3>$5\${6:+ $6}" >> "$S/log"
    if [ "\${6:-}" = --drop-target ]; then echo absent > "$S/repl-$1-$3-$5"; else echo stopped > "$S/repl-$1-$3-$5"; fi ;;
  state) cat "$S/repl-$1-$3-$5" 2>/dev/null || echo absent ;;
  lag|wait|compare) exit 0 ;;
  *) echo "dbrepl: unknown command $cmd" >&2; exit 2 ;;
esac
`,
  mailpool: `#!/bin/sh
set -eu
shift 2
S="$FAKE_STATE"
case "$1" in
  share)
    if [ "$2" = get ]; then cat "$S/share" 2>/dev/null || echo 0; else echo "share $3" >> "$S/log"; echo "$3" > "$S/share"; fi ;;
  auth-check) exit 0 ;;
  rates-ok) test ! -f "$S/bounces" ;;
  *) exit 2 ;;
esac
`,
  appctl: `#!/bin/sh
set -eu
S="$FAKE_STATE"
case "$1 $2" in
  "storage get") cat "$S/storage" 2>/dev/null || echo nfs ;;
  "storage set") echo "storage $3" >> "$S/log"; echo "$3" > "$S/storage" ;;
  "writes freeze") echo "freeze" >> "$S/log"; echo frozen > "$S/writes" ;;
  "writes thaw") echo "thaw" >> "$S/log"; echo open > "$S/writes" ;;
  "writes status") cat "$S/writes" 2>/dev/null || echo open ;;
  *) exit 2 ;;
esac
`,
  nfsadmin: `#!/bin/sh
set -eu
case "$2" in
  exists) test ! -f "$FAKE_STATE/export-deleted" ;;
  delete) echo "delete $3" >> "$FAKE_STATE/log"; touch "$FAKE_STATE/export-deleted" ;;
esac
`,
  // rsync -aHAX --numeric-ids [--delete] SRC/ DST/, as a copy of the tree.
  rsync: `#!/bin/sh
set -eu
for last; do :; done
dst=$last
delete=no
for arg; do
  case $arg in --delete) delete=yes ;; -*) ;; *) [ "$arg" = "$dst" ] || src=$arg ;; esac
done
echo "rsync \${src%/} \${dst%/}\${delete#no}" | sed 's/yes$/ --delete/' >> "$FAKE_STATE/log"
if [ $delete = yes ]; then find "$dst" -mindepth 1 -delete; fi
cp -a "$src." "$dst"
`,
};

/** A scratch dir with the fakes on PATH, their state folder, and the env to run the CLI with. */
function world(dir: string) {
  const bin = path.join(dir, 'bin');
  const state = path.join(dir, 'state');
  mkdirSync(bin);
  mkdirSync(state);
  for (const [name, script] of Object.entries(FAKES)) {
    writeFileSync(path.join(bin, name), script);
    chmodSync(path.join(bin, name), 0o755);
  }
  const env = cliEnv({ PATH: `${bin}:${process.env.PATH ?? ''}`, FAKE_STATE: state });
  const log = () => (existsSync(path.join(state, 'log')) ? readFileSync(path.join(state, 'log'), 'utf8').trim().split('\n') : []);
  const run = async (args: string[], code = 0) => {
    const result = await cli(args, { cwd: dir, env, timeoutMs: 60_000 });
    expect(result.code, describeResult(result)).toBe(code);
    return result;
  };
  return { state, env, log, run };
}

const template = (name: string) => path.join(ROOT, 'runbooks', name);
/** Each test runs a dozen CLI commands, each several site commands: minutes on a loaded machine. */
const SLOW = { timeout: 180_000 };

describe.concurrent('runbooks/2-database-shards-half.yaml, grouped per shard', () => {
  it('moves one shard end to end before the next, resumes inside an item, and rolls back in exact reverse', SLOW, async (context) => {
    const dir = scratch(context);
    const { log, run, state } = world(dir);
    writeFileSync(path.join(dir, 'two.vars.yaml'), 'first_half_shards: [shard-00, shard-01]\n');
    const file = template('2-database-shards-half.yaml');
    const flags = ['--vars-file', 'two.vars.yaml', '--journal', path.join(dir, 'half.journal.jsonl')];

    // The plan shows the expansion by item.
    const plan = await run(['plan', '--offline', ...flags, file]);
    expect(plan.stdout).toContain('── group move, item 2/2: shard-01 (steps 9-13)');

    // Up to the approval that opens the window.
    const first = await run(['run', '--yes', ...flags, file]);
    expect(first.stderr + first.stdout).toContain('approve-window');
    await run(['approve', ...flags, file, 'approve-window']);
    // The gateway refuses once while shard-01 is routed: the run stops inside item 2.
    writeFileSync(path.join(state, 'fail-route-shard-01'), '');
    await run(['run', '--yes', ...flags, file], 1);
    const status = await run(['status', ...flags, file]);
    expect(status.stdout).toContain('move shard-00: 5/5 steps');
    expect(status.stdout).toContain('move shard-01: 3/5 steps (at move-shard-01-route: failed)');
    const json = JSON.parse((await run(['status', '--json', ...flags, file])).stdout) as { items: unknown[]; steps: { id: string; group?: unknown }[] };
    expect(json.items).toContainEqual({ group: 'move', item: 'shard-01', done: 3, total: 5, at: { id: 'move-shard-01-route', state: 'failed' } });
    expect(json.steps.find((s) => s.id === 'move-shard-00-route')?.group).toEqual({ id: 'move', item: 'shard-00' });

    // Resume: the failed step runs again, and the rest of item 2 follows.
    const resumed = await run(['run', '--yes', ...flags, file]);
    expect(resumed.stderr + resumed.stdout).toContain('approve-batch');
    await run(['approve', ...flags, file, 'approve-batch']);
    await run(['run', '--yes', ...flags, file]);

    const shard = (s: string) => [`pause ${s}`, `stop ${s} onprem>aws`, `start ${s} aws>onprem`, `route ${s} aws`, `resume ${s}`];
    expect(log()).toEqual(['start shard-00 onprem>aws', 'start shard-01 onprem>aws', ...shard('shard-00'), ...shard('shard-01')]);

    // Everything back, newest first: shard-01's stages undone before shard-00's.
    const rollback = await run(['rollback', '--yes', ...flags, file]);
    expect(rollback.stderr).toContain(
      'move-shard-01-resume-writes, move-shard-01-route, move-shard-01-reverse, move-shard-01-detach, move-shard-01-pause-writes, move-shard-00-resume-writes',
    );
    const undo = (s: string) => [`pause ${s}`, `route ${s} onprem`, `stop ${s} aws>onprem`, `start ${s} onprem>aws`, `resume ${s}`];
    expect(log().slice(12)).toEqual([
      ...undo('shard-01'),
      ...undo('shard-00'),
      'stop shard-01 onprem>aws --drop-target',
      'stop shard-00 onprem>aws --drop-target',
    ]);
    for (const s of ['shard-00', 'shard-01']) expect(readFileSync(path.join(state, `route-${s}`), 'utf8').trim()).toBe('onprem');

    // The report groups by item too.
    const report = await run(['report', '--md', '-', ...flags, file]);
    expect(report.stdout).toContain('## Items');
  });
});

describe.concurrent('runbooks/mail-ip-warmup.yaml', () => {
  it('passes the gate, ramps a day, and a failing watch puts the previous share back', SLOW, async (context) => {
    const dir = scratch(context);
    const { log, run, state } = world(dir);
    const file = template('mail-ip-warmup.yaml');
    const flags = ['--journal', path.join(dir, 'mail.journal.jsonl')];
    const first = await run(['run', '--yes', ...flags, file]);
    expect(first.stdout + first.stderr).toMatch(/share-1 is baking/);
    expect(log()).toEqual(['share 1']);
    // Bounces climb: the next evaluation of the watch rolls share-1 back to 0 %.
    writeFileSync(path.join(state, 'bounces'), '');
    await run(['watch', ...flags, file], 1);
    expect(log()).toEqual(['share 1', 'share 0']);
  });
});

describe.concurrent('runbooks/nfs-to-efs.yaml', () => {
  it('copies, checks the manifests, freezes, switches, and goes back to NFS without losing a file', SLOW, async (context) => {
    const dir = scratch(context);
    const { log, run, state } = world(dir);
    const nfs = path.join(dir, 'nfs');
    const efs = path.join(dir, 'efs');
    mkdirSync(path.join(nfs, 'uploads'), { recursive: true });
    mkdirSync(efs);
    writeFileSync(path.join(nfs, 'uploads', 'a.txt'), 'a');
    writeFileSync(path.join(nfs, 'b.txt'), 'b');
    const file = template('nfs-to-efs.yaml');
    const flags = [
      '--var',
      `nfs_mount=${nfs}`,
      '--var',
      `efs_mount=${efs}`,
      '--var',
      `work_dir=${path.join(dir, 'work')}`,
      '--journal',
      path.join(dir, 'nfs.journal.jsonl'),
    ];
    const first = await run(['run', '--yes', ...flags, file]);
    expect(first.stdout + first.stderr).toContain('approve-decommission');
    expect(readFileSync(path.join(state, 'storage'), 'utf8').trim()).toBe('efs');
    expect(readdirSync(path.join(efs, 'uploads'))).toEqual(['a.txt']);
    // Written on EFS after the switch: the way back must keep it.
    writeFileSync(path.join(efs, 'uploads', 'c.txt'), 'c');

    const rollback = await run(['rollback', '--yes', ...flags, file]);
    expect(rollback.stderr).toContain('rolled back');
    expect(log()).toEqual([
      `rsync ${nfs} ${efs}`,
      'freeze',
      `rsync ${nfs} ${efs} --delete`,
      'storage efs',
      'thaw',
      'freeze',
      `rsync ${efs} ${nfs} --delete`,
      'storage nfs',
      'thaw',
    ]);
    expect(readFileSync(path.join(nfs, 'uploads', 'c.txt'), 'utf8')).toBe('c');
    expect(readdirSync(efs)).toEqual([]);
  });
});
