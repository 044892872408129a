/**
 * The engine's port to Route 53 and ELBv2: one object that dispatches to the driver of each
 * action kind, loading it (and with it the AWS SDK) only when a traffic step runs.
 */
import type { AwsClients } from '../../aws/clients.js';
import type { Elbv2Action, Route53Action, TrafficAction } from '../../runbook/types.js';
import type { Clock } from '../../support/clock.js';
import { structuralChanges } from './structure.js';
import type { TrafficContext, TrafficDriver, TrafficSnapshot } from './types.js';

export interface Traffic {
  read(action: TrafficAction, signal: AbortSignal): Promise<TrafficSnapshot>;
  desired(action: TrafficAction, before: TrafficSnapshot): Promise<Record<string, number>>;
  apply(action: TrafficAction, before: TrafficSnapshot, signal: AbortSignal): Promise<TrafficSnapshot>;
  reread(snapshot: TrafficSnapshot, signal: AbortSignal): Promise<TrafficSnapshot>;
  /** Put back the captured weights, every other field as it is live; refuses over structural changes (TrafficDriver.restore). */
  restore(captured: TrafficSnapshot, signal: AbortSignal): Promise<TrafficSnapshot>;
  /**
   * Synchronous and pure (loads no driver): what, besides weights, differs between a capture
   * and the live state of its target in a way that stops a derived rollback (structure.ts).
   * Empty when a weights-only restore can proceed.
   */
  structuralChanges(captured: TrafficSnapshot, live: TrafficSnapshot): string[];
}

export interface TrafficOptions {
  clients: AwsClients;
  clock: Clock;
  /** Route 53 GetChange polling; defaults 5 s and 10 minutes. */
  syncPollIntervalMs?: number;
  syncTimeoutMs?: number;
  onProgress?: (line: string) => void;
}

export const DEFAULT_SYNC_POLL_MS = 5_000;
export const DEFAULT_SYNC_TIMEOUT_MS = 10 * 60_000;

type AnyDriver = TrafficDriver<Route53Action> | TrafficDriver<Elbv2Action>;

export function createTraffic(options: TrafficOptions): Traffic {
  const drivers = new Map<'route53' | 'elbv2', Promise<AnyDriver>>();
  const driver = (kind: 'route53' | 'elbv2') => {
    let loaded = drivers.get(kind);
    if (!loaded) {
      loaded = kind === 'route53' ? import('./route53.js').then((m) => m.route53Driver) : import('./elbv2.js').then((m) => m.elbv2Driver);
      drivers.set(kind, loaded);
    }
    // Each driver only ever receives actions and snapshots of its own kind (dispatched on kind).
    return loaded as Promise<TrafficDriver<TrafficAction>>;
  };
  const context = (signal: AbortSignal): TrafficContext => ({
    clients: options.clients,
    clock: options.clock,
    signal,
    syncPollIntervalMs: options.syncPollIntervalMs ?? DEFAULT_SYNC_POLL_MS,
    syncTimeoutMs: options.syncTimeoutMs ?? DEFAULT_SYNC_TIMEOUT_MS,
    onProgress: options.onProgress,
  });
  return {
    read: async (action, signal) => (await driver(action.kind)).read(action, context(signal)),
    desired: async (action, before) => (await driver(action.kind)).desired(action, before),
    apply: async (action, before, signal) => (await driver(action.kind)).apply(action, before, context(signal)),
    reread: async (snapshot, signal) => (await driver(snapshot.kind)).reread(snapshot, context(signal)),
    restore: async (captured, signal) => (await driver(captured.kind)).restore(captured, context(signal)),
    structuralChanges,
  };
}
