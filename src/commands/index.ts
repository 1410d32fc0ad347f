import All from './all.js'
import Analyze from './analyze.js'
import ConfigSchema from './config/schema.js'
import ConfigValidate from './config/validate.js'
import Demo from './demo.js'
import DocsBuild from './docs/build.js'
import Explain from './explain.js'
import Init from './init.js'
import List from './list.js'
import ReportCommand from './report.js'
import Run from './run.js'
import Verify from './verify.js'
import WebhookVerify from './webhook/verify.js'

/**
 * oclif's explicit command strategy: one import instead of a directory glob at every start,
 * which keeps `doctor list` and `--version` fast without a generated manifest in the tree.
 */
export const COMMANDS = {
  all: All,
  analyze: Analyze,
  'config:schema': ConfigSchema,
  'config:validate': ConfigValidate,
  demo: Demo,
  'docs:build': DocsBuild,
  explain: Explain,
  init: Init,
  list: List,
  report: ReportCommand,
  run: Run,
  verify: Verify,
  'webhook:verify': WebhookVerify,
}
