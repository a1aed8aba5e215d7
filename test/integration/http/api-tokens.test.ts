import { describe, expect, it } from '@jest/globals';
import { ApiTokens, ApiTokenSpecError, bearerToken, parseApiTokens, roleAllows } from '../../../src/service/http/api-tokens.js';

const T1 = 'a3f1c9e07d2b4e6f8a1c3e5f7b9d0a2c';
const T2 = 'b4e2d0f18e3c5f709b2d4f6a8c0e1b3d';
const T3 = 'c5f3e1a29f4d6a81ac3e5a7b9d1f2c4e';

describe('MM_API_TOKENS', () => {
  it('reads [<name>=]<token>:<role> entries; an unnamed token is <role>#<n>', () => {
    const tokens = ApiTokens.fromEnv({ MM_API_TOKENS: ` alice=${T1}:operator, ${T2}:viewer ,${T3}:viewer` });
    expect(tokens.identities()).toEqual([
      { name: 'alice', role: 'operator' },
      { name: 'viewer#1', role: 'viewer' },
      { name: 'viewer#2', role: 'viewer' },
    ]);
    expect(tokens.identify(T1)).toEqual({ name: 'alice', role: 'operator' });
    expect(tokens.identify(T3)).toEqual({ name: 'viewer#2', role: 'viewer' });
    expect(tokens.identify(`${T1}x`)).toBeNull();
    expect(tokens.identify(T1.slice(0, -1))).toBeNull();
    expect(tokens.identify('')).toBeNull();
  });

  it('a token may contain ":" (the role is after the last one) and "=" when it has a name', () => {
    const [colon] = parseApiTokens(`${T1}:x:admin`);
    expect(colon).toEqual({ token: `${T1}:x`, role: 'admin' });
    const [padded] = parseApiTokens(`ci=${T2}==:viewer`);
    expect(padded).toEqual({ name: 'ci', token: `${T2}==`, role: 'viewer' });
  });

  it('absent or empty gives no tokens', () => {
    expect(ApiTokens.fromEnv({}).size).toBe(0);
    expect(ApiTokens.fromEnv({ MM_API_TOKENS: '  ' }).size).toBe(0);
  });

  it.each([
    [`${T1}:root`, /entry 1: role "root" is not one of viewer, operator, admin/],
    [`${T1}`, /entry 1: expected \[<name>=\]<token>:<role>/],
    [`${T1}:viewer,short:admin`, /API token 2: token is 5 characters, at least 16 required/],
    [`${T1}:viewer,${T1}:admin`, /API token 2: the same token is listed twice/],
    [`a=${T1}:viewer,a=${T2}:admin`, /API token 2: name "a" is used twice/],
    [`bad name=${T1}:viewer`, /entry 1: name must match/],
    ['dGhpcyBpcyBhIHRva2Vu==:viewer', /entry 1: a token that contains "=" needs a name/],
  ])('refuses %s with a reason that never shows the token', (spec, reason) => {
    let error: unknown;
    try {
      ApiTokens.fromEnv({ MM_API_TOKENS: spec });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ApiTokenSpecError);
    const message = (error as Error).message;
    expect(message).toMatch(reason);
    for (const t of [T1, T2, 'dGhpcyBpcyBhIHRva2Vu']) expect(message).not.toContain(t);
  });

  it('roles: viewer < operator < admin', () => {
    expect(roleAllows('admin', 'operator')).toBe(true);
    expect(roleAllows('operator', 'operator')).toBe(true);
    expect(roleAllows('operator', 'admin')).toBe(false);
    expect(roleAllows('viewer', 'operator')).toBe(false);
  });

  it('reads only "Bearer <token>" headers', () => {
    expect(bearerToken(`Bearer ${T1}`)).toBe(T1);
    expect(bearerToken(`bearer  ${T1}`)).toBe(T1);
    expect(bearerToken(`Basic ${T1}`)).toBeNull();
    expect(bearerToken(`Bearer ${T1} extra`)).toBeNull();
    expect(bearerToken('Bearer')).toBeNull();
    expect(bearerToken(undefined)).toBeNull();
  });
});
