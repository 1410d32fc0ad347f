import {defineCheck, skip} from '../src/engine/check.js'

export default defineCheck({
  meta: {
    id: 'readiness',
    title: 'Readiness endpoints report ready',
    failureTitle: 'A readiness endpoint reports a failure',
    area: 'platform',
    description: 'GETs each configured health/readiness URL and names the failing dependency.',
    needs: ['readiness.endpoints'],
    kb: ['service-not-ready'],
  },
  async run() {
    return skip('not implemented yet')
  },
})
