/**
 * The other two ways to name a job's objects: an S3 Inventory manifest (manifest.json + gzipped
 * CSV data files), and the manifest generator with its filters — whose written manifest is
 * itself a valid inventory manifest for a second job.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { gzipSync, gunzipSync } from 'node:zlib';
import { CreateBucketCommand, GetObjectCommand, GetObjectTaggingCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { JobDefinition } from '../../src/jobs/model.js';
import { createRole, getText, putObject, startJobsServer, submitJob, waitForStatus, type JobsServer } from './jobs-fixtures.js';

let srv: JobsServer;
let roleArn: string;

before(async () => {
  srv = await startJobsServer();
  for (const b of ['src', 'inv', 'gen']) await srv.s3.send(new CreateBucketCommand({ Bucket: b }));
  await srv.s3.send(new PutObjectCommand({ Bucket: 'src', Key: 'logs/a.log', Body: 'x'.repeat(100) }));
  await srv.s3.send(new PutObjectCommand({ Bucket: 'src', Key: 'logs/b.log', Body: 'x'.repeat(5) }));
  await srv.s3.send(new PutObjectCommand({ Bucket: 'src', Key: 'logs/c.txt', Body: 'x'.repeat(100) }));
  await srv.s3.send(new PutObjectCommand({ Bucket: 'src', Key: 'logs/d e.log', Body: 'x'.repeat(100), StorageClass: 'STANDARD_IA' }));
  await srv.s3.send(new PutObjectCommand({ Bucket: 'src', Key: 'img/f.log', Body: 'x'.repeat(100) }));
  roleArn = await createRole(srv.iam, 'batch-gen', ['s3:*']);
});

after(async () => {
  await srv.stop();
});

async function tagOf(key: string): Promise<string | undefined> {
  const r = await srv.s3.send(new GetObjectTaggingCommand({ Bucket: 'src', Key: key }));
  return r.TagSet?.find((t) => t.Key === 'job')?.Value;
}

function tagJob(value: string, source: Pick<JobDefinition, 'manifest' | 'manifestGenerator'>): JobDefinition {
  return { operation: { kind: 'S3PutObjectTagging', tagSet: [['job', value]] }, ...source, report: { enabled: false }, roleArn, confirmationRequired: false };
}

describe('inventory manifests', () => {
  it('reads manifest.json and its gzipped, quoted CSV data files', async () => {
    const data = gzipSync('"src","logs/a.log","","true"\n"src","logs/d+e.log","","true"\n');
    await srv.s3.send(new PutObjectCommand({ Bucket: 'inv', Key: 'data/1.csv.gz', Body: data }));
    const manifest = JSON.stringify({
      sourceBucket: 'src', destinationBucket: 'arn:aws:s3:::inv', version: '2016-11-30', creationTimestamp: '1714557600000', fileFormat: 'CSV',
      fileSchema: 'Bucket, Key, Size, IsLatest', files: [{ key: 'data/1.csv.gz', size: data.length, MD5checksum: createHash('md5').update(data).digest('hex') }],
    });
    const etag = await putObject(srv.s3, 'inv', 'manifest.json', manifest);
    const id = await submitJob(srv.app, tagJob('inventory', { manifest: { spec: { format: 'S3InventoryReport_CSV_20161130' }, location: { objectArn: 'arn:aws:s3:::inv/manifest.json', bucket: 'inv', key: 'manifest.json', etag } } }));
    const job = await waitForStatus(srv.app, id, ['Complete', 'Failed']);
    assert.equal(job.status, 'Complete', JSON.stringify(job.failureReasons));
    assert.deepEqual([job.progress.totalNumberOfTasks, job.progress.numberOfTasksSucceeded], [2, 2]);
    assert.equal(await tagOf('logs/a.log'), 'inventory');
    assert.equal(await tagOf('logs/d e.log'), 'inventory');
  });

  it('refuses ORC inventories: "Unsupported inventory file format"', async () => {
    const etag = await putObject(srv.s3, 'inv', 'orc.json', JSON.stringify({ sourceBucket: 'src', destinationBucket: 'arn:aws:s3:::inv', fileFormat: 'ORC', fileSchema: 'Bucket, Key', files: [] }));
    const id = await submitJob(srv.app, tagJob('orc', { manifest: { spec: { format: 'S3InventoryReport_CSV_20161130' }, location: { objectArn: 'arn:aws:s3:::inv/orc.json', bucket: 'inv', key: 'orc.json', etag } } }));
    const job = await waitForStatus(srv.app, id, ['Failed']);
    assert.deepEqual(job.failureReasons, [{ failureCode: 'UnsupportedInventoryFormat', failureReason: 'Unsupported inventory file format: ORC; S3 Batch Operations reads CSV inventories only.' }]);
  });
});

describe('manifest generator', () => {
  it('applies its filters, writes the generated manifest and describes it; the manifest is reusable', async () => {
    const id = await submitJob(srv.app, tagJob('generated', {
      manifestGenerator: {
        kind: 'S3JobManifestGenerator', sourceBucketArn: 'arn:aws:s3:::src', sourceBucket: 'src', enableManifestOutput: true,
        manifestOutputLocation: { bucketArn: 'arn:aws:s3:::gen', bucket: 'gen', manifestPrefix: 'generated', manifestFormat: 'S3InventoryReport_CSV_20211130' },
        filter: { keyNameConstraint: { matchAnyPrefix: ['logs/'], matchAnySuffix: ['.log'] }, objectSizeGreaterThanBytes: 10, matchAnyStorageClass: ['STANDARD', 'STANDARD_IA'] },
      },
    }));
    const job = await waitForStatus(srv.app, id, ['Complete', 'Failed']);
    assert.equal(job.status, 'Complete', JSON.stringify(job.failureReasons));
    assert.deepEqual([job.progress.totalNumberOfTasks, job.progress.numberOfTasksSucceeded], [2, 2]);
    assert.equal(await tagOf('logs/a.log'), 'generated');
    assert.equal(await tagOf('logs/d e.log'), 'generated');
    assert.notEqual(await tagOf('logs/b.log'), 'generated'); // too small
    assert.notEqual(await tagOf('logs/c.txt'), 'generated'); // wrong suffix
    assert.notEqual(await tagOf('img/f.log'), 'generated'); // wrong prefix

    const d = job.generatedManifestDescriptor!;
    assert.equal(d.format, 'S3InventoryReport_CSV_20211130');
    assert.equal(d.location.key, `generated/job-${id}/manifest.json`);
    const manifest = JSON.parse(await getText(srv.s3, 'gen', d.location.key)) as { fileSchema: string; files: { key: string; MD5checksum: string }[]; sourceBucket: string };
    assert.equal(manifest.sourceBucket, 'src');
    assert.equal(manifest.fileSchema, 'Bucket, Key');
    const data = await srv.s3.send(new GetObjectCommand({ Bucket: 'gen', Key: manifest.files[0]!.key }));
    const gz = Buffer.from(await data.Body!.transformToByteArray());
    assert.equal(createHash('md5').update(gz).digest('hex'), manifest.files[0]!.MD5checksum);
    assert.equal(gunzipSync(gz).toString(), '"src","logs/a.log"\n"src","logs/d%20e.log"\n');

    // The generated manifest drives a second job as an inventory manifest.
    const again = await submitJob(srv.app, tagJob('reused', { manifest: { spec: { format: 'S3InventoryReport_CSV_20161130' }, location: { objectArn: d.location.objectArn, bucket: 'gen', key: d.location.key, etag: d.location.etag } } }));
    const j2 = await waitForStatus(srv.app, again, ['Complete', 'Failed']);
    assert.equal(j2.status, 'Complete', JSON.stringify(j2.failureReasons));
    assert.equal(await tagOf('logs/d e.log'), 'reused');
  });

  it('without manifest output the job still runs the matching objects', async () => {
    const id = await submitJob(srv.app, tagJob('kept', {
      manifestGenerator: { kind: 'S3JobManifestGenerator', sourceBucketArn: 'arn:aws:s3:::src', sourceBucket: 'src', enableManifestOutput: false, filter: { keyNameConstraint: { matchAnySubstring: ['f.'] } } },
    }));
    const job = await waitForStatus(srv.app, id, ['Complete', 'Failed']);
    assert.equal(job.status, 'Complete', JSON.stringify(job.failureReasons));
    assert.equal(job.progress.totalNumberOfTasks, 1);
    assert.equal(await tagOf('img/f.log'), 'kept');
    assert.equal(job.generatedManifestDescriptor, undefined);
  });

  it('no match fails the job: "Manifest generation found no keys matching the filter criteria"', async () => {
    const id = await submitJob(srv.app, tagJob('none', {
      manifestGenerator: { kind: 'S3JobManifestGenerator', sourceBucketArn: 'arn:aws:s3:::src', sourceBucket: 'src', enableManifestOutput: false, filter: { createdBefore: Date.parse('2001-01-01T00:00:00Z') } },
    }));
    const job = await waitForStatus(srv.app, id, ['Failed']);
    assert.deepEqual(job.failureReasons, [{ failureCode: 'ManifestGenerationFailed', failureReason: 'Manifest generation found no keys matching the filter criteria' }]);
  });
});
