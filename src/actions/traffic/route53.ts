/**
 * Route 53 weighted records: read the weighted record sets of one name/type, change only their
 * weights in one ChangeResourceRecordSets batch, wait for INSYNC, read back and check; restore
 * puts the captured weights back the same way, every other field as it is live.
 *
 * The SDK module is imported inside the functions so that loading this driver (the engine
 * imports every driver) does not load the AWS SDK.
 */
import type { Change, ResourceRecordSet, Route53Client } from '@aws-sdk/client-route-53';
import { formatDuration } from '../../runbook/duration.js';
import type { RecordType, Route53Action } from '../../runbook/types.js';
import { stateOf, type Route53State } from './route53-state.js';
import { route53StructuralChanges } from './route53-structure.js';
import { refuseStructuralChanges } from './structure.js';
import { TrafficError, trafficFailure, type TrafficContext, type TrafficDriver, type TrafficSnapshot } from './types.js';

export type { Route53State } from './route53-state.js';

/** Route 53 caps a listing at 300 sets per page; a name/type with more than 1000 pages is not a real zone. */
const MAX_PAGES = 1000;

const sdk = () => import('@aws-sdk/client-route-53');

// ---------------------------------------------------------------------------------------------
// Names and ids

const ZONE_ID = /^(?:\/hostedzone\/)?(Z[A-Z0-9]+)$/;

/** `Z123` or `/hostedzone/Z123` -> `Z123`; anything else (with a dot, lower case...) is a zone name. */
function zoneIdOf(zone: string): string | undefined {
  return ZONE_ID.exec(zone.trim())?.[1];
}

