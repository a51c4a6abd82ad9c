// Promise.withResolvers for Node 20. libp2p 3.x calls Promise.withResolvers (ES2024, Node 22+) at run
// time; Node 20 lacks it. This module defines it only when it is missing (feature-detected, never
// overrides a native one). It must be evaluated before any libp2p module runs: src/discovery/index.ts
// imports it as its very first import, and ESM evaluates imports in order, so anything that reaches
// libp2p through src/discovery gets the shim first. Code that imports libp2p directly (outside
// src/discovery) must import this file first itself.

interface Resolvers<T> {
  promise: Promise<T>;
  resolve: (value: T | PromiseLike<T>) => void;
  reject: (reason?: unknown) => void;
}

const P = Promise as unknown as { withResolvers?: <T>() => Resolvers<T> };

if (typeof P.withResolvers !== 'function') {
  Object.defineProperty(Promise, 'withResolvers', {
    configurable: true,
    writable: true,
    enumerable: false,
    value: function withResolvers<T>(this: PromiseConstructor): Resolvers<T> {
      let resolve!: Resolvers<T>['resolve'];
      let reject!: Resolvers<T>['reject'];
      const promise = new Promise<T>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      return { promise, resolve, reject };
    },
  });
}

/** True once the shim (or a native implementation) is in place. */
export const promiseWithResolversReady = typeof (Promise as unknown as { withResolvers?: unknown }).withResolvers === 'function';
