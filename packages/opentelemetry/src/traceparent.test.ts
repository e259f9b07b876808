import { INVALID_SPAN_CONTEXT, TraceFlags } from '@opentelemetry/api'
import { expect, it } from 'vitest'
import { linkTo, traceparentOf } from './traceparent.ts'

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736'
const SPAN_ID = '00f067aa0ba902b7'

it('writes a span context as a traceparent and reads it back as a link', () => {
  const context = { traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: TraceFlags.SAMPLED }
  const traceparent = traceparentOf(context)
  expect(traceparent).toBe(`00-${TRACE_ID}-${SPAN_ID}-01`)
  expect(linkTo(traceparent as string)).toEqual({ context: { ...context, isRemote: true } })
  expect(traceparentOf({ ...context, traceFlags: TraceFlags.NONE })).toBe(`00-${TRACE_ID}-${SPAN_ID}-00`)
})

it('gives no traceparent for an invalid span context (no SDK registered)', () => {
  expect(traceparentOf(INVALID_SPAN_CONTEXT)).toBeUndefined()
})

it('makes no link of anything else the store may hold', () => {
  for (const value of [
    '',
    'not a traceparent',
    `01-${TRACE_ID}-${SPAN_ID}-01`,
    `00-${TRACE_ID.toUpperCase()}-${SPAN_ID}-01`,
    `00-${'0'.repeat(32)}-${SPAN_ID}-01`,
    `00-${TRACE_ID}-${'0'.repeat(16)}-01`,
    `00-${TRACE_ID}-${SPAN_ID}-01-extra`,
    ` 00-${TRACE_ID}-${SPAN_ID}-01`,
  ]) {
    expect(linkTo(value), value).toBeUndefined()
  }
})