function stripPrefix(id: string): string {
  return id.replace(/^\/(?:hostedzone|change)\//, '');
}

/** Lower case with the trailing dot, the form Route 53 returns names in. */
export function normaliseName(name: string): string {
  const lower = name.trim().toLowerCase();
  return lower.endsWith('.') ? lower : `${lower}.`;
}

/** Route 53 returns some characters as octal escapes (`*` as `\052`); compare names decoded. */
function comparableName(name: string): string {
  return normaliseName(name).replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

function label(zoneId: string, name: string, type: RecordType): string {
  return `${name} ${type} in ${zoneId}`;
}

// ---------------------------------------------------------------------------------------------
// Paging

/**
 * Remembers the continuation tokens seen, so a service (or a mock, or a proxy) that keeps
 * answering with the same token cannot keep cutover listing forever.
 */
function pageGuard(what: string) {
  const seen = new Set<string>();
  return (token: string) => {
    if (seen.has(token)) throw new TrafficError(`${what}: Route 53 returned the same page token twice (${token}); stopped to avoid a loop, try again later`);
    seen.add(token);
    if (seen.size > MAX_PAGES) throw new TrafficError(`${what}: more than ${MAX_PAGES} pages; stopped to avoid a loop`);
  };
}

function throwIfAborted(ctx: TrafficContext, doing: string): void {
  if (ctx.signal.aborted) throw new TrafficError(`${doing}: interrupted`);
}

/** Every SDK call goes through here, so each failure becomes one line saying what cutover was doing. */
async function call<T>(doing: string, request: () => Promise<T>): Promise<T> {
  try {
    return await request();
  } catch (err) {
    throw trafficFailure(err, doing);
  }
}

// ---------------------------------------------------------------------------------------------
// Zone

async function resolveZoneId(client: Route53Client, zone: string, ctx: TrafficContext): Promise<string> {
  const id = zoneIdOf(zone);
  if (id) return id;
  const dnsName = normaliseName(zone);
  const zones = await zonesNamed(client, dnsName, ctx);
  if (zones.length === 0) {
    throw new TrafficError(
      `no hosted zone named "${dnsName}" is visible to these credentials; check the zone in the runbook (or give its id) and that --profile / AWS_PROFILE point at the account that owns it`,
      'NoSuchHostedZone',
    );
  }
  if (zones.length > 1) {
    const listed = zones.map((z) => `${z.id} (${z.private ? 'private' : 'public'})`).join(', ');
    throw new TrafficError(`several hosted zones are named "${dnsName}": ${listed}; set the route53 zone to the id of the one to change`);
  }
  return zones[0]!.id;
}

/** Exact-name matches only: ListHostedZonesByName lists from DNSName onwards, so later names follow. */
async function zonesNamed(client: Route53Client, dnsName: string, ctx: TrafficContext): Promise<{ id: string; private: boolean }[]> {
  const { ListHostedZonesByNameCommand } = await sdk();
  const doing = `looking up hosted zone ${dnsName}`;
  const guard = pageGuard(doing);
  const found: { id: string; private: boolean }[] = [];
  let input: { DNSName: string; HostedZoneId?: string } = { DNSName: dnsName };
  for (;;) {
    throwIfAborted(ctx, doing);
    const page = await call(doing, () => client.send(new ListHostedZonesByNameCommand(input)));
    for (const zone of page.HostedZones ?? []) {
      if (zone.Id && zone.Name && comparableName(zone.Name) === comparableName(dnsName))
        found.push({ id: stripPrefix(zone.Id), private: zone.Config?.PrivateZone === true });
    }
    // Zones sharing a name (public + private ones) are listed together; once the next name differs we are done.
    if (!page.IsTruncated || !page.NextDNSName || comparableName(page.NextDNSName) !== comparableName(dnsName)) return found;
    guard(`${page.NextDNSName}|${page.NextHostedZoneId ?? ''}`);
    input = { DNSName: page.NextDNSName, HostedZoneId: page.NextHostedZoneId };
  }
}

// ---------------------------------------------------------------------------------------------
// Reading

/**
 * The weighted sets of exactly name/type. Listing starts at name/type (sets of one name/type are
 * contiguous), so the first set of another name or type means there are no more of ours.
 */
async function listWeightedSets(client: Route53Client, zoneId: string, name: string, type: RecordType, ctx: TrafficContext): Promise<ResourceRecordSet[]> {
  const { ListResourceRecordSetsCommand } = await sdk();
  const doing = `reading ${label(zoneId, name, type)}`;
  const guard = pageGuard(doing);
  const ours = (setName: string | undefined, setType: string | undefined) =>
    setName !== undefined && comparableName(setName) === comparableName(name) && setType === type;
  const sets: ResourceRecordSet[] = [];
  let start: { StartRecordName: string; StartRecordType: RecordType; StartRecordIdentifier?: string } = { StartRecordName: name, StartRecordType: type };
  for (;;) {
    throwIfAborted(ctx, doing);
    const page = await call(doing, () => client.send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId, ...start })));
    const records = page.ResourceRecordSets ?? [];
    sets.push(...records.filter((set) => ours(set.Name, set.Type) && set.SetIdentifier !== undefined && set.Weight !== undefined));
    const pastUs = records.some((set) => !ours(set.Name, set.Type));
    if (pastUs || !page.IsTruncated || !ours(page.NextRecordName, page.NextRecordType)) return sets;
    guard(`${page.NextRecordName}|${page.NextRecordType}|${page.NextRecordIdentifier ?? ''}`);
    start = { StartRecordName: page.NextRecordName!, StartRecordType: type, StartRecordIdentifier: page.NextRecordIdentifier };
  }
}

