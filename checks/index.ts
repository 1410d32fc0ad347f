import type {Check} from '../src/engine/check.js'
import agentHeartbeat from './agent-heartbeat.js'
import apiToken from './api-token.js'
import auditLog from './audit-log.js'
import billingStatus from './billing-status.js'
import clockSkew from './clock-skew.js'
import entitlement from './entitlement.js'
import evidenceFreshness from './evidence-freshness.js'
import gitopsStatus from './gitops-status.js'
import kubernetesWorkload from './kubernetes-workload.js'
import loginRedirectLoop from './login-redirect-loop.js'
import oidcDiscovery from './oidc-discovery.js'
import oidcRedirectUri from './oidc-redirect-uri.js'
import pipelineMode from './pipeline-mode.js'
import portalSpa from './portal-spa.js'
import prometheusLabels from './prometheus-labels.js'
import readiness from './readiness.js'
import sessionCookie from './session-cookie.js'
import upstreamProxy from './upstream-proxy.js'
import viewportOverflow from './viewport-overflow.js'
import webhookSignature from './webhook-signature.js'

/**
 * The explicit registry, sorted by id (ESLint's lib/rules/index.js). A test keeps it in step
 * with the files in this folder. Check modules stay light at import time: anything heavy is
 * imported inside run(), so `doctor list` stays fast.
 */
export const checks: readonly Check[] = [
  agentHeartbeat,
  apiToken,
  auditLog,
  billingStatus,
  clockSkew,
  entitlement,
  evidenceFreshness,
  gitopsStatus,
  kubernetesWorkload,
  loginRedirectLoop,
  oidcDiscovery,
  oidcRedirectUri,
  pipelineMode,
  portalSpa,
  prometheusLabels,
  readiness,
  sessionCookie,
  upstreamProxy,
  viewportOverflow,
  webhookSignature,
]
