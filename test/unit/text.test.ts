import ansis from 'ansis'
import {describe, expect, it} from 'vitest'
import {shorten, wrap} from '../../src/util/text.js'

describe('wrap: by display width, not string length', () => {
  it('wraps words to the width with a hanging indent and a different first lead', () => {
    expect(wrap('one two three four five six', 14, '    ', 'Lead: ')).toEqual([
      'Lead: one two',
      '    three four',
      '    five six',
    ])
  })

  it('colour codes take no room', () => {
    const plain = wrap('alpha beta gamma delta epsilon', 16)
    const coloured = wrap(`${ansis.red('alpha')} beta ${ansis.bold('gamma')} delta epsilon`, 16)
    expect(coloured.map((l) => ansis.strip(l))).toEqual(plain)
  })

  it('wide characters take two columns', () => {
    const lines = wrap('漢字 漢字 漢字 漢字', 10)
    for (const line of lines) expect([...line].reduce((w, ch) => w + (ch === ' ' ? 1 : 2), 0)).toBeLessThanOrEqual(10)
    expect(lines.length).toBeGreaterThan(1)
  })

  it('keeps a long unbreakable word (a URL) whole, and separates paragraphs', () => {
    const url = 'https://example.com/a/very/long/path/that/does/not/fit'
    expect(wrap(`see ${url} now\n\nnext`, 20, '  ')).toEqual(['  see', `  ${url}`, '  now', '  next'])
  })

  it('a lead wider than the indent (a bold label) still fits the first line', () => {
    const lead = `  ${ansis.bold('Cause    ')}`
    const [first] = wrap('a b c d e f g h i j k l m n o p q r s t', 30, ' '.repeat(11), lead)
    expect(ansis.strip(first!).length).toBeLessThanOrEqual(30)
  })
})

describe('shorten', () => {
  it('cuts with an ellipsis only when needed', () => {
    expect(shorten('short', 10)).toBe('short')
    expect(shorten('a longer text', 8)).toBe('a longe…')
  })
})