/** Plain JSON objects (the journal stores them), in a stable order. */
function jsonClean(sets: ResourceRecordSet[]): ResourceRecordSet[] {
  const clean = JSON.parse(JSON.stringify(sets)) as ResourceRecordSet[];
  return clean.sort((a, b) => compare(a.SetIdentifier ?? '', b.SetIdentifier ?? ''));
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function snapshotOf(state: Route53State): TrafficSnapshot {
  const weights: Record<string, number> = {};
  for (const set of state.recordSets) weights[set.SetIdentifier!] = set.Weight!;
  return {
    kind: 'route53',
    target: `route53:${state.zoneId}:${state.name}:${state.type}`,
    label: label(state.zoneId, state.name, state.type),
    weights,
    state,
  };
}

/** Live state of zone/name/type; an empty list of sets is the caller's to judge. */
async function readLive(ctx: TrafficContext, zoneId: string, name: string, type: RecordType): Promise<TrafficSnapshot> {
  const client = await ctx.clients.route53();
  const recordSets = jsonClean(await listWeightedSets(client, zoneId, name, type, ctx));
  return snapshotOf({ zoneId, name, type, recordSets });
}

// ---------------------------------------------------------------------------------------------
// Changing

/** One batch, so Route 53 applies all the weights together or none of them. Returns the change id. */
async function sendUpserts(
  ctx: TrafficContext,
  state: Route53State,
  sets: ResourceRecordSet[],
  comment: string,
  doing: string,
): Promise<{ id: string; status: string }> {
  const { ChangeResourceRecordSetsCommand } = await sdk();
  const client = await ctx.clients.route53();
  const Changes: Change[] = sets.map((set) => ({ Action: 'UPSERT', ResourceRecordSet: set }));
  throwIfAborted(ctx, doing);
  // No abort signal on this call: once sent, we want its answer (the change id) rather than not knowing.
  const out = await call(doing, () =>
    client.send(new ChangeResourceRecordSetsCommand({ HostedZoneId: state.zoneId, ChangeBatch: { Comment: comment, Changes } })),
  );
  return { id: stripPrefix(out.ChangeInfo?.Id ?? ''), status: out.ChangeInfo?.Status ?? 'PENDING' };
}

/** Poll GetChange on the injected clock until INSYNC, the timeout, or an interrupt. */
async function waitInSync(ctx: TrafficContext, change: { id: string; status: string }): Promise<void> {
  const { GetChangeCommand } = await sdk();
  const client = await ctx.clients.route53();
  const started = ctx.clock.now().getTime();
  const stillApplying = `the change may still be applied; check with: aws route53 get-change --id ${change.id}`;
  let status = change.status;
  if (status !== 'INSYNC') ctx.onProgress?.(`waiting for Route 53 change ${change.id} to be INSYNC`);
  while (status !== 'INSYNC') {
    const elapsed = ctx.clock.now().getTime() - started;
    if (elapsed >= ctx.syncTimeoutMs) {
      throw new TrafficError(`Route 53 change ${change.id} was still ${status} after ${formatDuration(ctx.syncTimeoutMs)}; ${stillApplying}`);
    }
    try {
      await ctx.clock.sleep(Math.min(ctx.syncPollIntervalMs, ctx.syncTimeoutMs - elapsed), ctx.signal);
    } catch {
      throw new TrafficError(`interrupted while waiting for Route 53 change ${change.id} to be INSYNC; ${stillApplying}`);
    }
    const out = await call(`waiting for Route 53 change ${change.id}`, () => client.send(new GetChangeCommand({ Id: change.id })));
    status = out.ChangeInfo?.Status ?? status;
  }
}

/**
 * Route 53 answers a weighted group whose weights are all 0 with every record equally (as if
 * all weights were equal): rarely what a traffic shift means. Checked on the merged weights
 * (the live ones with the step's applied), since a step names only the sets it changes:
 * `onprem: 0` is fine while `aws` is live at 100. `allowAllZero` is for when the merged
 * result really is meant to be all 0.
 */
function checkNotAllZero(action: Route53Action, merged: Record<string, number>, label: string): void {
  const values = Object.values(merged);
  if (!action.allowAllZero && values.length > 0 && values.every((w) => w === 0)) {
    throw new TrafficError(
      `${label}: after this change every weighted set would be at weight 0 (${formatWeights(merged)}), and Route 53 answers a group of all-zero weights with every record equally; give one set a weight above 0, or set "allowAllZero: true" on the step if that is what you want`,
    );
  }
}

function formatWeights(weights: Record<string, number>): string {
  const keys = Object.keys(weights).sort(compare);
  return keys.length ? keys.map((k) => `${k}=${weights[k]}`).join(', ') : '(no weighted sets)';
}

function sameWeights(a: Record<string, number>, b: Record<string, number>): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].every((k) => a[k] === b[k]);
}

// ---------------------------------------------------------------------------------------------
// The driver

function desired(action: Route53Action, before: TrafficSnapshot): Record<string, number> {
  const unknown = Object.keys(action.weights).filter((key) => !Object.hasOwn(before.weights, key));
  if (unknown.length > 0) {
    const existing = Object.keys(before.weights)
      .sort(compare)
      .map((k) => `"${k}"`)
      .join(', ');
    const missing = unknown.map((k) => `"${k}"`).join(', ');
    throw new TrafficError(`${before.label}: no weighted record set with set identifier ${missing}; the ones that exist are ${existing || '(none)'}`);
  }
  return { ...before.weights, ...action.weights };
}

