/**
 * @module `@workfront-oauth/opentelemetry`: the core's instrumentation port on the OpenTelemetry API. A span
 * per operation (sign-in start, callback, access token, API call, logout) with child spans for token
 * requests (HTTP client spans), store calls, refresh-lock waits and near-cache decisions, and
 * `workfront_oauth.*` metrics. It depends on `@opentelemetry/api` only: the application owns the SDK, its
 * exporters and their set-up; with none registered, every call lands in the API's no-ops.
 */
import type {
  Attributes,
  Context,
  Counter,
  Histogram,
  Link,
  MeterProvider,
  Span,
  Tracer,
  TracerProvider,
} from '@opentelemetry/api'
import { context, metrics, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api'
import type {
  GrantLossReason,
  Instrumentation,
  OperationObserver,
  OperationStart,
  Step,
  StepEnd,
  StoreCall,
} from '@workfront-oauth/core/adapters'
import { version } from '../package.json'
import { Attr, LATENCY_BUCKETS_S, Metric, SpanName } from './names.ts'
import { linkTo, traceparentOf } from './traceparent.ts'

export { Attr, LATENCY_BUCKETS_S, Metric, SpanName } from './names.ts'

/** The instrumentation scope's name: the tracer's and the meter's. */
export const INSTRUMENTATION_NAME = '@workfront-oauth/opentelemetry'
/** The instrumentation scope's version: this package's. */
export const INSTRUMENTATION_VERSION: string = version

/** Options of `openTelemetry()`. */
export interface OpenTelemetryOptions {
  /** Where spans go. Default: the global provider (`trace.setGlobalTracerProvider`, or an SDK's `register()`). */
  tracerProvider?: TracerProvider
  /**
   * Where metrics go. Default: the global provider as it is when `openTelemetry()` is called — register the
   * SDK's meter provider first (the metrics API has no proxy that would pick up a later one).
   */
  meterProvider?: MeterProvider
  /** The clock (milliseconds) that lock waits and operation durations are measured with. Default `performance.now()`. */
  now?: () => number
}

interface Instruments {
  operationDuration: Histogram
  signIns: Counter
  refreshes: Counter
  tokenRequests: Counter
  tokenRequestDuration: Histogram
  lockWaits: Counter
  lockWaitDuration: Histogram
  storeDuration: Histogram
  storeErrors: Counter
  grantsLost: Counter
  nearCache: Counter
}

/**
 * The instrumentation to pass as `instrumentation` to `createWorkfrontOAuth`, `createWorkfrontServerAuth`
 * (and through the first, to `createWebAuth` and the adapters). Nothing it records carries a token, code,
 * secret, cookie, JWT, session id or grant id: it is told none (see the core's `Instrumentation`).
 */
export function openTelemetry(options: OpenTelemetryOptions = {}): Instrumentation {
  const tracer: Tracer = (options.tracerProvider ?? trace.getTracerProvider()).getTracer(
    INSTRUMENTATION_NAME,
    INSTRUMENTATION_VERSION,
  )
  const m = instruments(options.meterProvider ?? metrics.getMeterProvider())
  const now = options.now ?? (() => performance.now())

  function grantLost(reason: GrantLossReason): void {
    m.grantsLost.add(1, { [Attr.GrantLossReason]: reason })
  }

  return {
    now,
    operation: (start) => observe(tracer, m, now, start),
    nearCacheHit() {
      m.nearCache.add(1, HIT)
    },
    storeCall(call: StoreCall) {
      const attributes = { [Attr.StoreOperation]: call.method }
      m.storeDuration.record(
        call.durationMs / 1000,
        call.failed ? { ...attributes, [Attr.ErrorType]: 'store_unavailable' } : attributes,
      )
      if (call.failed) m.storeErrors.add(1, attributes)
    },
    grantLost,
  }
}

function instruments(provider: MeterProvider): Instruments {
  const meter = provider.getMeter(INSTRUMENTATION_NAME, INSTRUMENTATION_VERSION)
  const seconds = (name: string, description: string): Histogram =>
    meter.createHistogram(name, {
      unit: 's',
      description,
      advice: { explicitBucketBoundaries: LATENCY_BUCKETS_S },
    })
  return {
    operationDuration: seconds(
      Metric.OperationDuration,
      'Duration of an operation (sign-in start, callback, access token, API call, logout).',
    ),
    signIns: meter.createCounter(Metric.SignIns, {
      unit: '{sign_in}',
      description: 'Callbacks handled, by outcome.',
    }),
    refreshes: meter.createCounter(Metric.Refreshes, {
      unit: '{refresh}',
      description:
        'Needs of a fresh session, by outcome: done here, joined (another caller or process did it), failed.',
    }),
    tokenRequests: meter.createCounter(Metric.TokenRequests, {
      unit: '{request}',
      description: 'Requests to the token endpoint and the JWT exchange, by grant type and error.',
    }),
    tokenRequestDuration: seconds(
      Metric.TokenRequestDuration,
      'Duration of a token endpoint request or JWT exchange.',
    ),
    lockWaits: meter.createCounter(Metric.LockWaits, {
      unit: '{wait}',
      description: 'Times the refresh lock was held by another caller: waited for, or timed out.',
    }),
    lockWaitDuration: seconds(
      Metric.LockWaitDuration,
      'Time spent taking the refresh lock (waiting included).',
    ),
    storeDuration: seconds(Metric.StoreOperationDuration, 'Duration of a call of the storage port.'),
    storeErrors: meter.createCounter(Metric.StoreErrors, {
      unit: '{error}',
      description: 'Failed calls of the storage port.',
    }),
    grantsLost: meter.createCounter(Metric.GrantsLost, {
      unit: '{grant}',
      description:
        'Grants that can no longer be used although nobody signed out: the user must sign in again.',
    }),
    nearCache: meter.createCounter(Metric.NearCacheLookups, {
      unit: '{lookup}',
      description: 'Hot-path lookups in the near cache of grants: hit (no store read) or miss.',
    }),
  }
}

const HIT: Attributes = Object.freeze({ [Attr.NearCacheResult]: 'hit' })
const MISS: Attributes = Object.freeze({ [Attr.NearCacheResult]: 'miss' })

/**
 * The observer of one operation: its span, its children, and the metrics they feed. The span is started
 * (with the operation's start time) when the first child or the end needs it, so that attributes learnt on
 * the way are set on it at once.
 */
function observe(
  tracer: Tracer,
  m: Instruments,
  now: () => number,
  start: OperationStart,
): OperationObserver {
  const attributes: Attributes = { [Attr.Operation]: start.operation, [Attr.Flow]: start.flow }
  if (start.tenantHost !== null) attributes[Attr.TenantHost] = start.tenantHost
  if (start.method !== undefined) attributes[Attr.HTTPMethod] = start.method
  const outer = context.active()
  const startTime = Date.now()
  const began = now()
  const flow = { [Attr.Flow]: start.flow }
  let span: Span | undefined
  let parent: Context = outer
  /** Links learnt before the span started: given to it at its start, as samplers expect. */
  let links: Link[] | undefined

  const opened = (): Span => {
    if (span === undefined) {
      span = tracer.startSpan(
        SpanName.operation(start.operation),
        links === undefined
          ? { kind: SpanKind.INTERNAL, attributes, startTime }
          : { kind: SpanKind.INTERNAL, attributes, startTime, links },
        outer,
      )
      parent = trace.setSpan(outer, span)
    }
    return span
  }
  const set = (key: string, value: string | number): void => {
    if (span === undefined) attributes[key] = value
    else span.setAttribute(key, value)
  }
  const child = (name: string, kind: SpanKind, childAttributes: Attributes): Span => {
    opened()
    return tracer.startSpan(name, { kind, attributes: childAttributes }, parent)
  }

  return {
    step(step) {
      const stepBegan = now()
      const stepSpan = child(...spanOf(step))
      return (end) => {
        const ms = now() - stepBegan
        finishStep(stepSpan, step, end, ms, m, flow)
      }
    },
    nearCache(hit) {
      m.nearCache.add(1, hit ? HIT : MISS)
      set(Attr.NearCacheResult, hit ? 'hit' : 'miss')
      if (!hit) child(SpanName.NearCache, SpanKind.INTERNAL, MISS).end()
    },
    refresh(outcome, code) {
      set(Attr.RefreshOutcome, outcome)
      m.refreshes.add(
        1,
        code === undefined
          ? { ...flow, [Attr.RefreshOutcome]: outcome }
          : { ...flow, [Attr.RefreshOutcome]: outcome, [Attr.ErrorType]: code },
      )
    },
    traceContext() {
      return traceparentOf(opened().spanContext())
    },
    refreshJoined(traceparent) {
      const link = linkTo(traceparent)
      if (link === undefined) return
      // A span already started takes it through `addLink` (API 1.9; an older SDK's spans lack it).
      if (span !== undefined) span.addLink?.(link)
      else if (links === undefined) links = [link]
      else links.push(link)
    },
    grantLost(reason) {
      opened().addEvent('workfront_oauth.grant_lost', { [Attr.GrantLossReason]: reason })
      m.grantsLost.add(1, { [Attr.GrantLossReason]: reason })
    },
    tenant(host) {
      set(Attr.TenantHost, host)
    },
    response(status, resendCount) {
      set(Attr.HTTPStatus, status)
      if (resendCount > 0) set(Attr.HTTPResendCount, resendCount)
    },
    end(error) {
      const operationSpan = opened()
      const metricAttributes: Attributes = { [Attr.Operation]: start.operation, ...flow }
      if (error !== undefined) {
        operationSpan.setAttribute(Attr.ErrorType, error)
        operationSpan.setStatus({ code: SpanStatusCode.ERROR, message: error })
        metricAttributes[Attr.ErrorType] = error
      }
      operationSpan.end()
      m.operationDuration.record((now() - began) / 1000, metricAttributes)
      if (start.operation === 'callback') {
        m.signIns.add(
          1,
          error === undefined
            ? { ...flow, [Attr.Outcome]: 'success' }
            : { ...flow, [Attr.Outcome]: 'failure', [Attr.ErrorType]: error },
        )
      }
    },
  }
}

/** A step's span: name, kind and first attributes (HTTP client conventions for token requests). */
function spanOf(step: Step): [string, SpanKind, Attributes] {
  switch (step.kind) {
    case 'token': {
      const url = new URL(step.url)
      const port = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port)
      return [
        `POST ${url.pathname}`,
        SpanKind.CLIENT,
        {
          [Attr.HTTPMethod]: 'POST',
          [Attr.URLFull]: `${url.origin}${url.pathname}`,
          [Attr.URLTemplate]: url.pathname,
          [Attr.ServerAddress]: url.hostname,
          [Attr.ServerPort]: port,
          [Attr.GrantType]: step.grantType,
        },
      ]
    }
    case 'store':
      return [SpanName.store(step.operation), SpanKind.INTERNAL, { [Attr.StoreOperation]: step.operation }]
    case 'lock':
      return [SpanName.LockWait, SpanKind.INTERNAL, {}]
    case 'api':
      return [`workfront_oauth.${step.operation}`, SpanKind.INTERNAL, { [Attr.TenantHost]: step.host }]
  }
}

