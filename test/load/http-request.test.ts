import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { buildHttpRequest, classifyHttpStatus, DEFAULT_SCENARIO, parseScenario } from '../../src/load/index.js';
import { OUTCOME } from '../../src/protocol/index.js';

describe('buildHttpRequest', () => {
  it('posts the scenario payload size as an octet-stream body by default', () => {
    const request = buildHttpRequest({ url: 'http://127.0.0.1:8080/svc/echo' }, DEFAULT_SCENARIO);
    expect(request).toMatchObject({ url: 'http://127.0.0.1:8080/svc/echo', method: 'POST', headers: { 'content-type': 'application/octet-stream' } });
    expect(request.body.length).toBe(32);
  });

  it('takes --body, --method and --header as given, header names lower-cased', () => {
    const request = buildHttpRequest({ url: 'http://h:1/a/b', method: 'put', body: '{"x":1}', headers: ['Content-Type: application/json', 'X-Meta-Tenant: acme'] }, DEFAULT_SCENARIO);
    expect(request.method).toBe('PUT');
    expect(request.body.toString()).toBe('{"x":1}');
    expect(request.headers).toEqual({ 'content-type': 'application/json', 'x-meta-tenant': 'acme' });
  });

  it('sends no body with GET', () => {
    expect(buildHttpRequest({ url: 'http://h:1/a/b?q=1', method: 'GET' }, DEFAULT_SCENARIO).body.length).toBe(0);
  });

  it('refuses what it cannot send with a sentence naming the flag', () => {
    expect(() => buildHttpRequest({ url: 'not a url' }, DEFAULT_SCENARIO)).toThrow(UsageError);
    expect(() => buildHttpRequest({ url: 'not a url' }, DEFAULT_SCENARIO)).toThrow('--http "not a url" is not a URL');
    expect(() => buildHttpRequest({ url: 'ftp://h/x' }, DEFAULT_SCENARIO)).toThrow(/is not an http:\/\/ or https:\/\/ URL/);
    expect(() => buildHttpRequest({ url: 'http://h/x', method: 'BREW' }, DEFAULT_SCENARIO)).toThrow(/--method "BREW" is not an HTTP method/);
    expect(() => buildHttpRequest({ url: 'http://h/x', headers: ['no colon'] }, DEFAULT_SCENARIO)).toThrow(/--header "no colon" is not NAME: VALUE/);
    const ranged = parseScenario('name: ranged\nprofile: {type: constant, rate: 10, duration: 1s}\nmix: [{route: svc.echo, payload: {min: 16, max: 64}}]');
    expect(() => buildHttpRequest({ url: 'http://h/x' }, ranged)).toThrow(/--http sends one body: the payload must be one size/);
  });
});

describe('classifyHttpStatus', () => {
  it('counts statuses as the gateway maps RSocket errors: 503 REJECTED, 502 APPLICATION_ERROR, 504 TIMEOUT', () => {
    expect([200, 204, 302].map(classifyHttpStatus)).toEqual([OUTCOME.OK, OUTCOME.OK, OUTCOME.OK]);
    expect([503, 429, 502, 504, 408, 404, 500].map(classifyHttpStatus)).toEqual([
      OUTCOME.REJECTED,
      OUTCOME.REJECTED,
      OUTCOME.APPLICATION_ERROR,
      OUTCOME.TIMEOUT,
      OUTCOME.TIMEOUT,
      OUTCOME.OTHER_ERROR,
      OUTCOME.OTHER_ERROR,
    ]);
  });
});
