/** Provided by vite.config.ts: operation name → persisted-query id in builds, null in development. */
declare module 'virtual:persisted-query-ids' {
  const ids: Readonly<Record<string, string>> | null;
  export default ids;
}
