import type { BinaryReader, BinaryWriter } from '@bufbuild/protobuf/wire';
import { InvalidArgumentError, errorMessage } from '@x0/core';
import {
  ActionResult,
  Anomaly,
  Approval,
  ComponentHealth,
  DeadLetter,
  Diagnosis,
  InferenceReport,
  Label,
  ModelAlert,
  ModelEvent,
  Outcome,
  Plan,
  TrainingEvent,
} from './generated/x0/v1/events.pb';
import type { EventType } from './subjects';

/** What ts-proto generates for every message. */
export interface ProtoMessageFns<T> {
  encode(message: T, writer?: BinaryWriter): BinaryWriter;
  decode(input: BinaryReader | Uint8Array, length?: number): T;
  fromJSON(object: unknown): T;
  toJSON(message: T): unknown;
}

/** Binary protobuf codec for one message type; decode errors become InvalidArgumentError. */
export interface Codec<T> {
  /** Fully-qualified protobuf name, e.g. `x0.v1.Anomaly`. */
  readonly typeName: string;
  encode(message: T): Uint8Array;
  /** Throws InvalidArgumentError('payload', ...) when the bytes are not this message. */
  decode(bytes: Uint8Array): T;
  toJSON(message: T): unknown;
}

/** Wraps ts-proto's generated functions as a Codec. */
export function codecOf<T>(typeName: string, fns: ProtoMessageFns<T>): Codec<T> {
  return {
    typeName,
    encode: (message) => fns.encode(message).finish(),
    decode: (bytes) => {
      try {
        return fns.decode(bytes);
      } catch (err) {
        throw new InvalidArgumentError('payload', `is not a valid ${typeName} protobuf: ${errorMessage(err)}`, { cause: err });
      }
    },
    toJSON: (message) => fns.toJSON(message),
  };
}

/** Event payload type for each `x0.events.<type>.*` subject. */
export interface EventPayloads {
  anomaly: Anomaly;
  diagnosis: Diagnosis;
  plan: Plan;
  action: ActionResult;
  outcome: Outcome;
  approval: Approval;
  label: Label;
  training: TrainingEvent;
  model_alert: ModelAlert;
}

/** One codec per event type, keyed like the subjects. */
export const EVENT_CODECS: { [K in EventType]: Codec<EventPayloads[K]> } = {
  anomaly: codecOf('x0.v1.Anomaly', Anomaly),
  diagnosis: codecOf('x0.v1.Diagnosis', Diagnosis),
  plan: codecOf('x0.v1.Plan', Plan),
  action: codecOf('x0.v1.ActionResult', ActionResult),
  outcome: codecOf('x0.v1.Outcome', Outcome),
  approval: codecOf('x0.v1.Approval', Approval),
  label: codecOf('x0.v1.Label', Label),
  training: codecOf('x0.v1.TrainingEvent', TrainingEvent),
  model_alert: codecOf('x0.v1.ModelAlert', ModelAlert),
};

export const MODEL_EVENT_CODEC: Codec<ModelEvent> = codecOf('x0.v1.ModelEvent', ModelEvent);
export const DEAD_LETTER_CODEC: Codec<DeadLetter> = codecOf('x0.v1.DeadLetter', DeadLetter);
export const INFERENCE_REPORT_CODEC: Codec<InferenceReport> = codecOf('x0.v1.InferenceReport', InferenceReport);
export const COMPONENT_HEALTH_CODEC: Codec<ComponentHealth> = codecOf('x0.v1.ComponentHealth', ComponentHealth);
