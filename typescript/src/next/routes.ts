// The seeds' monitoring endpoints as web-standard route handlers (Request in, Response out), for a
// Next.js App Router catch-all route:
//
//   // app/api/symphony/[...path]/route.ts
//   export const { GET, POST } = createSymphonyRoutes({ authorize });
//
//   GET  health                 { health: { status, metrics: { queueDepth, ... }, ... } }
//   GET  metrics?minutes=60     { metrics: { successRate, averageProcessingTime, ... } }
//   GET  status                 { queue: { depth, pending, ... }, queues, status, ... }
//   GET  queue-depth            { queues: { NAME: { depth, ... } }, total }
//   GET  failed?limit=50        { messages, total, nextCursor }
//   GET  failed/{id}            { message: { ..., failures, payload } }
//   POST failed/{id}/retry      { success, retried, messageId, queue, ... }
//
// Errors are JSON `{ error, message, field? }`: 400 bad input, 401 unauthorized, 403 a
// cross-site POST, 404 unknown path / id / queue, 405 wrong method (with Allow), 503 broker
// unreachable or unavailable, 502 another broker failure, 500 a bug or a bad setting.
// Nothing here needs Next.js itself: any framework with Request/Response can call `handler`.
import type { SymphonyClient } from '../client.js';
import type { Env } from '../config.js';
import { ConfigError, TransportError } from '../errors.js';
import { ErrorCode, ProtocolError } from '../protocol/error-codes.js';
import { isValidQueueName } from '../queue-name.js';
import {
  DEFAULT_FAILED_LIST_LIMIT,
  DEFAULT_METRICS_MINUTES,
  MAX_FAILED_LIST_LIMIT,
  MAX_METRICS_MINUTES,
  decodeCursor,
  failedListRequest,
  hasQueue,
} from '../messenger/figures.js';
import { hasBearerSecret } from './auth.js';
import { getSymphonyClient } from './shared-client.js';
import { failedDetailView, failedListView, healthView, metricsView, queueDepthView, statusView, type RetryView } from './views.js';

/** What the routes use of a SymphonyClient (a fake in tests). */
export type SymphonyRoutesClient = Pick<SymphonyClient, 'health' | 'overview' | 'metrics' | 'failedList' | 'failedGet' | 'failedRetry'>;

export type RouteParams = Record<string, string | string[] | undefined>;

/** Next's second argument: `params` is a Promise from Next 15 on, a plain object before. */
export interface RouteContext {
  params?: RouteParams | Promise<RouteParams>;
}

/**
 * `context` is Next's RouteContext, typed `unknown` on purpose: `next build` checks that a route's
 * second parameter extends its own `{ params: Promise<...> }` (a plain object before Next 15),
 * and maps an `unknown` one to `any`, so this one type passes every version's check. Its shape
 * is checked at run time instead; anything else counts as no context (the URL is used).
 */
export type RouteHandler = (request: Request, context?: unknown) => Promise<Response>;

/** true: go on; false: 401; a Response: sent as it is (a 403 of your own, a redirect...). */
export type Authorize = (request: Request) => boolean | Response | Promise<boolean | Response>;

export interface SymphonyRoutesOptions {
  /** The client, or a function giving it (called per request). Default: getSymphonyClient(). */
  client?: SymphonyRoutesClient | (() => SymphonyRoutesClient | Promise<SymphonyRoutesClient>);
  /** Required as `Authorization: Bearer <secret>`. Default: env SYMPHONY_ROUTES_SECRET. With
   *  neither set (and no `authorize`) the routes are open: set one in production. */
  secret?: string;
  /** Decides instead of the secret check. */
  authorize?: Authorize;
  /** Where the routes are mounted, to find the path in the URL when Next gives no params.
   *  Default: "/api/symphony". */
  basePath?: string;
  /** Where SYMPHONY_ROUTES_SECRET is read, at each request. Default: process.env. */
  env?: Env;
  /** Told about every 5xx (the response says less). Default: console.error. */
  onError?: ErrorListener;
}

