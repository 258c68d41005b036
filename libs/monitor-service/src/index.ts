export { monitorService } from './monitor-service';
export { monitorConfigShape } from './monitor-config';
export { MonitorRuntime, groupByTime, type MonitorRuntimeOptions } from './monitor-runtime';
export { IncidentGate, DEFAULT_INCIDENT_GATE, type IncidentGateOptions, type GateDecision } from './incident-gate';
export { DetectorStateStore, MONITOR_STATE_BUCKET } from './state-store';
export { incidentSignature, metricZScores, type MetricZ } from './incident-signature';
