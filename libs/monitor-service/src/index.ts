export { monitorService } from './monitor-service';
export { monitorConfigShape } from './monitor-config';
export { MonitorRuntime, groupByTime, type MonitorRuntimeOptions } from './monitor-runtime';
export { IncidentGate, DEFAULT_INCIDENT_GATE, type IncidentGateOptions, type GateDecision, type OpenIncident, type TrackedMetric } from './incident-gate';
export { IncidentStore, MONITOR_INCIDENTS_BUCKET, MONITOR_INCIDENT_TTL_MS, type IncidentRecord } from './incident-store';
export { DetectorStateStore, MONITOR_STATE_BUCKET } from './state-store';
export { incidentSignature, metricZScores, type MetricZ } from './incident-signature';
