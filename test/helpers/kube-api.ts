import {type FakeKube, type KubeState, startFakeKube} from '../../src/sandbox/kube-api.js'
import {makeCertificates} from './tls.js'

export type {FakeKube, KObj, KubeState} from '../../src/sandbox/kube-api.js'
export {deployment, kubeconfigYaml, pod, service} from '../../src/sandbox/kube-api.js'

let certs: ReturnType<typeof makeCertificates> | undefined

/** The stand-in Kubernetes API over HTTPS with a private CA, as the tests use it. */
export function startKubeApi(initial: Partial<KubeState> = {}): Promise<FakeKube> {
  certs ??= makeCertificates()
  return startFakeKube(initial, {key: certs.key, cert: certs.cert, caFile: certs.caFile})
}
