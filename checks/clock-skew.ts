import {defineCheck, skip} from '../src/engine/check.js'

export default defineCheck({
  meta: {
    id: 'clock-skew',
    title: 'Server clocks agree within tolerance',
    failureTitle: 'A server clock is off by more than the tolerance',
    area: 'platform',
    description: 'Estimates clock offsets of the app and the IdP from HTTP Date headers.',
    needs: [],
    kb: ['clock-skew'],
  },
  async run() {
    return skip('not implemented yet')
  },
})