async function read(action: Route53Action, ctx: TrafficContext): Promise<TrafficSnapshot> {
  const client = await ctx.clients.route53();
  const zoneId = await resolveZoneId(client, action.zone, ctx);
  const name = normaliseName(action.name);
  const snapshot = await readLive(ctx, zoneId, name, action.type);
  if (Object.keys(snapshot.weights).length === 0) {
    throw new TrafficError(
      `no weighted record sets for ${snapshot.label}; create them first (each with a SetIdentifier and a Weight), or check the zone, name and type in the runbook`,
    );
  }
  return snapshot;
}

async function apply(action: Route53Action, before: TrafficSnapshot, ctx: TrafficContext): Promise<TrafficSnapshot> {
  const state = stateOf(before);
  const want = desired(action, before);
  checkNotAllZero(action, want, before.label);
  // Only the sets the step names and whose weight moves; each one exactly as captured but for Weight.
  const changed = state.recordSets
    .filter((set) => Object.hasOwn(action.weights, set.SetIdentifier!) && action.weights[set.SetIdentifier!] !== set.Weight)
    .map((set) => ({ ...set, Weight: action.weights[set.SetIdentifier!] }));
  if (changed.length === 0) return reread(before, ctx);
  const change = await sendUpserts(ctx, state, changed, `cutover: set weights ${formatWeights(action.weights)}`, `changing the weights of ${before.label}`);
  if (action.wait) await waitInSync(ctx, change);
  const after = await reread(before, ctx);
  if (!sameWeights(after.weights, want)) {
    throw new TrafficError(
      `${before.label}: after the change the weights are not what was set: expected ${formatWeights(want)}; live ${formatWeights(after.weights)}`,
    );
  }
  return after;
}

/**
 * Re-reads via the zone id in the state (no name lookup). Unlike `read`, finding no weighted sets
 * is not an error here: someone deleting them is drift for the engine to show (and a
 * structural change that stops a rollback).
 */
async function reread(snapshot: TrafficSnapshot, ctx: TrafficContext): Promise<TrafficSnapshot> {
  const state = stateOf(snapshot);
  return readLive(ctx, state.zoneId, state.name, state.type);
}

/**
 * Puts back the captured weights: each live set whose weight differs is UPSERTed as it is live
 * (alias target, TTL, records, health check as someone may have set them since) with the
 * captured Weight. A set added or removed since the capture stops it: deleting someone's
 * record, or re-creating one from an old capture, is not a rollback.
 */
async function restore(captured: TrafficSnapshot, ctx: TrafficContext): Promise<TrafficSnapshot> {
  const state = stateOf(captured);
  if (state.recordSets.length === 0) throw new TrafficError(`${captured.label}: the capture has no record sets to restore`);
  const live = await reread(captured, ctx);
  refuseStructuralChanges(captured, live);
  const changed = stateOf(live)
    .recordSets.filter((set) => captured.weights[set.SetIdentifier!] !== set.Weight)
    .map((set) => ({ ...set, Weight: captured.weights[set.SetIdentifier!] }));
  if (changed.length === 0) return live;
  const change = await sendUpserts(
    ctx,
    state,
    changed,
    `cutover: put back weights ${formatWeights(captured.weights)}`,
    `restoring the weights of ${captured.label}`,
  );
  await waitInSync(ctx, change);
  const after = await reread(captured, ctx);
  if (!sameWeights(after.weights, captured.weights)) {
    throw new TrafficError(
      `${captured.label}: after the restore the weights are not the captured ones: expected ${formatWeights(captured.weights)}; live ${formatWeights(after.weights)}; check whether something else changed the record at the same time`,
    );
  }
  return after;
}

export { route53StructuralChanges as structuralChanges } from './route53-structure.js';

export const route53Driver: TrafficDriver<Route53Action> = { read, apply, desired, reread, restore, structuralChanges: route53StructuralChanges };
