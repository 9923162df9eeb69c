/**
 * checkSessionToken: what the server runs after SigV4 verification, for S3 (the IAM/STS front maps
 * the same failures to InvalidClientTokenId / ExpiredToken).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkSessionToken, rootPrincipal, sha256Hex, type KeyEntry } from '../../src/auth/credentials.js';
import { S3Error } from '../../src/errors.js';

const NOW = Date.UTC(2024, 4, 1, 12, 0, 0);
const TOKEN = 'c2Vzc2lvbi10b2tlbg==';

const longTerm: KeyEntry = { secretAccessKey: 's', principal: rootPrincipal('000000000000', 'AKIAEXAMPLE000000000') };
const session: KeyEntry = {
  secretAccessKey: 's',
  principal: { ...rootPrincipal('000000000000', 'ASIAEXAMPLE000000000'), kind: 'assumed-role' },
  session: { tokenSha256: sha256Hex(TOKEN), expiresAt: NOW + 1000 },
};

function code(f: () => void): string | undefined {
  try {
    f();
    return undefined;
  } catch (e) {
    assert.ok(e instanceof S3Error);
    return `${e.code} ${e.status}`;
  }
}

describe('checkSessionToken', () => {
  it('accepts long-term keys without a token and sessions with theirs until they expire', () => {
    assert.equal(code(() => checkSessionToken(longTerm, undefined, NOW)), undefined);
    assert.equal(code(() => checkSessionToken(session, TOKEN, NOW)), undefined);
    assert.equal(code(() => checkSessionToken(session, TOKEN, NOW + 999)), undefined);
  });
  it('refuses as S3 does', () => {
    assert.equal(code(() => checkSessionToken(session, undefined, NOW)), 'InvalidAccessKeyId 403');
    assert.equal(code(() => checkSessionToken(session, '', NOW)), 'InvalidAccessKeyId 403');
    assert.equal(code(() => checkSessionToken(session, TOKEN + 'x', NOW)), 'InvalidToken 400');
    assert.equal(code(() => checkSessionToken(longTerm, TOKEN, NOW)), 'InvalidToken 400');
    assert.equal(code(() => checkSessionToken(session, TOKEN, NOW + 1000)), 'ExpiredToken 400');
    // A wrong token is InvalidToken even once the session has expired.
    assert.equal(code(() => checkSessionToken(session, 'other', NOW + 5000)), 'InvalidToken 400');
  });
});
