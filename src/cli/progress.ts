import type {Check} from '../engine/check.js'
import type {CheckResult} from '../engine/runner.js'
import type {Progress} from '../app/session.js'

/** Progress on stderr: a live line on a TTY, plain lines otherwise, nothing under --json. */
export function makeProgress(mode: {json: boolean; stream?: NodeJS.WriteStream}): Progress | undefined {
  if (mode.json) return undefined
  const stream = mode.stream ?? process.stderr
  if (stream.isTTY && !process.env.CI) return new LiveLine(stream)
  return {
    start: () => {},
    result: (r, done, total) => {
      if (r.status !== 'skip') stream.write(`[${done}/${total}] ${r.id}: ${r.status}\n`)
    },
    end: () => {},
  }
}

class LiveLine implements Progress {
  private readonly running = new Set<string>()
  private done = 0
  private total = 0
  constructor(private readonly stream: NodeJS.WriteStream) {}
  start(check: Check): void {
    this.running.add(check.meta.id)
    this.draw()
  }
  result(r: CheckResult, done: number, total: number): void {
    this.running.delete(r.id)
    this.done = done
    this.total = total
    this.draw()
  }
  end(): void {
    this.stream.write('\r\x1b[K')
  }
  private draw(): void {
    const names = [...this.running].join(', ')
    const line = `doctor: ${this.done}/${this.total || '?'} done${names ? ` · running ${names}` : ''}`
    this.stream.write(`\r\x1b[K${line.slice(0, (this.stream.columns || 80) - 1)}`)
  }
}
