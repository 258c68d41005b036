export { DemoSimulator, describeDemoEvent, DEMO_ACTIONS, DEFAULT_DEMO_COMPONENTS, faultFits, type DemoComponent, type DemoEvent, type DemoOptions } from './demo-simulator';
export { AgentServer, type AgentRequest, type AgentReply, type ActionHandler } from './agent-server';
export { FAULT_KINDS, FIXES, applyFault, type FaultKind, type MetricValues } from './faults';
export { healthyValues, KIND_METRICS, rng, gaussian } from './component-model';
export { DRIFT_KINDS, applyDrift, driftNoiseScale, parseDrift, type DemoDrift, type DriftKind } from './drift';
