/** What the stack has opened, closed last-opened first; one that fails to close does not keep the rest open. */
export interface Teardown {
  add(close: () => Promise<void>): void;
  run(): Promise<void>;
}

export function createTeardown(): Teardown {
  const closes: (() => Promise<void>)[] = [];
  return {
    add(close) {
      closes.push(close);
    },
    async run() {
      for (const close of closes.splice(0).reverse()) await close().catch(() => undefined);
    },
  };
}