export interface SymphonyRoutes {
  GET: RouteHandler;
  POST: RouteHandler;
  /** Any method: for frameworks that route every method to one function. */
  handler: RouteHandler;
}

export const DEFAULT_BASE_PATH = '/api/symphony';
const MAX_ID = 0xffff_ffff_ffff_ffffn;

/** An answer decided before or instead of the broker: becomes `{ error, message, field? }`. */
export class RouteError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

interface Call {
  request: Request;
  url: URL;
  /** Path segments after the mount point; `:id` of the pattern as matched. */
  segments: string[];
  client: () => Promise<SymphonyRoutesClient>;
  onError: ErrorListener;
}

type ErrorListener = (error: unknown, request: Request) => void;

interface Route {
  pattern: string[];
  method: 'GET' | 'POST';
  /** Query parameters it accepts; any other is a 400. */
  params: string[];
  run: (call: Call) => Promise<Response>;
}

const ROUTES: Route[] = [
  {
    pattern: ['health'],
    method: 'GET',
    params: [],
    run: async ({ client, request, onError }) => {
      try {
        const c = await client();
        const [report, overview] = await Promise.all([c.health(), c.overview(1)]);
        // unhealthy is a 503, as on the broker's /health, so an uptime check can use the status alone
        return json(report.status === 'unhealthy' ? 503 : 200, healthView(report, overview));
      } catch (err) {
        if (!isUnavailable(err)) throw err;
        onError(err, request);
        // still in the seeds' shape, so a monitor reading health.status gets 'unhealthy'
        const message = unavailableMessage(err);
        const health = { status: 'unhealthy', healthy: false, reasons: [message], checks: { broker: 'unreachable' }, metrics: null };
        return errorJson(503, 'broker_unavailable', message, undefined, RETRY_AFTER, { health });
      }
    },
  },
  {
    pattern: ['metrics'],
    method: 'GET',
    params: ['minutes', 'queue'],
    run: async ({ url, client }) => {
      const minutes = intParam(url, 'minutes', DEFAULT_METRICS_MINUTES, 1, MAX_METRICS_MINUTES, 'the broker keeps rates for the last hour');
      const queue = queueParam(url);
      const c = await client();
      const [overview, prometheus] = await Promise.all([c.overview(minutes), c.metrics()]);
      if (queue !== undefined && !hasQueue(overview, queue)) throw unknownQueue(queue);
      return json(200, metricsView(overview, prometheus, minutes, queue));
    },
  },
  {
    pattern: ['status'],
    method: 'GET',
    params: [],
    run: async ({ client }) => {
      const c = await client();
      const [report, overview] = await Promise.all([c.health(), c.overview(1)]);
      return json(200, statusView(report, overview));
    },
  },
  {
    pattern: ['queue-depth'],
    method: 'GET',
    params: ['queue'],
    run: async ({ url, client }) => {
      const queue = queueParam(url);
      const overview = await (await client()).overview(1);
      if (queue !== undefined && !hasQueue(overview, queue)) throw unknownQueue(queue);
      return json(200, queueDepthView(overview, queue));
    },
  },
  {
    pattern: ['failed'],
    method: 'GET',
    params: ['limit', 'cursor', 'queue', 'type', 'errorClass'],
    run: async ({ url, client }) => {
      const limit = intParam(url, 'limit', DEFAULT_FAILED_LIST_LIMIT, 1, MAX_FAILED_LIST_LIMIT);
      const cursor = stringParam(url, 'cursor');
      if (cursor !== undefined && decodeCursor(cursor) === undefined) {
        throw new RouteError(400, 'invalid_parameter', 'cursor: not a cursor this endpoint gave (nextCursor)', 'cursor');
      }
      const queue = queueParam(url);
      const type = textParam(url, 'type');
      const errorClass = textParam(url, 'errorClass');
      const result = await (await client()).failedList(failedListRequest({ limit, cursor, queue, type, errorClass }));
      return json(200, failedListView(result));
    },
  },
  {
    pattern: ['failed', ':id'],
    method: 'GET',
    params: [],
    run: async ({ segments, client }) => {
      const id = messageId(segments[1]);
      return json(200, failedDetailView(await (await client()).failedGet(id)));
    },
  },
  {
    pattern: ['failed', ':id', 'retry'],
    method: 'POST',
    params: ['dryRun'],
    run: async ({ url, segments, client }) => {
      const id = messageId(segments[1]);
      const dryRun = boolParam(url, 'dryRun');
      const c = await client();
      // read it first: a 404 for an id that is not a dead letter, and the queue it goes back to
      const detail = await c.failedGet(id);
      const result = await c.failedRetry([id], { dryRun });
      if (!result.messageIds.includes(id)) throw notDeadLetter(id); // retried or deleted meanwhile
      const body: RetryView = {
        success: true,
        retried: !dryRun,
        dryRun,
        messageId: id.toString(),
        queue: detail.summary.queue,
        type: detail.summary.type,
      };
      return json(200, body);
    },
  },
];

