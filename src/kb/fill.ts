import type {Step, StepObject, VerifyStep} from './schema.js'
import {stepObject} from './schema.js'

/**
 * Placeholders in knowledge-base text: `{{name}}`, or `{{name|words for the docs}}`. A check
 * that confirms a cause passes the values (`{kb: 'entry#cause', vars: {url: …}}`); the report
 * shows the cause's own text with them filled in, and the docs site shows the fallback words
 * (or `<name>` when there are none). The KB is the only place cause text is written.
 */
export type Vars = Readonly<Record<string, string | number | boolean>>

/** `{{name}}` or `{{name|fallback}}`; a name is an identifier, so Helm's `{{ .Values.x }}` is not one. */
export const PLACEHOLDER = /\{\{([a-zA-Z][a-zA-Z0-9]*)(?:\|([^{}]*))?\}\}/g

export interface Placeholder {
  name: string
  fallback?: string
}

export function placeholdersIn(text: string | undefined): Placeholder[] {
  if (!text || !text.includes('{{')) return []
  return [...text.matchAll(PLACEHOLDER)].map((m) => ({
    name: m[1]!,
    ...(m[2] !== undefined ? {fallback: m[2].trim()} : {}),
  }))
}

/** Fill a text: a value when the check gave one, else the fallback words, else `<name>`. */
export function fillText(text: string, vars: Vars = {}): string {
  if (!text.includes('{{')) return text
  return text.replace(PLACEHOLDER, (_m, name: string, fallback: string | undefined) => {
    const value = vars[name]
    if (value !== undefined && value !== '') return String(value)
    return fallback !== undefined ? fallback.trim() : `<${name}>`
  })
}

/** The text the docs show: every placeholder as its fallback words. */
export const docsText = (text: string): string => fillText(text, {})

/** A step filled in, as one line: "Build the UI bundle: `make ui`". */
export function stepLine(step: Step | VerifyStep, vars: Vars = {}): string {
  const s: StepObject = stepObject(step)
  const text = fillText(s.text, vars)
  const command = s.command ? ` \`${fillText(s.command, vars).replace(/\n/g, ' ')}\`` : ''
  const expect = s.expect ? ` — expect: ${fillText(s.expect, vars)}` : ''
  return `${text.replace(/[.:]$/, command ? ':' : '$&')}${command}${expect}`
}

/** The same step with placeholders as their docs words, kept as a step (for renderers of the KB). */
export function docsStep<T extends Step | VerifyStep>(step: T): T {
  if (typeof step === 'string') return docsText(step) as T
  const s = step as StepObject
  return {
    ...s,
    text: docsText(s.text),
    ...(s.command ? {command: docsText(s.command)} : {}),
    ...(s.expect ? {expect: docsText(s.expect)} : {}),
  } as T
}
