/** Query-protocol member checks: AWS's ValidationError wording, several failures reported together. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ParamReader, Rules } from '../../src/http/iam/params.js';
import { IamError } from '../../src/auth/iam-errors.js';

function failure(f: (p: ParamReader) => void, params: Record<string, string>): string {
  const p = new ParamReader(new Map(Object.entries(params)));
  try {
    f(p);
    p.done();
  } catch (e) {
    assert.ok(e instanceof IamError);
    return `${e.code} ${e.status} ${e.message}`;
  }
  return 'ok';
}

describe('ParamReader', () => {
  it('reports every failed constraint in one ValidationError', () => {
    const read = (p: ParamReader): void => {
      p.str('RoleName', { ...Rules.roleName, required: true });
      p.str('PolicyName', { ...Rules.policyName, required: true });
      p.int('MaxSessionDuration', { min: 3600, max: 43200 });
    };
    assert.equal(failure(read, { RoleName: 'ok', PolicyName: 'ok' }), 'ok');
    assert.equal(
      failure(read, { RoleName: 'a/b', MaxSessionDuration: '60' }),
      "ValidationError 400 3 validation errors detected: Value 'a/b' at 'roleName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+; " +
        "Value null at 'policyName' failed to satisfy constraint: Member must not be null; " +
        "Value '60' at 'maxSessionDuration' failed to satisfy constraint: Member must have value greater than or equal to 3600",
    );
  });

  it('reads lists, tags and pages', () => {
    const p = new ParamReader(new Map(Object.entries({ 'ActionNames.member.1': 's3:GetObject', 'ActionNames.member.2': 's3:PutObject', 'Tags.member.1.Key': 'team', 'Tags.member.1.Value': 'blue', MaxItems: '5' })));
    assert.deepEqual(p.list('ActionNames'), ['s3:GetObject', 's3:PutObject']);
    assert.equal(p.list('ResourceArns'), undefined);
    assert.deepEqual(p.tags(), [{ Key: 'team', Value: 'blue' }]);
    assert.deepEqual(p.page(), { marker: undefined, maxItems: 5 });
    p.done();
    assert.equal(
      failure((r) => r.tags(), { 'Tags.member.1.Key': 'a', 'Tags.member.1.Value': '1', 'Tags.member.2.Key': 'A', 'Tags.member.2.Value': '2' }),
      'InvalidInput 400 Duplicate tag keys found. Please note that Tag keys are case insensitive.',
    );
    assert.equal(failure((r) => r.page(), { MaxItems: '0' }), "ValidationError 400 1 validation error detected: Value '0' at 'maxItems' failed to satisfy constraint: Member must have value greater than or equal to 1");
  });
});
