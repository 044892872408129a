/**
 * A fake AWS endpoint for end-to-end tests: Route 53 (REST-XML), ELBv2 (query protocol) and
 * CloudWatch (AWS JSON 1.0, see cloudwatch.ts) on one local port, so the CLI runs its real SDK clients with `--endpoint-url`.
 *
 *   const aws = await startFakeAws({ zones: [...], listeners: [...], targetGroups: [...] });
 *   // run the CLI with --endpoint-url aws.url, then:
 *   expect(aws.requests.filter((r) => r.operation === 'ModifyListener')).toHaveLength(1);
 *   expect(aws.state.zones[0]!.recordSets).toEqual([...]);
 *   await aws.close();
 *
 * `state` is a deep copy of `initial`, normalised the way AWS stores things (record names in
 * lower case with a trailing dot, forward actions filled in, OIDC defaults) and then changed
 * in place by every write. Tests may read and change it between requests.
 *
 * Requests are told apart by path: `/2013-04-01/...` is Route 53, a POST with an
 * `X-Amz-Target: GraniteServiceVersion20100801.*` header is CloudWatch, a form POST to `/`
 * with an `Action` is ELBv2. Signatures and auth headers are ignored.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Action as ElbAction, RuleCondition, TargetHealthDescription } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { ResourceRecordSet } from '@aws-sdk/client-route-53';
import { CLOUDWATCH_JSON, CLOUDWATCH_TARGET_PREFIX, handleCloudwatch, type FakeAlarm, type FakeMetric } from './cloudwatch.js';
import { handleElbv2, normaliseElbv2State, parseQueryInput } from './elbv2.js';
import { handleRoute53, normaliseRoute53State, route53Operation } from './route53.js';
import { documentXml, escapeXml, type XmlShapes } from './xml.js';

// ---------------------------------------------------------------------------------------------
// State

export interface FakeZone {
  /** Bare id (`Z123`); `/hostedzone/Z123` is accepted and stripped. */
  id: string;
  /** `example.com` or `example.com.`; stored with the trailing dot. */
  name: string;
  privateZone?: boolean;
  comment?: string;
  /** SDK-shaped record sets. Names are stored in lower case with the trailing dot. */
  recordSets: ResourceRecordSet[];
}

/** One ChangeResourceRecordSets call, as applied. */
export interface FakeChange {
  /** Bare id (`C0000000000001`); the API returns `/change/C0000000000001`. */
  id: string;
  zoneId: string;
  comment?: string;
  submittedAt: string;
  /** GetChange answers PENDING while `polls` <= `pendingPolls` (copied from the state when the change was made). */
  pendingPolls: number;
  polls: number;
  changes: { Action: string; ResourceRecordSet: ResourceRecordSet }[];
}

export interface FakeListener {
  arn: string;
  loadBalancerArn?: string;
  port?: number;
  protocol?: string;
  /**
   * SDK-shaped actions as AWS stores them: an OIDC action keeps its ClientSecret here, but
   * Describe/Modify responses leave it out, as AWS does.
   */
  defaultActions: ElbAction[];
}

export interface FakeRule {
  arn: string;
  listenerArn?: string;
  /** `'1'`..`'50000'` or `'default'`, a string as in DescribeRules. */
  priority?: string;
  isDefault?: boolean;
  conditions?: RuleCondition[];
  actions: ElbAction[];
}

export interface FakeTargetGroup {
  arn: string;
  name: string;
  protocol?: string;
  port?: number;
  vpcId?: string;
  targetType?: string;
  loadBalancerArns?: string[];
  /** What DescribeTargetHealth returns. */
  health?: TargetHealthDescription[];
}

export interface FakeFault {
  /** Operation name (`ModifyListener`, `ChangeResourceRecordSets`...); omitted: the next request of any operation. */
  operation?: string;
  /** Restrict to one service. */
  service?: FakeService;
  /** Error code, e.g. `Throttling`, `PriorRequestNotComplete`, `AccessDenied`. */
  code: string;
  /** HTTP status; default 400. */
  status?: number;
  message?: string;
}

export interface FakeAwsState {
  zones: FakeZone[];
  listeners: FakeListener[];
  rules: FakeRule[];
  targetGroups: FakeTargetGroup[];
  /** GetChange polls answered PENDING before INSYNC, per change; default 1. */
  pendingPolls?: number;
  /** Largest ListResourceRecordSets / ListHostedZonesByName page; default 300 / 100 (AWS's). */
  pageSize?: number;
  /**
   * Describe/Modify answers include the OIDC ClientSecret: AWS never does that, but
   * AWS-compatible endpoints have been seen to, and cutover must not journal it.
   */
  leakClientSecret?: boolean;
  /** Errors answered once each, first match first, before the request is handled. */
  faults?: FakeFault[];
  /** Milliseconds every answer waits, like a network round trip (benchmarks); default 0. */
  latencyMs?: number;
  /** Every change made so far (filled in by the server). */
  changes?: FakeChange[];
  /** CloudWatch alarms, for DescribeAlarms. */
  alarms?: FakeAlarm[];
  /** CloudWatch metrics with their raw datapoints, for GetMetricData. */
  metrics?: FakeMetric[];
}

export type FakeService = 'route53' | 'elbv2' | 'cloudwatch';

export interface FakeRequest {
  service: FakeService;
  /** SDK operation name, e.g. `ListResourceRecordSets`, `ModifyListener`; `Unknown` when not recognised. */
  operation: string;
  /** The request as the SDK command input it came from (ids without `/hostedzone/`, numbers as numbers). */
  input: Record<string, unknown>;
  /** The error code answered, if any (an injected fault or a real error). */
  error?: string;
  /** True when the error was an injected fault. */
  fault?: boolean;
}

