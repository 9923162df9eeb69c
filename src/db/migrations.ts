/**
 * Numbered migrations of the control-plane schema, applied in name order by Kysely's Migrator
 * from this in-code list (no migration files to ship or find at run time). Written with Kysely's
 * schema builder and only portable column types (text, integer), so the same list builds the
 * schema on SQLite and PostgreSQL. Never edit a released migration: add the next number.
 */
import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';
import { jobsMigration } from './migration-0002-jobs.js';

export const migrations: Readonly<Record<string, Migration>> = {
  '0001_iam': {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('accounts')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('iam_users')
        .addColumn('user_id', 'text', (c) => c.primaryKey())
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('name_key', 'text', (c) => c.notNull())
        .addColumn('path', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('tags', 'text', (c) => c.notNull())
        .addUniqueConstraint('iam_users_name', ['account_id', 'name_key'])
        .execute();

      await db.schema
        .createTable('iam_access_keys')
        .addColumn('access_key_id', 'text', (c) => c.primaryKey())
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('secret', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('iam_access_keys_user').on('iam_access_keys').columns(['user_id']).execute();

      await db.schema
        .createTable('iam_roles')
        .addColumn('role_id', 'text', (c) => c.primaryKey())
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('name_key', 'text', (c) => c.notNull())
        .addColumn('path', 'text', (c) => c.notNull())
        .addColumn('description', 'text')
        .addColumn('max_session_duration', 'integer', (c) => c.notNull())
        .addColumn('trust_policy', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('tags', 'text', (c) => c.notNull())
        .addUniqueConstraint('iam_roles_name', ['account_id', 'name_key'])
        .execute();

      await db.schema
        .createTable('iam_policies')
        .addColumn('policy_id', 'text', (c) => c.primaryKey())
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('name_key', 'text', (c) => c.notNull())
        .addColumn('path', 'text', (c) => c.notNull())
        .addColumn('arn', 'text', (c) => c.notNull().unique())
        .addColumn('description', 'text')
        .addColumn('default_version', 'text', (c) => c.notNull())
        .addColumn('next_version', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addColumn('tags', 'text', (c) => c.notNull())
        .addUniqueConstraint('iam_policies_name', ['account_id', 'name_key'])
        .execute();

      await db.schema
        .createTable('iam_policy_versions')
        .addColumn('policy_id', 'text', (c) => c.notNull())
        .addColumn('version_id', 'text', (c) => c.notNull())
        .addColumn('document', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('iam_policy_versions_pk', ['policy_id', 'version_id'])
        .execute();

      await db.schema
        .createTable('iam_inline_policies')
        .addColumn('owner_kind', 'text', (c) => c.notNull())
        .addColumn('owner_id', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('document', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('iam_inline_policies_pk', ['owner_kind', 'owner_id', 'name'])
        .execute();

      await db.schema
        .createTable('iam_attachments')
        .addColumn('owner_kind', 'text', (c) => c.notNull())
        .addColumn('owner_id', 'text', (c) => c.notNull())
        .addColumn('policy_id', 'text', (c) => c.notNull())
        .addColumn('attached_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('iam_attachments_pk', ['owner_kind', 'owner_id', 'policy_id'])
        .execute();
      await db.schema.createIndex('iam_attachments_policy').on('iam_attachments').columns(['policy_id']).execute();

      await db.schema
        .createTable('sts_sessions')
        .addColumn('access_key_id', 'text', (c) => c.primaryKey())
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('secret', 'text', (c) => c.notNull())
        .addColumn('token_hash', 'text', (c) => c.notNull())
        .addColumn('role_id', 'text', (c) => c.notNull())
        .addColumn('role_arn', 'text', (c) => c.notNull())
        .addColumn('session_name', 'text', (c) => c.notNull())
        .addColumn('source_identity', 'text')
        .addColumn('tags', 'text', (c) => c.notNull())
        .addColumn('caller_arn', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('sts_sessions_expiry').on('sts_sessions').columns(['expires_at']).execute();
    },
  },
  '0002_jobs': jobsMigration,
};