/** The route handlers; see the top of this file. */
export function createSymphonyRoutes(options: SymphonyRoutesOptions = {}): SymphonyRoutes {
  if (options.secret === '') {
    // most likely `secret: process.env.X ?? ''` with X unset: refuse rather than guess
    throw new ConfigError('secret', 'must not be empty (leave it undefined to use SYMPHONY_ROUTES_SECRET)');
  }
  const basePath = normaliseBasePath(options.basePath ?? DEFAULT_BASE_PATH);
  const onError: ErrorListener = options.onError ?? ((err) => console.error('[symphony-messenger/next]', err));
  const getClient = async (): Promise<SymphonyRoutesClient> => {
    const c = options.client;
    if (c === undefined) return getSymphonyClient();
    return typeof c === 'function' ? c() : c;
  };

  const handler: RouteHandler = async (request, context) => {
    const head = request.method === 'HEAD';
    let response: Response;
    try {
      response = await handle(request, context, options, basePath, getClient, onError);
    } catch (err) {
      response = errorResponse(err, request, onError);
    }
    // HEAD: the GET's status and headers without its body
    return head ? new Response(null, { status: response.status, headers: response.headers }) : response;
  };
  return { GET: handler, POST: handler, handler };
}

async function handle(
  request: Request,
  context: unknown,
  options: SymphonyRoutesOptions,
  basePath: string,
  client: () => Promise<SymphonyRoutesClient>,
  onError: ErrorListener,
): Promise<Response> {
  // authorization first: callers without it learn nothing, not even which paths exist
  const denied = await authorize(request, options);
  if (denied) return denied;

  const url = new URL(request.url);
  const segments = await pathOf(context, url, basePath);
  const matches = ROUTES.filter((r) => matchesPattern(r.pattern, segments));
  if (matches.length === 0) {
    throw new RouteError(404, 'not_found', `no such endpoint: /${segments.join('/')}`);
  }
  const method = request.method === 'HEAD' ? 'GET' : request.method;
  const route = matches.find((r) => r.method === method);
  if (!route) {
    const allow = [...new Set(matches.flatMap((r) => (r.method === 'GET' ? ['GET', 'HEAD'] : [r.method])))].join(', ');
    throw new RouteError(405, 'method_not_allowed', `${request.method} is not allowed here; use ${allow}`, undefined, { Allow: allow });
  }
  if (route.method === 'POST') refuseCrossSite(request);
  checkParams(url, route.params);
  return route.run({ request, url, segments, client, onError });
}

async function authorize(request: Request, options: SymphonyRoutesOptions): Promise<Response | undefined> {
  let verdict: boolean | Response;
  if (options.authorize) {
    verdict = await options.authorize(request);
  } else {
    const env = options.env ?? process.env;
    const fromEnv = env['SYMPHONY_ROUTES_SECRET'];
    const secret = options.secret ?? (fromEnv === '' ? undefined : fromEnv);
    verdict = secret === undefined ? true : hasBearerSecret(request, secret);
  }
  if (verdict instanceof Response) return verdict;
  if (verdict === true) return undefined;
  return errorJson(401, 'unauthorized', 'missing or wrong credentials', undefined, { 'WWW-Authenticate': 'Bearer' });
}

