import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { errors as joseErrors, jwtVerify, SignJWT, type JWTPayload } from 'jose';
import { UsageError } from '../errors.js';
import type { Authentication } from '../protocol/index.js';
import { compileGlob } from './glob.js';

/**
 * JWT authentication of connections (jose). A connection presents a bearer token in its
 * SETUP metadata (`message/x.rsocket.authentication.v0`); the broker checks the signature
 * (HS256 with a shared secret, or RS256/ES256 with a public key), the expiry, and then
 * the claims, which say what the connection may do:
 *
 *   sub       who it is (shown in logs and the admin API)
 *   services  the services it may publish (service keys; glob patterns)
 *   routes    the routes it may call (glob patterns: `svc.*`, `*`)
 */
export const AUTH_ALGORITHMS = ['HS256', 'RS256', 'ES256'] as const;
export type AuthAlgorithm = (typeof AUTH_ALGORITHMS)[number];

export interface JwtKeyOptions {
  /** HS256 shared secret. */
  secret?: string;
  /** RS256 or ES256 public key, PEM (SPKI), for verifying; or private key, PEM (PKCS#8), for signing. */
  keyPem?: string;
}

/** What a verified token lets its connection do. */
export class Grant {
  private readonly publishPattern: RegExp;
  private readonly routePattern: RegExp;
  /** Routes already checked, so that a route's glob match is paid once per connection. */
  private readonly decided = new Map<string, boolean>();

  constructor(
    readonly subject: string,
    readonly services: readonly string[],
    readonly routes: readonly string[],
  ) {
    this.publishPattern = compileGlob(services);
    this.routePattern = compileGlob(routes);
  }

  mayPublish(serviceKey: string): boolean {
    return this.publishPattern.test(serviceKey);
  }

  mayCall(route: string): boolean {
    let isAllowed = this.decided.get(route);
    if (isAllowed === undefined) {
      isAllowed = this.routePattern.test(route);
      if (this.decided.size >= 1_000) this.decided.clear();
      this.decided.set(route, isAllowed);
    }
    return isAllowed;
  }

  refusePublish(serviceKey: string): string {
    return `the token of ${this.subject} does not allow publishing service ${serviceKey} (it allows: ${this.services.join(', ') || 'none'})`;
  }

  refuseCall(route: string): string {
    return `the token of ${this.subject} does not allow calling ${route} (it allows: ${this.routes.join(', ') || 'none'})`;
  }
}

/** Why a connection's credentials were refused: the text of its REJECTED_SETUP. */
export class AuthenticationRefused extends Error {}

export class JwtAuthenticator {
  private readonly key: KeyObject | Uint8Array;
  readonly algorithm: AuthAlgorithm;

  constructor(options: JwtKeyOptions) {
    const { key, algorithm } = importKey(options, 'public');
    this.key = key;
    this.algorithm = algorithm;
  }

  /** Checks the credentials of a SETUP; throws AuthenticationRefused with the reason. */
  async authenticate(authentication: Authentication | null): Promise<Grant> {
    if (authentication === null) {
      throw new AuthenticationRefused('this broker requires authentication: send a bearer token (JWT) in the SETUP metadata');
    }
    if (authentication.type !== 'bearer') {
      throw new AuthenticationRefused(`this broker accepts bearer tokens (JWT) only, got ${authentication.type} authentication`);
    }
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(authentication.token, this.key, { algorithms: [this.algorithm] }));
    } catch (error) {
      throw new AuthenticationRefused(explainJoseError(error, this.algorithm), { cause: error });
    }
    return readGrant(payload);
  }
}

function readGrant(payload: JWTPayload): Grant {
  if (typeof payload.sub !== 'string' || payload.sub === '') throw new AuthenticationRefused('the token has no "sub" claim naming who it is for');
  const list = (claim: 'services' | 'routes'): string[] => {
    const value = payload[claim];
    if (value === undefined) return [];
    if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
      throw new AuthenticationRefused(`the token's "${claim}" claim must be a list of strings`);
    }
    return value;
  };
  return new Grant(payload.sub, list('services'), list('routes'));
}

function explainJoseError(error: unknown, algorithm: AuthAlgorithm): string {
  if (error instanceof joseErrors.JWTExpired) {
    const exp = typeof error.payload.exp === 'number' ? ` at ${new Date(error.payload.exp * 1000).toISOString()}` : '';
    return `the token expired${exp}`;
  }
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return "the token's signature does not match the broker's key";
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return `the token is not signed with ${algorithm}, the algorithm this broker's key accepts`;
  if (error instanceof joseErrors.JWTClaimValidationFailed) return `the token's "${error.claim}" claim is not valid: ${error.message}`;
  if (error instanceof joseErrors.JOSEError) return `the token is not a valid JWT: ${error.message}`;
  return `the token could not be verified: ${error instanceof Error ? error.message : String(error)}`;
}

/** A secret for HS256, or a PEM key whose type says RS256 or ES256 (P-256). */
function importKey(options: JwtKeyOptions, side: 'public' | 'private'): { key: KeyObject | Uint8Array; algorithm: AuthAlgorithm } {
  if (options.secret !== undefined) {
    if (options.secret === '') throw new UsageError('the JWT secret is empty');
    return { key: new TextEncoder().encode(options.secret), algorithm: 'HS256' };
  }
  if (options.keyPem === undefined) throw new UsageError('JWT authentication needs a secret (HS256) or a key (RS256/ES256)');
  let key: KeyObject;
  try {
    key = side === 'public' ? createPublicKey(options.keyPem) : createPrivateKey(options.keyPem);
  } catch (error) {
    throw new UsageError(`the ${side} key is not a PEM ${side} key: ${error instanceof Error ? error.message : String(error)}`, undefined, { cause: error });
  }
  if (key.asymmetricKeyType === 'rsa') return { key, algorithm: 'RS256' };
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return { key, algorithm: 'ES256' };
  throw new UsageError(
    `the ${side} key is ${key.asymmetricKeyType}${key.asymmetricKeyDetails?.namedCurve ? ` (${key.asymmetricKeyDetails.namedCurve})` : ''}: use an RSA key (RS256) or an EC P-256 key (ES256)`,
  );
}

export interface TokenSpec extends JwtKeyOptions {
  sub: string;
  services: string[];
  routes: string[];
  /** Seconds until it expires; none when absent. */
  ttlSeconds?: number;
}

export interface CreatedToken {
  token: string;
  algorithm: AuthAlgorithm;
  claims: { sub: string; services: string[]; routes: string[]; iat: number; exp?: number };
}

/** Signs a token with the claims the broker checks: the one call behind `rsb token create`. */
export async function createToken(spec: TokenSpec): Promise<CreatedToken> {
  const { key, algorithm } = importKey(spec, 'private');
  const iat = Math.floor(Date.now() / 1000);
  const claims = { sub: spec.sub, services: spec.services, routes: spec.routes, iat, ...(spec.ttlSeconds !== undefined ? { exp: iat + Math.round(spec.ttlSeconds) } : {}) };
  const jwt = new SignJWT({ services: claims.services, routes: claims.routes }).setProtectedHeader({ alg: algorithm, typ: 'JWT' }).setSubject(claims.sub).setIssuedAt(iat);
  if (claims.exp !== undefined) jwt.setExpirationTime(claims.exp);
  const token = await jwt.sign(key);
  return { token, algorithm, claims };
}

/** Reads a PEM key file (`--jwt-public-key`, `auth.publicKey`, `--private-key`); a file that cannot be read is a UsageError naming `what`. */
export function readKeyFile(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`${what}: cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, undefined, { cause: error });
  }
}
