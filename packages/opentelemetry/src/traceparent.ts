/**
 * The trace context a refresh leaves for the callers who join it, as a W3C `traceparent` string: a trace id
 * and a span id, never a secret. Written here rather than by the global propagator, which may be a no-op or
 * another format: the string is read back by this package only (in this process, or in another from the
 * store), to link the joiners' spans to the refresh.
 * @see https://www.w3.org/TR/trace-context/#traceparent-header
 */
import type { Link, SpanContext } from '@opentelemetry/api'
import { isSpanContextValid, TraceFlags } from '@opentelemetry/api'

/** `00-<32 hex trace id>-<16 hex span id>-<2 hex flags>`, lower case, as the standard writes version 00. */
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/

/** The `traceparent` of a span, or undefined when its context is not valid (no SDK registered). */
export function traceparentOf(context: SpanContext): string | undefined {
  if (!isSpanContextValid(context)) return undefined
  const flags = (context.traceFlags & 0xff).toString(16).padStart(2, '0')
  return `00-${context.traceId}-${context.spanId}-${flags}`
}

/**
 * The link to the span a `traceparent` names; undefined when it is not one (it may come from the store, so
 * nothing else that is stored there can turn into a link).
 */
export function linkTo(traceparent: string): Link | undefined {
  const match = TRACEPARENT.exec(traceparent)
  if (match === null) return undefined
  const [, traceId, spanId, flags] = match as unknown as [string, string, string, string]
  const context: SpanContext = {
    traceId,
    spanId,
    traceFlags: Number.parseInt(flags, 16) & TraceFlags.SAMPLED,
    isRemote: true,
  }
  return isSpanContextValid(context) ? { context } : undefined
}
