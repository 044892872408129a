/**
 * The Route 53 half of the fake: REST-XML under /2013-04-01/.
 *
 * Supported: ListHostedZonesByName, GetHostedZone, ListResourceRecordSets (paged like AWS:
 * reverse-label name order, then type, then set identifier), ChangeResourceRecordSets
 * (CREATE/UPSERT/DELETE applied atomically, with AWS's checks for existing/missing/mismatched
 * sets, alias-or-TTL, a complete alias target, a set identifier with a routing policy (Weight...)
 * and the other way round, and names outside the zone) and GetChange (PENDING, then INSYNC).
 */
import type { ResourceRecordSet } from '@aws-sdk/client-route-53';
import { FakeAwsError, ROUTE53_NS, type FakeAwsState, type FakeChange, type FakeReply, type FakeZone } from './server.js';
import { documentXml, elementToValue, parseXml, XmlParseError, type XmlShapes } from './xml.js';

const SHAPES: XmlShapes = {
  lists: {
    Changes: 'Change',
    ResourceRecords: 'ResourceRecord',
    ResourceRecordSets: 'ResourceRecordSet',
    HostedZones: 'HostedZone',
    NameServers: 'NameServer',
  },
  maps: new Set(),
  numbers: new Set(['Weight', 'TTL', 'Bias', 'ResourceRecordSetCount', 'MaxItems']),
  booleans: new Set(['EvaluateTargetHealth', 'MultiValueAnswer', 'PrivateZone', 'IsTruncated']),
};

const MAX_RECORD_PAGE = 300;
const MAX_ZONE_PAGE = 100;

export interface Route53Operation {
  operation: string;
  input: Record<string, unknown>;
}

// ---------------------------------------------------------------------------------------------
// Names

/** Stored form: `\ddd` escapes decoded, lower case, trailing dot. */
export function storedName(name: string): string {
  const decoded = name
    .trim()
    .replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)))
    .toLowerCase();
  return decoded.endsWith('.') ? decoded : `${decoded}.`;
}