/** Ends a step's span with its outcome and records the step's metrics. */
function finishStep(
  span: Span,
  step: Step,
  end: StepEnd,
  ms: number,
  m: Instruments,
  flow: Attributes,
): void {
  if (end.error !== undefined) {
    span.setAttribute(Attr.ErrorType, end.error)
    span.setStatus({ code: SpanStatusCode.ERROR, message: end.error })
  }
  if (end.status !== undefined) span.setAttribute(Attr.HTTPStatus, end.status)
  switch (step.kind) {
    case 'token': {
      const attributes: Attributes = { ...flow, [Attr.GrantType]: step.grantType }
      if (end.error !== undefined) attributes[Attr.ErrorType] = end.error
      m.tokenRequests.add(1, attributes)
      m.tokenRequestDuration.record(ms / 1000, attributes)
      break
    }
    case 'lock': {
      const outcome = end.outcome ?? 'failed'
      span.setAttribute(Attr.LockOutcome, outcome)
      span.setAttribute(Attr.LockWaitMs, Math.round(ms))
      m.lockWaitDuration.record(ms / 1000, { [Attr.LockOutcome]: outcome })
      if (outcome !== 'acquired') m.lockWaits.add(1, { [Attr.LockOutcome]: outcome })
      break
    }
    case 'store':
      if (end.outcome !== undefined) span.setAttribute(Attr.StoreOutcome, end.outcome)
      break
    case 'api':
      break
  }
  span.end()
}
