import { createHash, timingSafeEqual } from 'node:crypto';
import { ConfigError } from '../../config/engine-config.js';
import type { Identity, Role } from '../service-control.js';

/*
 * Bearer tokens of the operator API. The spec comes from MM_API_TOKENS (or the
 * config) as a comma-separated list of `[<name>=]<token>:<role>`. A token
 * without a name is called `<role>#<n>` (the n-th token of that role), and
 * that name, never the token, is the identity recorded in OperatorCommand.
 * Only SHA-256 digests of the tokens are kept in memory.
 */

export const ROLES: readonly Role[] = ['viewer', 'operator', 'admin'];
const RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };

/** viewer < operator < admin: a role may do what every lower role may. */
export const roleAllows = (held: Role, needed: Role): boolean => RANK[held] >= RANK[needed];

export interface ApiTokenSpec {
  /** Name recorded as the identity; defaults to `<role>#<n>`. */
  readonly name?: string;
  readonly token: string;
  readonly role: Role;
}

/** A bad token list is bad configuration: `mm` exits 2 with the message, as for a bad config file. */
export class ApiTokenSpecError extends ConfigError {}

/** Tokens shorter than this are refused: they could be guessed. */
export const MIN_TOKEN_LENGTH = 16;
const NAME_PATTERN = /^[A-Za-z0-9_.@#-]{1,64}$/;

/**
 * Parse `MM_API_TOKENS`. Errors name the entry by position and never echo the
 * token. An empty or absent spec gives no tokens (every protected route 401s).
 */
export function parseApiTokens(spec: string | undefined): ApiTokenSpec[] {
  if (spec === undefined || spec.trim() === '') return [];
  return spec.split(',').map((raw, index) => {
    const entry = raw.trim();
    const where = `MM_API_TOKENS entry ${index + 1}`;
    const colon = entry.lastIndexOf(':');
    if (colon < 0) throw new ApiTokenSpecError(`${where}: expected [<name>=]<token>:<role>, with role one of ${ROLES.join(', ')}`);
    const role = entry.slice(colon + 1).trim();
    if (!(ROLES as readonly string[]).includes(role)) throw new ApiTokenSpecError(`${where}: role "${role}" is not one of ${ROLES.join(', ')}`);
    const left = entry.slice(0, colon);
    const eq = left.indexOf('=');
    const name = eq >= 0 ? left.slice(0, eq).trim() : undefined;
    const token = eq >= 0 ? left.slice(eq + 1) : left;
    if (eq >= 0 && /^=*$/.test(token)) throw new ApiTokenSpecError(`${where}: a token that contains "=" needs a name in front: <name>=<token>:<role>`);
    if (name !== undefined && !NAME_PATTERN.test(name)) throw new ApiTokenSpecError(`${where}: name must match ${NAME_PATTERN.source}`);
    return { ...(name !== undefined ? { name } : {}), token, role: role as Role };
  });
}

interface StoredToken {
  readonly digest: Buffer;
  readonly identity: Identity;
}

const digest = (token: string): Buffer => createHash('sha256').update(token, 'utf8').digest();

/** The set of accepted tokens. `identify` compares in constant time against every token. */
export class ApiTokens {
  private readonly stored: readonly StoredToken[];

  constructor(specs: readonly ApiTokenSpec[]) {
    const perRole: Record<Role, number> = { viewer: 0, operator: 0, admin: 0 };
    const names = new Set<string>();
    const digests = new Set<string>();
    this.stored = specs.map((spec, index) => {
      const where = `API token ${index + 1}`;
      if (!(ROLES as readonly string[]).includes(spec.role)) throw new ApiTokenSpecError(`${where}: role "${spec.role}" is not one of ${ROLES.join(', ')}`);
      if (spec.token.length < MIN_TOKEN_LENGTH) throw new ApiTokenSpecError(`${where}: token is ${spec.token.length} characters, at least ${MIN_TOKEN_LENGTH} required`);
      if (/\s/.test(spec.token)) throw new ApiTokenSpecError(`${where}: token contains whitespace`);
      perRole[spec.role] += 1;
      const name = spec.name ?? `${spec.role}#${perRole[spec.role]}`;
      if (names.has(name)) throw new ApiTokenSpecError(`${where}: name "${name}" is used twice`);
      const d = digest(spec.token);
      if (digests.has(d.toString('hex'))) throw new ApiTokenSpecError(`${where}: the same token is listed twice`);
      names.add(name);
      digests.add(d.toString('hex'));
      return { digest: d, identity: { name, role: spec.role } };
    });
  }

  static fromEnv(env: NodeJS.ProcessEnv = process.env): ApiTokens {
    return new ApiTokens(parseApiTokens(env.MM_API_TOKENS));
  }

  get size(): number {
    return this.stored.length;
  }

  /** Names and roles, for a startup log line (never the tokens). */
  identities(): readonly Identity[] {
    return this.stored.map((s) => s.identity);
  }

  /**
   * The identity of a presented token, or null. Digests have a fixed length,
   * so neither the comparison nor its timing tells how long a token is, and
   * every stored token is compared whatever matches first.
   */
  identify(presented: string): Identity | null {
    const d = digest(presented);
    let found: Identity | null = null;
    for (const s of this.stored) {
      if (timingSafeEqual(d, s.digest) && found === null) found = s.identity;
    }
    return found;
  }
}

/** The token of an `Authorization: Bearer <token>` header, or null. */
export function bearerToken(header: string | undefined): string | null {
  if (!header) return null;
  const match = /^Bearer[ ]+([^\s]+)\s*$/i.exec(header);
  return match?.[1] ?? null;
}
