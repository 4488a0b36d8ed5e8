import { describe, expect, it } from 'vitest';
import { isBerthError } from '../src/errors.js';
import { chooseIsolation, unsupported, type IsolationOffer } from '../src/runtime/capabilities.js';
import type { RuntimeImages } from '../src/runtime/container-runtime.js';
import { hardenedSpec } from '../src/runtime/hardened-spec.js';

const offers = (strong: boolean): IsolationOffer[] => [
  { level: 'standard', name: 'plain', available: true },
  { level: 'strong', name: 'sandboxed', available: strong, ...(strong ? {} : { advice: 'not installed' }) },
  { level: 'strong', name: 'vm', available: false, advice: 'it needs KVM' },
];

describe('isolation is a capability question, answered the same for every runtime', () => {
  it('auto takes the strongest level available, else the standard one', () => {
    expect(chooseIsolation(offers(true), 'auto')).toEqual({ level: 'strong', name: 'sandboxed' });
    expect(chooseIsolation(offers(false), 'auto')).toEqual({ level: 'standard', name: 'plain' });
  });

  it('takes a level or an offered name', () => {
    expect(chooseIsolation(offers(true), 'strong')).toEqual({ level: 'strong', name: 'sandboxed' });
    expect(chooseIsolation(offers(true), 'standard')).toEqual({ level: 'standard', name: 'plain' });
    expect(chooseIsolation(offers(true), 'plain')).toEqual({ level: 'standard', name: 'plain' });
  });

  it('refuses what the runtime cannot give, saying why and what to use instead', () => {
    expect(() => chooseIsolation(offers(true), 'vm')).toThrow(
      'runtime vm is not supported on this host (it needs KVM); use plain or sandboxed',
    );
    expect(() => chooseIsolation(offers(false), 'sandboxed')).toThrow(
      'runtime sandboxed is not supported on this host (not installed); use plain',
    );
    expect(() => chooseIsolation(offers(false), 'strong')).toThrow(
      'runtime strong is not supported on this host (not installed); use plain',
    );
    expect(() => chooseIsolation(offers(true), 'bogus')).toThrow(
      'runtime bogus is not one this engine offers; use auto, plain, sandboxed',
    );
  });
});

describe('a capability a runtime lacks is a null object that explains itself', () => {
  it('every call rejects with the capability, the runtime and the reason', async () => {
    const images = unsupported<RuntimeImages>('bubblewrap', 'images', 'it runs unpacked root folders');
    const refusal = await images
      .build({ context: '/', dockerfile: 'Dockerfile', tag: 't', labels: {}, args: {} })
      .catch((err: unknown) => err);
    expect(isBerthError(refusal, 'UNSUPPORTED')).toBe(true);
    expect((refusal as Error).message).toBe(
      'the bubblewrap runtime cannot do images (build): it runs unpacked root folders',
    );
    // not a thenable: awaiting the object itself does not hang or reject
    expect(await Promise.resolve(images)).toBe(images);
  });
});

describe('hardenedSpec: the one security block, whatever the caller', () => {
  it('drops every capability, forbids privilege gain, runs an init, and states limits as intent', () => {
    const spec = hardenedSpec({
      name: 'n',
      image: 'i',
      labels: { a: 'b' },
      limits: { cpus: 0.5, memoryBytes: 1024, pids: 16 },
      agent: true,
      isolation: 'strong',
    });
    expect(spec).toEqual({
      name: 'n',
      image: 'i',
      labels: { a: 'b' },
      env: {},
      mounts: [],
      network: { mode: 'none' },
      security: { capDrop: ['ALL'], capAdd: [], noNewPrivileges: true, readOnlyRootfs: false },
      resources: { cpus: 0.5, memoryBytes: 1024, pids: 16 },
      keepAlive: false,
      init: true,
      agent: true,
      isolation: 'strong',
    });
  });
});