/**
 * A browser marks a request another site's page makes (Sec-Fetch-Site); such a POST is refused,
 * so a page cannot retry dead letters through a user's cookies or an open deployment. Scripts
 * and same-origin pages (the seeds' `fetch('/api/symphony/...', { method: 'POST' })`) pass.
 */
function refuseCrossSite(request: Request): void {
  const site = request.headers.get('sec-fetch-site');
  if (site !== null && site !== 'same-origin' && site !== 'none') {
    throw new RouteError(403, 'cross_site', `a ${site} POST is refused`, 'Sec-Fetch-Site');
  }
}

// ---- the path ----

async function pathOf(context: unknown, url: URL, basePath: string): Promise<string[]> {
  const raw = typeof context === 'object' && context !== null ? (context as RouteContext).params : undefined;
  const params: unknown = await raw; // a Promise (Next 15+) or the object itself (awaiting it is a no-op)
  const fromParams = typeof params === 'object' && params !== null ? catchAllParam(params as RouteParams) : undefined;
  if (fromParams !== undefined) return fromParams.filter((s) => s !== '');
  // no params (a plain Request, or another framework): the part of the URL after the mount point
  const path = url.pathname;
  if (path !== basePath && !path.startsWith(`${basePath}/`)) {
    throw new RouteError(404, 'not_found', `${path} is not under ${basePath} (the basePath option)`);
  }
  return path
    .slice(basePath.length)
    .split('/')
    .filter((s) => s !== '')
    .map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        throw new RouteError(400, 'invalid_path', 'the path is not valid percent-encoding');
      }
    });
}

/** `path` of `[...path]`, or the only array-valued param when the segment has another name. */
function catchAllParam(params: RouteParams): string[] | undefined {
  const own = params['path'];
  if (isStrings(own)) return own;
  if (typeof own === 'string') return [own];
  const arrays = Object.values(params).filter(isStrings);
  return arrays.length === 1 ? arrays[0] : undefined;
}

function isStrings(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((s) => typeof s === 'string');
}

function matchesPattern(pattern: string[], segments: string[]): boolean {
  return pattern.length === segments.length && pattern.every((p, i) => p.startsWith(':') || p === segments[i]);
}

function normaliseBasePath(p: string): string {
  const trimmed = p.replace(/\/+$/, '');
  return trimmed.startsWith('/') ? trimmed : `/${trimmed}`;
}

// ---- parameters ----

function checkParams(url: URL, allowed: string[]): void {
  const seen = new Set<string>();
  for (const key of url.searchParams.keys()) {
    if (!allowed.includes(key)) {
      const hint = allowed.length === 0 ? 'this endpoint takes none' : `expected ${allowed.join(', ')}`;
      throw new RouteError(400, 'invalid_parameter', `unknown parameter '${key}' (${hint})`, key);
    }
    if (seen.has(key)) throw new RouteError(400, 'invalid_parameter', `${key}: given more than once`, key);
    seen.add(key);
  }
}

function stringParam(url: URL, name: string): string | undefined {
  const v = url.searchParams.get(name);
  return v === null ? undefined : v;
}

function intParam(url: URL, name: string, fallback: number, min: number, max: number, why?: string): number {
  const text = stringParam(url, name);
  if (text === undefined) return fallback;
  const n = /^[0-9]{1,7}$/.test(text) ? Number(text) : NaN; // digits only: no sign, space, 1e3, 0x
  if (!(n >= min && n <= max)) {
    const reason = why === undefined ? '' : ` (${why})`;
    throw new RouteError(400, 'invalid_parameter', `${name}: expected an integer from ${min} to ${max}${reason}, got ${JSON.stringify(text)}`, name);
  }
  return n;
}

function boolParam(url: URL, name: string): boolean {
  const text = stringParam(url, name);
  if (text === undefined || text === 'false' || text === '0') return false;
  if (text === 'true' || text === '1' || text === '') return true;
  throw new RouteError(400, 'invalid_parameter', `${name}: expected true or false, got ${JSON.stringify(text)}`, name);
}

