/**
 * The control-plane database port: IAM now, jobs, events and queues later. One schema
 * (`schema.ts`), numbered migrations (`migrations.ts`), and one small interface that each engine's
 * adapter implements — SQLite (`sqlite.ts`, the default: `<dataDir>/control.db`) today,
 * PostgreSQL for scale-out later. Callers write Kysely queries against `db`; where engines differ
 * they ask a capability flag, never which engine it is.
 *
 * Semantics every adapter guarantees:
 * - `transaction(fn)` runs fn atomically; fn's queries must go through the handle it receives.
 *   A failing fn rolls everything back.
 * - Unique-key violations are recognisable with `isUniqueViolation` (the backstop for races
 *   between a "does it exist?" read and the insert).
 * - Times are ISO-8601 text, JSON is text, integers fit in 32 bits (see schema.ts).
 */
import type { Kysely } from 'kysely';
import type { ControlSchema } from './schema.js';

export type ControlQuery = Kysely<ControlSchema>;

export interface ControlDbCapabilities {
  /** INSERT/UPDATE … RETURNING (SQLite ≥ 3.35 and PostgreSQL both have it). */
  readonly returning: boolean;
  /** SELECT … FOR UPDATE SKIP LOCKED (PostgreSQL; SQLite has one writer and needs none). */
  readonly skipLocked: boolean;
  /** Whether schema changes take part in transactions. */
  readonly transactionalDdl: boolean;
  /** Whether several processes may share this database (PostgreSQL) or only this one (SQLite). */
  readonly multiProcess: boolean;
}

export interface ControlDb {
  readonly db: ControlQuery;
  readonly capabilities: ControlDbCapabilities;
  /** For logs only ('sqlite:/data/control.db'); never branch on it. */
  readonly description: string;
  transaction<T>(fn: (tx: ControlQuery) => Promise<T>): Promise<T>;
  isUniqueViolation(e: unknown): boolean;
  close(): Promise<void>;
}

/** ISO-8601 with milliseconds, the one time format of the schema. */
export function toDbTime(ms: number): string {
  return new Date(ms).toISOString();
}

export function fromDbTime(s: string): number {
  return Date.parse(s);
}
