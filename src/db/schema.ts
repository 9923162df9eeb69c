/**
 * The control-plane schema as Kysely sees it: one interface per table. Column types are the
 * portable subset both engines return unchanged through their drivers: TEXT and 32-bit INTEGER
 * (PostgreSQL's int8 comes back as a string from `pg`, so nothing here needs 64 bits). Times are
 * ISO-8601 text with milliseconds ('2024-05-01T12:00:00.000Z'): sortable as text, readable in
 * both engines, and what the IAM wire format wants anyway. JSON documents are TEXT.
 */

export interface AccountsTable {
  id: string;
  name: string;
  created_at: string;
}

export interface IamUsersTable {
  /** AIDA… */
  user_id: string;
  account_id: string;
  name: string;
  /** lower(name): IAM names are unique per account regardless of case. */
  name_key: string;
  path: string;
  created_at: string;
  /** JSON [{Key, Value}] in the order given. */
  tags: string;
}

export interface IamAccessKeysTable {
  access_key_id: string;
  account_id: string;
  user_id: string;
  /** Needed to verify SigV4 signatures; never logged, never returned after CreateAccessKey. */
  secret: string;
  status: string;
  created_at: string;
}

export interface IamRolesTable {
  /** AROA… */
  role_id: string;
  account_id: string;
  name: string;
  name_key: string;
  path: string;
  description: string | null;
  max_session_duration: number;
  /** The trust (assume-role) policy exactly as submitted. */
  trust_policy: string;
  created_at: string;
  tags: string;
}

export interface IamPoliciesTable {
  /** ANPA… */
  policy_id: string;
  account_id: string;
  name: string;
  name_key: string;
  path: string;
  arn: string;
  description: string | null;
  default_version: string;
  /** The number the next CreatePolicyVersion gets (v1, v2 … are never reused). */
  next_version: number;
  created_at: string;
  updated_at: string;
  tags: string;
}

export interface IamPolicyVersionsTable {
  policy_id: string;
  version_id: string;
  document: string;
  created_at: string;
}

/** Inline policies of users and roles. */
export interface IamInlinePoliciesTable {
  owner_kind: string;
  owner_id: string;
  name: string;
  document: string;
}

/** Managed policies attached to users and roles. */
export interface IamAttachmentsTable {
  owner_kind: string;
  owner_id: string;
  policy_id: string;
  attached_at: string;
}

export interface StsSessionsTable {
  /** ASIA… */
  access_key_id: string;
  account_id: string;
  secret: string;
  /** SHA-256 (hex) of the session token: the token itself is only ever shown to the caller. */
  token_hash: string;
  role_id: string;
  role_arn: string;
  session_name: string;
  source_identity: string | null;
  /** JSON {key: value}: the role's tags overlaid with the session tags. */
  tags: string;
  caller_arn: string;
  created_at: string;
  expires_at: string;
}

export interface ControlSchema {
  accounts: AccountsTable;
  iam_users: IamUsersTable;
  iam_access_keys: IamAccessKeysTable;
  iam_roles: IamRolesTable;
  iam_policies: IamPoliciesTable;
  iam_policy_versions: IamPolicyVersionsTable;
  iam_inline_policies: IamInlinePoliciesTable;
  iam_attachments: IamAttachmentsTable;
  sts_sessions: StsSessionsTable;
}
