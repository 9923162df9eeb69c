/**
 * Job events on the wire (spec §8.3): the EventBridge event whose `detail` is the CloudTrail
 * service-event record AWS emits for JobCreated / JobStatusChanged. Webhooks and the live stream
 * (src/http/events.ts) send exactly this document. Every id is derived from the stored event, so a
 * re-delivery of the same event renders byte-for-byte the same body (receivers deduplicate on it).
 */
import type { JobEvent } from '../store.js';

export interface CloudTrailServiceEvent {
  readonly eventVersion: '1.05';
  readonly userIdentity: { readonly accountId: string; readonly invokedBy: 's3.amazonaws.com' };
  readonly eventTime: string;
  readonly eventSource: 's3.amazonaws.com';
  readonly eventName: JobEvent['type'];
  readonly awsRegion: string;
  readonly sourceIPAddress: 's3.amazonaws.com';
  readonly userAgent: 's3.amazonaws.com';
  readonly requestParameters: null;
  readonly responseElements: null;
  readonly eventID: string;
  readonly readOnly: false;
  readonly eventType: 'AwsServiceEvent';
  readonly recipientAccountId: string;
  readonly serviceEventDetails: {
    readonly jobId: string;
    readonly jobArn: string;
    readonly status: JobEvent['status'];
    readonly jobEventId: string;
    readonly failureCodes: readonly string[];
    readonly statusChangeReason: readonly string[];
  };
}

export interface EventBridgeJobEvent {
  readonly version: '0';
  readonly id: string;
  readonly 'detail-type': 'AWS Service Event via CloudTrail';
  readonly source: 'aws.s3';
  readonly account: string;
  readonly time: string;
  readonly region: string;
  readonly resources: readonly string[];
  readonly detail: CloudTrailServiceEvent;
}

/** A UUID-shaped id from the event's 32-hex jobEventId (stable across re-deliveries); `salt` tells the envelope's id from the record's. */
function uuidOf(hex: string, salt: string): string {
  const h = salt === '' ? hex : [...hex].map((c, i) => ((parseInt(c, 16) ^ parseInt(salt[i % salt.length]!, 16)) & 15).toString(16)).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** CloudTrail and EventBridge times have whole seconds: `2024-05-01T10:00:09Z`. */
function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function jobArnOf(region: string, accountId: string, jobId: string): string {
  return `arn:aws:s3:${region}:${accountId}:job/${jobId}`;
}

export function renderCloudTrailRecord(e: JobEvent, region: string): CloudTrailServiceEvent {
  return {
    eventVersion: '1.05',
    userIdentity: { accountId: e.accountId, invokedBy: 's3.amazonaws.com' },
    eventTime: isoSeconds(e.time),
    eventSource: 's3.amazonaws.com',
    eventName: e.type,
    awsRegion: region,
    sourceIPAddress: 's3.amazonaws.com',
    userAgent: 's3.amazonaws.com',
    requestParameters: null,
    responseElements: null,
    eventID: uuidOf(e.eventId, ''),
    readOnly: false,
    eventType: 'AwsServiceEvent',
    recipientAccountId: e.accountId,
    serviceEventDetails: {
      jobId: e.jobId,
      jobArn: jobArnOf(region, e.accountId, e.jobId),
      status: e.status,
      jobEventId: e.eventId,
      failureCodes: e.failureCodes,
      statusChangeReason: e.statusChangeReason,
    },
  };
}

export function renderJobEvent(e: JobEvent, region: string): EventBridgeJobEvent {
  return {
    version: '0',
    id: uuidOf(e.eventId, 'e5'),
    'detail-type': 'AWS Service Event via CloudTrail',
    source: 'aws.s3',
    account: e.accountId,
    time: isoSeconds(e.time),
    region,
    resources: [],
    detail: renderCloudTrailRecord(e, region),
  };
}