/** How the API returns a name: characters other than a-z 0-9 - _ . as `\ddd` (so `*` is `\052`). */
function apiName(stored: string): string {
  return stored.replace(/[^a-z0-9\-_.]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`);
}

/** Labels right to left: Route 53 lists names as `com.example.www`. */
function labels(stored: string): string[] {
  return stored.replace(/\.$/, '').split('.').reverse();
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareKeys(a: (string | string[])[], b: (string | string[])[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const [x, y] = [a[i]!, b[i]!];
    let c: number;
    if (Array.isArray(x) && Array.isArray(y)) {
      c = 0;
      for (let j = 0; j < Math.min(x.length, y.length) && c === 0; j++) c = compareStrings(x[j]!, y[j]!);
      if (c === 0) c = x.length - y.length;
    } else {
      c = compareStrings(String(x), String(y));
    }
    if (c !== 0) return c;
  }
  return a.length - b.length;
}

const recordKey = (set: ResourceRecordSet) => [labels(set.Name ?? ''), set.Type ?? '', set.SetIdentifier ?? ''];
const zoneKey = (zone: FakeZone) => [labels(zone.name), zone.id];

function sameRecord(a: ResourceRecordSet, b: ResourceRecordSet): boolean {
  return a.Name === b.Name && a.Type === b.Type && (a.SetIdentifier ?? '') === (b.SetIdentifier ?? '');
}

function bareId(id: string): string {
  return id.replace(/^\/(hostedzone|change|delegationset)\//, '');
}

/** A record set as Route 53 keeps it: stored name, alias DNS name with a trailing dot, no empty members. */
function normaliseRecordSet(set: ResourceRecordSet): ResourceRecordSet {
  const copy = JSON.parse(JSON.stringify(set)) as ResourceRecordSet;
  if (copy.Name !== undefined) copy.Name = storedName(copy.Name);
  if (copy.AliasTarget) {
    if (copy.AliasTarget.DNSName !== undefined) copy.AliasTarget.DNSName = storedName(copy.AliasTarget.DNSName);
    if (copy.AliasTarget.HostedZoneId !== undefined) copy.AliasTarget.HostedZoneId = bareId(copy.AliasTarget.HostedZoneId);
  }
  return copy;
}

/** Sorted keys and sorted ResourceRecords, for "do the values match" on DELETE. */
function canonical(value: unknown, key?: string): unknown {
  if (Array.isArray(value)) {
    const items = value.map((v) => canonical(v));
    return key === 'ResourceRecords' ? items.sort((a, b) => compareStrings(JSON.stringify(a), JSON.stringify(b))) : items;
  }
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .sort(([a], [b]) => compareStrings(a, b))
        .map(([k, v]) => [k, canonical(v, k)]),
    );
  }
  return value;
}

export function normaliseRoute53State(state: FakeAwsState): void {
  for (const zone of state.zones) {
    zone.id = bareId(zone.id);
    zone.name = storedName(zone.name);
    zone.recordSets = zone.recordSets.map(normaliseRecordSet);
  }
}

// ---------------------------------------------------------------------------------------------
// Requests

function intParam(url: URL, name: string): number | undefined {
  const raw = url.searchParams.get(name);
  if (raw === null) return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1)
    throw new FakeAwsError(
      'InvalidInput',
      `1 validation error detected: Value '${raw}' at '${name}' failed to satisfy constraint: Member must be a positive integer`,
    );
  return value;
}

function compact(input: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined && v !== null));
}

/** Which operation a request is, and its input in the SDK command's shape. */
export function route53Operation(method: string, url: URL, body: string): Route53Operation {
  const path = url.pathname.replace(/^\/2013-04-01/, '');
  const query = (name: string) => url.searchParams.get(name) ?? undefined;
  let match: RegExpExecArray | null;
  if (method === 'GET' && path === '/hostedzonesbyname') {
    return {
      operation: 'ListHostedZonesByName',
      input: compact({ DNSName: query('dnsname'), HostedZoneId: query('hostedzoneid'), MaxItems: intParam(url, 'maxitems') }),
    };
  }
  if (method === 'GET' && (match = /^\/hostedzone\/([^/]+)\/?$/.exec(path))) {
    return { operation: 'GetHostedZone', input: { Id: decodeURIComponent(match[1]!) } };
  }
  if (method === 'GET' && (match = /^\/hostedzone\/([^/]+)\/rrset\/?$/.exec(path))) {
    return {
      operation: 'ListResourceRecordSets',
      input: compact({
        HostedZoneId: decodeURIComponent(match[1]!),
        StartRecordName: query('name'),
        StartRecordType: query('type'),
        StartRecordIdentifier: query('identifier'),
        MaxItems: intParam(url, 'maxitems'),
      }),
    };
  }
  if (method === 'POST' && (match = /^\/hostedzone\/([^/]+)\/rrset\/?$/.exec(path))) {
    let root;
    try {
      root = parseXml(body);
    } catch (error) {
      if (error instanceof XmlParseError) throw new FakeAwsError('InvalidInput', `the request body is not valid XML: ${error.message}`);
      throw error;
    }
    if (root.name !== 'ChangeResourceRecordSetsRequest')
      throw new FakeAwsError('InvalidInput', `expected <ChangeResourceRecordSetsRequest>, got <${root.name}>`);
    const request = elementToValue(root, SHAPES) as Record<string, unknown>;
    return { operation: 'ChangeResourceRecordSets', input: { HostedZoneId: decodeURIComponent(match[1]!), ChangeBatch: request.ChangeBatch } };
  }
  if (method === 'GET' && (match = /^\/change\/([^/]+)\/?$/.exec(path))) {
    return { operation: 'GetChange', input: { Id: decodeURIComponent(match[1]!) } };
  }
  throw new FakeAwsError('UnknownOperation', `the fake Route 53 does not support ${method} ${url.pathname}`, 404);
}

// ---------------------------------------------------------------------------------------------
// Operations

function findZone(state: FakeAwsState, id: unknown): FakeZone {
  const zone = state.zones.find((z) => z.id === bareId(String(id)));
  if (!zone) throw new FakeAwsError('NoSuchHostedZone', `No hosted zone found with ID: ${bareId(String(id))}`, 404);
  return zone;
}

function zoneXml(zone: FakeZone): Record<string, unknown> {
  return {
    Id: `/hostedzone/${zone.id}`,
    Name: apiName(zone.name),
    CallerReference: `fake-${zone.id}`,
    Config: { Comment: zone.comment, PrivateZone: zone.privateZone === true },
    ResourceRecordSetCount: zone.recordSets.length,
  };
}

function recordXml(set: ResourceRecordSet): ResourceRecordSet {
  return { ...set, Name: apiName(set.Name ?? '') };
}

function listHostedZonesByName(state: FakeAwsState, input: Record<string, unknown>): Record<string, unknown> {
  const dnsName = input.DNSName as string | undefined;
  const zoneId = input.HostedZoneId as string | undefined;
  if (zoneId !== undefined && dnsName === undefined) throw new FakeAwsError('InvalidInput', 'HostedZoneId requires DNSName');
  const pageSize = Math.min((input.MaxItems as number | undefined) ?? MAX_ZONE_PAGE, state.pageSize ?? MAX_ZONE_PAGE, MAX_ZONE_PAGE);
  const sorted = [...state.zones].sort((a, b) => compareKeys(zoneKey(a), zoneKey(b)));
  const start = dnsName === undefined ? 0 : sorted.findIndex((z) => compareKeys(zoneKey(z), [labels(storedName(dnsName)), bareId(zoneId ?? '')]) >= 0);
  const from = start < 0 ? sorted.length : start;
  const page = sorted.slice(from, from + pageSize);
  const next = sorted[from + pageSize];
  return {
    HostedZones: page.map(zoneXml),
    DNSName: dnsName,
    HostedZoneId: zoneId === undefined ? undefined : bareId(zoneId),
    IsTruncated: next !== undefined,
    NextDNSName: next ? apiName(next.name) : undefined,
    NextHostedZoneId: next?.id,
    MaxItems: pageSize,
  };
}

function listResourceRecordSets(state: FakeAwsState, input: Record<string, unknown>): Record<string, unknown> {
  const zone = findZone(state, input.HostedZoneId);
  const name = input.StartRecordName as string | undefined;
  const type = input.StartRecordType as string | undefined;
  const identifier = input.StartRecordIdentifier as string | undefined;
  if (type !== undefined && name === undefined) throw new FakeAwsError('InvalidInput', 'The input is not valid: StartRecordType requires StartRecordName');
  if (identifier !== undefined && type === undefined)
    throw new FakeAwsError('InvalidInput', 'The input is not valid: StartRecordIdentifier requires StartRecordType');
  const pageSize = Math.min((input.MaxItems as number | undefined) ?? MAX_RECORD_PAGE, state.pageSize ?? MAX_RECORD_PAGE, MAX_RECORD_PAGE);
  const sorted = [...zone.recordSets].sort((a, b) => compareKeys(recordKey(a), recordKey(b)));
  const startKey = [labels(storedName(name ?? zone.name)), type ?? '', identifier ?? ''];
  const start = name === undefined ? 0 : sorted.findIndex((set) => compareKeys(recordKey(set), startKey) >= 0);
  const from = start < 0 ? sorted.length : start;
  const page = sorted.slice(from, from + pageSize);
  const next = sorted[from + pageSize];
  return {
    ResourceRecordSets: page.map(recordXml),
    IsTruncated: next !== undefined,
    NextRecordName: next ? apiName(next.Name ?? '') : undefined,
    NextRecordType: next?.Type,
    NextRecordIdentifier: next?.SetIdentifier,
    MaxItems: pageSize,
  };
}

function describeSet(set: ResourceRecordSet): string {
  return `[name='${set.Name}', type='${set.Type}'${set.SetIdentifier !== undefined ? `, set-identifier='${set.SetIdentifier}'` : ''}]`;
}

function changeResourceRecordSets(state: FakeAwsState, input: Record<string, unknown>): FakeChange {
  const zone = findZone(state, input.HostedZoneId);
  const batch = input.ChangeBatch as { Comment?: string; Changes?: unknown } | undefined;
  const changes = batch?.Changes;
  if (!Array.isArray(changes) || changes.length === 0) throw new FakeAwsError('InvalidInput', 'Invalid request: ChangeBatch must contain at least one Change');
  const working = zone.recordSets.map((set) => normaliseRecordSet(set));
  const problems: string[] = [];
  const applied: FakeChange['changes'] = [];
  for (const raw of changes as { Action?: string; ResourceRecordSet?: ResourceRecordSet }[]) {
    const action = raw.Action;
    if (action !== 'CREATE' && action !== 'UPSERT' && action !== 'DELETE')
      throw new FakeAwsError('InvalidInput', `Invalid request: Action must be CREATE, UPSERT or DELETE, got '${action}'`);
    if (!raw.ResourceRecordSet?.Name || !raw.ResourceRecordSet.Type)
      throw new FakeAwsError('InvalidInput', 'Invalid request: a ResourceRecordSet needs a Name and a Type');
    const set = normaliseRecordSet(raw.ResourceRecordSet);
    const where = `Change with [Action=${action}, Name=${set.Name}, Type=${set.Type}, SetIdentifier=${set.SetIdentifier ?? 'null'}]`;
    const hasAlias = set.AliasTarget !== undefined;
    const hasRecords = set.TTL !== undefined || set.ResourceRecords !== undefined;
    if (hasAlias && hasRecords)
      throw new FakeAwsError(
        'InvalidInput',
        `Invalid request: Expected exactly one of [AliasTarget, all of [TTL, and ResourceRecords], or TrafficPolicyInstanceId], but found more than one in ${where}`,
      );
    if (!hasAlias && !(set.TTL !== undefined && set.ResourceRecords !== undefined)) {
      throw new FakeAwsError(
        'InvalidInput',
        `Invalid request: Expected exactly one of [AliasTarget, all of [TTL, and ResourceRecords], or TrafficPolicyInstanceId], but found none in ${where}`,
      );
    }
    const alias = set.AliasTarget;
    if (alias && (alias.HostedZoneId === undefined || alias.DNSName === undefined || alias.EvaluateTargetHealth === undefined)) {
      const missing = (['HostedZoneId', 'DNSName', 'EvaluateTargetHealth'] as const).find((field) => alias[field] === undefined)!;
      throw new FakeAwsError(
        'InvalidInput',
        `1 validation error detected: Value null at 'changeBatch.changes.member.resourceRecordSet.aliasTarget.${missing[0]!.toLowerCase()}${missing.slice(1)}' failed to satisfy constraint: Member must not be null`,
      );
    }
    const policy =
      set.Weight !== undefined ||
      set.Region !== undefined ||
      set.Failover !== undefined ||
      set.GeoLocation !== undefined ||
      set.MultiValueAnswer !== undefined ||
      set.GeoProximityLocation !== undefined ||
      set.CidrRoutingConfig !== undefined;
    if (set.SetIdentifier !== undefined && !policy) {
      throw new FakeAwsError(
        'InvalidInput',
        `Invalid request: Expected exactly one of [Weight, Region, Failover, GeoLocation, MultiValueAnswer, GeoProximityLocation, or CidrRoutingConfig], but found none in ${where}`,
      );
    }
    if (set.SetIdentifier === undefined && policy) throw new FakeAwsError('InvalidInput', `Invalid request: Missing field 'SetIdentifier' in ${where}`);
    if (set.Name !== zone.name && !set.Name!.endsWith(`.${zone.name}`)) {
      problems.push(`RRSet with DNS name ${set.Name} is not permitted in zone ${zone.name}`);
      continue;
    }
    const index = working.findIndex((existing) => sameRecord(existing, set));
    if (action === 'CREATE') {
      if (index >= 0) problems.push(`Tried to create resource record set ${describeSet(set)} but it already exists`);
      else working.push(set);
    } else if (action === 'UPSERT') {
      if (index >= 0) working[index] = set;
      else working.push(set);
    } else if (index < 0) {
      problems.push(`Tried to delete resource record set ${describeSet(set)} but it was not found`);
    } else if (JSON.stringify(canonical(working[index])) !== JSON.stringify(canonical(set))) {
      problems.push(`Tried to delete resource record set ${describeSet(set)} but the values provided do not match the current values`);
    } else {
      working.splice(index, 1);
    }
    applied.push({ Action: action, ResourceRecordSet: set });
  }
  if (problems.length > 0) throw new FakeAwsError('InvalidChangeBatch', `[${problems.join(', ')}]`);
  zone.recordSets = working;
  const changeLog = (state.changes ??= []);
  const change: FakeChange = {
    id: `C${String(changeLog.length + 1).padStart(13, '0')}`,
    zoneId: zone.id,
    comment: batch?.Comment,
    submittedAt: new Date().toISOString(),
    pendingPolls: state.pendingPolls ?? 1,
    polls: 0,
    changes: applied,
  };
  changeLog.push(change);
  return change;
}

function changeInfo(change: FakeChange, status: string): Record<string, unknown> {
  return { Id: `/change/${change.id}`, Status: status, SubmittedAt: change.submittedAt, Comment: change.comment };
}

function getChange(state: FakeAwsState, input: Record<string, unknown>): Record<string, unknown> {
  const id = bareId(String(input.Id));
  const change = state.changes?.find((c) => c.id === id);
  if (!change) throw new FakeAwsError('NoSuchChange', `A change with the specified change ID does not exist: ${id}`, 404);
  change.polls += 1;
  return { ChangeInfo: changeInfo(change, change.polls <= change.pendingPolls ? 'PENDING' : 'INSYNC') };
}

function getHostedZone(state: FakeAwsState, input: Record<string, unknown>): Record<string, unknown> {
  const zone = findZone(state, input.Id);
  const nameServers = ['ns-1.awsdns-01.org', 'ns-2.awsdns-02.co.uk', 'ns-3.awsdns-03.com', 'ns-4.awsdns-04.net'];
  return { HostedZone: zoneXml(zone), DelegationSet: zone.privateZone ? undefined : { NameServers: nameServers } };
}

export function handleRoute53(state: FakeAwsState, op: Route53Operation, _requestId: string): FakeReply {
  const respond = (members: Record<string, unknown>, status = 200): FakeReply => ({
    status,
    body: documentXml(`${op.operation}Response`, ROUTE53_NS, members, SHAPES),
  });
  switch (op.operation) {
    case 'ListHostedZonesByName':
      return respond(listHostedZonesByName(state, op.input));
    case 'GetHostedZone':
      return respond(getHostedZone(state, op.input));
    case 'ListResourceRecordSets':
      return respond(listResourceRecordSets(state, op.input));
    case 'ChangeResourceRecordSets':
      return respond({ ChangeInfo: changeInfo(changeResourceRecordSets(state, op.input), 'PENDING') });
    case 'GetChange':
      return respond(getChange(state, op.input));
    default:
      throw new FakeAwsError('UnknownOperation', `the fake Route 53 does not support ${op.operation}`, 404);
  }
}
