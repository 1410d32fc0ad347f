import {extname} from 'node:path'
import {UsageError} from '../errors.js'
import {renderJUnit} from './render-junit.js'
import {renderMarkdown} from './render-markdown.js'
import {renderText} from './render-text.js'
import type {Report} from './schema.js'

import type {Format} from './formats.js'

export {FORMATS, type Format} from './formats.js'

const BY_EXTENSION: Record<string, Format> = {
  '.md': 'markdown',
  '.markdown': 'markdown',
  '.json': 'json',
  '.xml': 'junit',
  '.txt': 'text',
}

/** The format a file name implies (report.md, junit.xml, report.json), for --output without --format. */
export function formatFromPath(path: string): Format | undefined {
  return BY_EXTENSION[extname(path).toLowerCase()]
}

/** --format wins; otherwise the --output file's extension; otherwise text. A contradiction is a usage error. */
export function chooseFormat(format: Format | undefined, output: string | undefined): Format {
  if (format) return format
  if (!output || output === '-') return 'text'
  const implied = formatFromPath(output)
  if (!implied)
    throw new UsageError(
      `doctor cannot tell which format to write to "${output}" from its extension. Add --format text|json|markdown|junit, or name the file .txt, .json, .md or .xml.`,
    )
  return implied
}

/**
 * The format to write, refused when it contradicts --json: both would want standard output.
 * An explicit --format other than json is fine when it goes to a file.
 */
export function chooseOutputFormat(format: Format | undefined, output: string | undefined, json: boolean): Format {
  const chosen = chooseFormat(format, output)
  if (json && format && chosen !== 'json' && (output === undefined || output === '-')) {
    throw new UsageError(
      `--json and --format ${chosen} both ask for standard output. Drop one, or send the ${chosen} output to a file with --output FILE.`,
    )
  }
  return chosen
}

/** Colour and width for standard output: colour only on a terminal without NO_COLOR. */
export function terminal(): Required<RenderOptions> {
  return {color: Boolean(process.stdout.isTTY) && !process.env.NO_COLOR, width: process.stdout.columns || 100}
}

export interface RenderOptions {
  color?: boolean
  width?: number
}

export function renderReport(report: Report, format: Format, options: RenderOptions = {}): string {
  switch (format) {
    case 'json':
      return `${JSON.stringify(report, null, 2)}\n`
    case 'markdown':
      return renderMarkdown(report)
    case 'junit':
      return renderJUnit(report)
    default:
      return renderText(report, {color: options.color ?? false, width: options.width ?? 100})
  }
}
