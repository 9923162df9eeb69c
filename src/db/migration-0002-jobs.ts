/**
 * Migration 0002: batch jobs (src/jobs/store-sql.ts). Portable types only: text, integer, and
 * bigint for counters and byte offsets (a job may have billions of tasks; a manifest may be
 * larger than 2 GiB — PostgreSQL's int8 comes back as a string, which the adapter converts).
 * Times are ISO-8601 text, as in 0001. State is O(jobs + segments + checkpoints), never O(tasks).
 */
import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

export const jobsMigration: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('jobs')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('client_request_token', 'text', (c) => c.notNull())
      .addColumn('request_hash', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('priority', 'bigint', (c) => c.notNull())
      .addColumn('definition', 'text', (c) => c.notNull())
      .addColumn('total_tasks', 'bigint', (c) => c.notNull())
      .addColumn('succeeded', 'bigint', (c) => c.notNull())
      .addColumn('failed', 'bigint', (c) => c.notNull())
      .addColumn('active_ms', 'bigint', (c) => c.notNull())
      .addColumn('active_since', 'text')
      .addColumn('failure_reasons', 'text', (c) => c.notNull())
      .addColumn('status_update_reason', 'text')
      .addColumn('suspended_cause', 'text')
      .addColumn('suspended_date', 'text')
      .addColumn('creation_time', 'text', (c) => c.notNull())
      .addColumn('termination_date', 'text')
      .addColumn('generated_manifest', 'text')
      .addColumn('tags', 'text', (c) => c.notNull())
      .addColumn('version', 'integer', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addColumn('lease_owner', 'text')
      .addColumn('lease_fence', 'integer', (c) => c.notNull())
      .addColumn('lease_expires_at', 'text')
      .addUniqueConstraint('jobs_token', ['account_id', 'client_request_token'])
      .execute();
    await db.schema.createIndex('jobs_account_created').on('jobs').columns(['account_id', 'creation_time', 'id']).execute();
    await db.schema.createIndex('jobs_status_priority').on('jobs').columns(['status', 'priority']).execute();

    await db.schema
      .createTable('job_segments')
      .addColumn('job_id', 'text', (c) => c.notNull())
      .addColumn('idx', 'integer', (c) => c.notNull())
      .addColumn('start_byte', 'bigint', (c) => c.notNull())
      .addColumn('end_byte', 'bigint', (c) => c.notNull())
      .addColumn('first_line', 'bigint', (c) => c.notNull())
      .addColumn('line_count', 'bigint', (c) => c.notNull())
      .addColumn('source', 'text')
      .addColumn('done', 'integer', (c) => c.notNull())
      .addColumn('lines_done', 'bigint', (c) => c.notNull())
      .addColumn('succeeded', 'bigint', (c) => c.notNull())
      .addColumn('failed', 'bigint', (c) => c.notNull())
      .addColumn('resume_at', 'bigint')
      .addColumn('attempts', 'integer', (c) => c.notNull())
      .addColumn('fence', 'integer', (c) => c.notNull())
      .addColumn('lease_owner', 'text')
      .addColumn('lease_expires_at', 'text')
      .addPrimaryKeyConstraint('job_segments_pk', ['job_id', 'idx'])
      .execute();
    await db.schema.createIndex('job_segments_lease').on('job_segments').columns(['lease_expires_at']).execute();

    await db.schema
      .createTable('job_results')
      .addColumn('job_id', 'text', (c) => c.notNull())
      .addColumn('segment_idx', 'integer', (c) => c.notNull())
      .addColumn('lines_done', 'bigint', (c) => c.notNull())
      .addColumn('results', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('job_results_pk', ['job_id', 'segment_idx', 'lines_done'])
      .execute();

    await db.schema
      .createTable('job_events')
      .addColumn('seq', 'bigint', (c) => c.primaryKey())
      .addColumn('event_id', 'text', (c) => c.notNull())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('job_id', 'text', (c) => c.notNull())
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('time', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('failure_codes', 'text', (c) => c.notNull())
      .addColumn('status_change_reason', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('job_events_job').on('job_events').columns(['job_id']).execute();
  },
};
