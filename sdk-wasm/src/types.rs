//! TypeScript declarations of the JSON shapes that cross the boundary as text (STYLE.md 7):
//! configs, contexts, evaluation details, events, stats, decisions. The JS package's own
//! `.d.ts` files build on these names.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &'static str = r#"
/** A JSON value. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** An evaluation context: `targetingKey` is the default unit of randomisation. */
export interface EvaluationContext { targetingKey?: string; [attribute: string]: JsonValue | undefined }

/** A flagd flag definition with Tandem's extensions (experiments, holdouts, `$policy`). */
export interface FlagDefinition {
  state: "ENABLED" | "DISABLED";
  variants: { [name: string]: JsonValue };
  defaultVariant?: string | null;
  targeting?: JsonValue;
  metadata?: { [key: string]: string | number | boolean };
}

/** A Tandem config: a superset of flagd's flag-definition file. */
export interface TandemConfig {
  $schema?: string;
  revision?: string;
  metadata?: { [key: string]: string | number | boolean };
  flags: { [key: string]: FlagDefinition };
  $evaluators?: { [name: string]: JsonValue };
  experiments?: { [key: string]: JsonValue };
  holdouts?: { [key: string]: JsonValue };
  policies?: { [id: string]: JsonValue };
}

/** Why a value was served (the core's `Reason`, stable codes 1-6). */
export type Reason = "STATIC" | "DEFAULT" | "TARGETING_MATCH" | "SPLIT" | "DISABLED" | "ERROR";

/** What failed (the core's `ErrorCode`, stable codes 1-7). */
export type ErrorCode = "PROVIDER_NOT_READY" | "FLAG_NOT_FOUND" | "PARSE_ERROR" | "TYPE_MISMATCH"
  | "TARGETING_KEY_MISSING" | "INVALID_CONTEXT" | "GENERAL";

/** What kind of error a failing call threw (the core's `ErrorKind`, stable codes 1-6). */
export type ErrorKind = "INVALID_JSON" | "INVALID_CONFIG" | "LIMIT_EXCEEDED" | "INVALID_CONTEXT"
  | "NOT_READY" | "INVALID_ARGUMENT";

/** A policy decision: what an off-policy estimator needs. */
export interface Decision {
  policyId: string; version: string; digest: string; decisionKey: string; unit: string;
  draw: number; action: string; actionIndex: number; value: JsonValue; propensity: number;
  probabilities: number[]; scores: number[]; optimalityGap: number;
}

/** The experiment that assigned the unit (or skipped it for want of a unit). */
export interface ExperimentDetails { key: string; layer?: string; holdout?: string; skipped?: ErrorCode }

/** One evaluation's result, as the CLI prints it. */
export interface EvaluationDetails<T = JsonValue> {
  key: string; value: T; variant?: string; reason: Reason; errorCode?: ErrorCode;
  errorMessage?: string; flagMetadata?: { [key: string]: JsonValue };
  experiment?: ExperimentDetails; decision?: Decision;
}

/** An event drained from the queue (DESIGN §6). */
export type TandemEvent =
  | { type: "exposure"; flag: string; variant?: string; experiment: string; layer?: string;
      holdout?: string; unit: string; reason: Reason; errorCode?: ErrorCode; revision?: string;
      timestamp: number }
  | { type: "decision"; flag: string; variant: string; experiment?: string; layer?: string;
      holdout?: string; unit: string; policyUnit?: string; reason: Reason; revision?: string;
      policy: string; digest: string; action: string; propensity: number;
      probabilities: number[]; optimalityGap: number; decisionKey: string;
      context?: { [path: string]: JsonValue }; contextOmitted?: boolean; timestamp: number }
  | { type: "track"; name: string; unit: string; value?: number;
      properties?: { [key: string]: JsonValue }; timestamp: number };

/** Counters about the client's bounded state. */
export interface Stats { queued: number; dropped: number; deduplicated: number; decisions: number; stickyAssignments: number }
"#;