function queueParam(url: URL): string | undefined {
  const q = stringParam(url, 'queue');
  if (q !== undefined && !isValidQueueName(q)) {
    throw new RouteError(400, 'invalid_parameter', `queue: expected 1..255 characters of [A-Za-z0-9._:-], got ${JSON.stringify(q.slice(0, 300))}`, 'queue');
  }
  return q;
}

/** A type or error-class filter: 1..255 characters. */
function textParam(url: URL, name: string): string | undefined {
  const v = stringParam(url, name);
  if (v !== undefined && (v.length === 0 || v.length > 255)) {
    throw new RouteError(400, 'invalid_parameter', `${name}: expected 1..255 characters`, name);
  }
  return v;
}

/** A message id: a decimal u64 other than 0, as the broker numbers them. */
function messageId(segment: string | undefined): bigint {
  const text = segment ?? '';
  const id = /^[1-9][0-9]{0,19}$/.test(text) ? BigInt(text) : 0n;
  if (id === 0n || id > MAX_ID) {
    throw new RouteError(400, 'invalid_id', `expected a message id (a positive decimal integer), got ${JSON.stringify(text.slice(0, 40))}`, 'id');
  }
  return id;
}

function unknownQueue(queue: string): RouteError {
  return new RouteError(404, 'unknown_queue', `no queue named '${queue}'`, 'queue');
}

function notDeadLetter(id: bigint): RouteError {
  return new RouteError(404, 'not_found', `message ${id} is not a dead letter`, 'id');
}

// ---- responses ----

const JSON_HEADERS = {
  'Content-Type': 'application/json; charset=utf-8',
  // live figures: never from a cache (Next's, a CDN's or the browser's)
  'Cache-Control': 'no-store',
};

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { ...JSON_HEADERS, ...headers } });
}

function errorJson(status: number, error: string, message: string, field?: string, headers: Record<string, string> = {}, extra: object = {}): Response {
  return json(status, { error, message, ...(field !== undefined && { field }), ...extra }, headers);
}

const UNAVAILABLE_CODES: ReadonlySet<number> = new Set([ErrorCode.TOO_MANY_CONNECTIONS, ErrorCode.MEMORY_LIMIT]);

const RETRY_AFTER = { 'Retry-After': '5' };

/** The broker cannot answer now: not reachable, stopping, recovering, out of memory or slots. */
function isUnavailable(err: unknown): err is TransportError | ProtocolError {
  return err instanceof TransportError || (err instanceof ProtocolError && (err.category === 'server' || UNAVAILABLE_CODES.has(err.code)));
}

function unavailableMessage(err: TransportError | ProtocolError): string {
  return `the Symphony broker is ${err instanceof TransportError ? `unreachable (${err.kind})` : `unavailable (${err.codeName})`}`;
}

function errorResponse(err: unknown, request: Request, onError: ErrorListener): Response {
  if (err instanceof RouteError) return errorJson(err.status, err.code, err.message, err.field, err.headers);
  if (err instanceof ProtocolError && err.code === ErrorCode.UNKNOWN_MESSAGE) {
    return errorJson(404, 'not_found', 'no dead letter with this id', 'id');
  }
  if (err instanceof ProtocolError && err.category === 'validation') {
    return errorJson(400, 'invalid_parameter', `the broker refused the request: ${err.message}`);
  }
  onError(err, request);
  // what the broker or the network said is logged above, not sent: it may name hosts or settings
  if (isUnavailable(err)) return errorJson(503, 'broker_unavailable', unavailableMessage(err), undefined, RETRY_AFTER);
  if (err instanceof ProtocolError && err.code === ErrorCode.AUTH_FAILED) {
    return errorJson(502, 'broker_auth_failed', 'the broker refused this application\'s token (SYMPHONY_TOKEN)');
  }
  if (err instanceof ProtocolError) return errorJson(502, 'broker_error', `the broker answered ${err.codeName}`);
  if (err instanceof ConfigError) return errorJson(500, 'configuration_error', `bad setting ${err.setting}`, err.setting);
  return errorJson(500, 'internal_error', 'internal error');
}