export interface FakeAws {
  /** `http://127.0.0.1:PORT`, for `--endpoint-url` or the client's `endpoint`. */
  url: string;
  state: FakeAwsState;
  requests: FakeRequest[];
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Errors and responses shared by both services

/** An AWS error answer: both services use `<ErrorResponse><Error>...`. */
export class FakeAwsError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
    readonly type: 'Sender' | 'Receiver' = status >= 500 ? 'Receiver' : 'Sender',
  ) {
    super(message);
  }
}

export interface FakeReply {
  status?: number;
  body: string;
}

export const ROUTE53_NS = 'https://route53.amazonaws.com/doc/2013-04-01/';
export const ELBV2_NS = 'http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/';

function errorXml(error: FakeAwsError, namespace: string, requestId: string): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse xmlns="${namespace}"><Error><Type>${error.type}</Type>` +
    `<Code>${escapeXml(error.code)}</Code><Message>${escapeXml(error.message)}</Message></Error>` +
    `<RequestId>${requestId}</RequestId></ErrorResponse>`
  );
}

/** `<XResponse><XResult>...</XResult><ResponseMetadata>...` as the query protocol answers. */
export function queryResponseXml(operation: string, result: Record<string, unknown>, requestId: string, shapes: XmlShapes): string {
  return documentXml(`${operation}Response`, ELBV2_NS, { [`${operation}Result`]: result, ResponseMetadata: { RequestId: requestId } }, shapes);
}

// ---------------------------------------------------------------------------------------------
// The server

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function takeFault(state: FakeAwsState, service: FakeService, operation: string): FakeFault | undefined {
  const faults = state.faults ?? [];
  const index = faults.findIndex((f) => (f.operation === undefined || f.operation === operation) && (f.service === undefined || f.service === service));
  if (index < 0) return undefined;
  return faults.splice(index, 1)[0];
}

export async function startFakeAws(initial: FakeAwsState): Promise<FakeAws> {
  const state = structuredClone(initial);
  state.faults ??= [];
  state.changes ??= [];
  normaliseRoute53State(state);
  normaliseElbv2State(state);
  const requests: FakeRequest[] = [];

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const requestId = randomUUID();
    const url = new URL(req.url ?? '/', 'http://localhost');
    const body = await readBody(req);
    if (state.latencyMs) await new Promise((resolve) => setTimeout(resolve, state.latencyMs));
    const target = String(req.headers['x-amz-target'] ?? '');
    const isCloudwatch = target.startsWith(CLOUDWATCH_TARGET_PREFIX);
    const send = (status: number, text: string, headers: Record<string, string> = {}) => {
      res.writeHead(status, {
        'content-type': isCloudwatch ? CLOUDWATCH_JSON : 'text/xml',
        'x-amzn-requestid': requestId,
        'content-length': Buffer.byteLength(text),
        ...headers,
      });
      res.end(text);
    };

    const isRoute53 = url.pathname.startsWith('/2013-04-01/');
    const service: FakeService = isRoute53 ? 'route53' : isCloudwatch ? 'cloudwatch' : 'elbv2';
    const namespace = isRoute53 ? ROUTE53_NS : ELBV2_NS;
    const record: FakeRequest = { service, operation: 'Unknown', input: {} };
    requests.push(record);
    try {
      let run: () => FakeReply;
      if (isRoute53) {
        const op = route53Operation(req.method ?? 'GET', url, body);
        record.operation = op.operation;
        record.input = op.input;
        run = () => handleRoute53(state, op, requestId);
      } else if (isCloudwatch) {
        if (req.method !== 'POST' || !String(req.headers['content-type'] ?? '').startsWith(CLOUDWATCH_JSON))
          throw new FakeAwsError('UnknownOperationException', `CloudWatch takes a POST of ${CLOUDWATCH_JSON}`);
        record.operation = target.slice(CLOUDWATCH_TARGET_PREFIX.length);
        record.input = JSON.parse(body || '{}') as Record<string, unknown>;
        run = () => handleCloudwatch(state, record.operation, record.input);
      } else {
        const form = new URLSearchParams(body);
        const action = form.get('Action') ?? url.searchParams.get('Action');
        if (req.method !== 'POST' || !action) throw new FakeAwsError('InvalidAction', `no Route 53 path or ELBv2 Action in ${req.method} ${url.pathname}`);
        record.operation = action;
        record.input = parseQueryInput(form);
        run = () => handleElbv2(state, action, record.input, requestId, form.get('Version'));
      }
      const fault = takeFault(state, service, record.operation);
      if (fault) {
        record.fault = true;
        throw new FakeAwsError(fault.code, fault.message ?? `injected ${fault.code} for ${record.operation}`, fault.status ?? 400);
      }
      const reply = run();
      send(reply.status ?? 200, reply.body);
    } catch (error) {
      const aws =
        error instanceof FakeAwsError
          ? error
          : new FakeAwsError('InternalFailure', `fake AWS: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`, 500);
      record.error = aws.code;
      if (isCloudwatch)
        send(aws.status, JSON.stringify({ __type: `com.amazonaws.cloudwatch#${aws.code}`, message: aws.message }), {
          'x-amzn-query-error': `${aws.code};${aws.type}`,
        });
      else send(aws.status, errorXml(aws, namespace, requestId));
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      res.destroy(error instanceof Error ? error : new Error(String(error)));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    state,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // The SDK keeps connections alive; without this close() waits for them to time out.
        server.closeAllConnections();
      }),
  };
}
