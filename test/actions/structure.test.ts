/**
 * The structural comparison the engine calls synchronously before a rollback and in its
 * previews: the dispatcher, the cases the drivers' tests cannot reach through a re-read, and
 * that it loads no AWS SDK (the plan and preview paths must not pay for it).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createTraffic } from '../../src/actions/traffic/index.js';
import { describeStructuralChanges, structuralChanges } from '../../src/actions/traffic/structure.js';
import { TrafficError, type TrafficSnapshot } from '../../src/actions/traffic/types.js';
import { fakeClock } from '../../src/support/clock.js';

const route53 = (sets: { SetIdentifier: string; Type: string; Weight: number }[], extra: Partial<TrafficSnapshot> = {}): TrafficSnapshot => ({
  kind: 'route53',
  target: 'route53:Z1:app.example.com.:A',
  label: 'app.example.com. A in Z1',
  weights: Object.fromEntries(sets.map((s) => [s.SetIdentifier, s.Weight])),
  state: { zoneId: 'Z1', name: 'app.example.com.', type: 'A', recordSets: sets.map((s) => ({ Name: 'app.example.com.', TTL: 60, ...s })) },
  ...extra,
});

const TG = (name: string) => `arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/${name}/0123456789abcdef`;
const elbv2 = (actions: unknown[]): TrafficSnapshot => ({
  kind: 'elbv2',
  target: 'elbv2:listener:arn:l',
  label: 'listener app/web',
  weights: {},
  state: { kind: 'listener', arn: 'arn:l', actions },
});

describe('structuralChanges', () => {
  it('is empty when only weights and kept fields differ', () => {
    const captured = route53([{ SetIdentifier: 'aws', Type: 'A', Weight: 0 }]);
    const live = route53([{ SetIdentifier: 'aws', Type: 'A', Weight: 50 }]);
    (live.state as { recordSets: { TTL: number }[] }).recordSets[0]!.TTL = 300;
    expect(structuralChanges(captured, live)).toEqual([]);
  });

  it('names a Route 53 set whose record type changed', () => {
    const captured = route53([{ SetIdentifier: 'aws', Type: 'A', Weight: 0 }]);
    const live = route53([{ SetIdentifier: 'aws', Type: 'CNAME', Weight: 0 }]);
    expect(structuralChanges(captured, live)).toEqual(['weighted set "aws" is now of type CNAME (was A)']);
  });

  it('names an ELBv2 forward action that appeared, and a plain forward equal to its ForwardConfig form is no change', () => {
    const fixed = { Type: 'fixed-response', FixedResponseConfig: { StatusCode: '503' } };
    const plain = { Type: 'forward', TargetGroupArn: TG('aws') };
    const configured = { Type: 'forward', TargetGroupArn: TG('aws'), ForwardConfig: { TargetGroups: [{ TargetGroupArn: TG('aws'), Weight: 1 }] } };
    expect(structuralChanges(elbv2([fixed]), elbv2([plain]))).toEqual(['the listener has a forward action it did not have']);
    expect(structuralChanges(elbv2([plain]), elbv2([configured]))).toEqual([]);
  });

  it('refuses to compare snapshots of different targets', () => {
    const other = route53([], { target: 'route53:Z1:www.example.com.:A', label: 'www.example.com. A in Z1' });
    expect(() => structuralChanges(route53([]), other)).toThrow(TrafficError);
    expect(() => structuralChanges(route53([]), other)).toThrow(
      'internal error: compared the capture of app.example.com. A in Z1 with the live state of www.example.com. A in Z1',
    );
  });

  it('refuses a snapshot without a usable state, as a restore would', () => {
    expect(() => structuralChanges(route53([], { state: null }), route53([]))).toThrow('the captured Route 53 state is incomplete');
  });

  it('is on the Traffic port, synchronous, without creating any AWS client', () => {
    const noClient = async (): Promise<never> => {
      throw new Error('no AWS client may be created');
    };
    const traffic = createTraffic({ clients: { route53: noClient, elbv2: noClient }, clock: fakeClock() });
    const captured = route53([{ SetIdentifier: 'aws', Type: 'A', Weight: 0 }]);
    expect(traffic.structuralChanges(captured, route53([]))).toEqual(['weighted set "aws" removed']);
  });

  it('says what happened and what to do next', () => {
    expect(describeStructuralChanges('listener app/web', ['the listener is gone'])).toBe(
      'listener app/web changed since the step captured it in a way a rollback cannot undo (the listener is gone); ' +
        'find out who changed it; a rollback only puts weights back, so undo that change by hand and roll back again, or set the weights by hand',
    );
  });

  it('loads no AWS SDK: every module it imports imports the SDK for types only', () => {
    const root = fileURLToPath(new URL('../../src/actions/traffic/', import.meta.url));
    const seen = new Set<string>();
    const runtimeSdk: string[] = [];
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const source = readFileSync(file, 'utf8');
      for (const [, typeOnly, from = ''] of [...source.matchAll(/^import (type )?[^;]*? from '([^']+)';/gm)]) {
        if (typeOnly) continue;
        if (from.startsWith('@aws-sdk/')) runtimeSdk.push(`${path.basename(file)}: ${from}`);
        if (from.startsWith('./')) visit(path.join(path.dirname(file), from.replace(/\.js$/, '.ts')));
      }
    };
    visit(path.join(root, 'structure.ts'));
    expect([...seen].map((f) => path.basename(f)).sort()).toEqual([
      'elbv2-actions.ts',
      'elbv2-structure.ts',
      'route53-state.ts',
      'route53-structure.ts',
      'structure.ts',
      'types.ts',
    ]);
    expect(runtimeSdk).toEqual([]);
  });
});
