/** Test helpers: a fake Kubernetes API server and a fake NATS agent. */
export { startFakeAgent, type FakeAgent, type FakeAgentReply } from './testing/fake-agent';
export { startFakeKubernetesApi, type FakeApiRequest, type FakeDeployment, type FakeKubernetesApi } from './testing/fake-kubernetes-api';
