/**
 * undici's Agent on its own: the package's index loads all of undici (fetch, WebSocket,
 * caches, mock agents: ~110 modules, ~14 MB of idle RSS) where the gateway needs only the
 * connection pool. undici is pinned to an exact version, so the path is stable.
 */
declare module 'undici/lib/dispatcher/agent.js' {
  import type { Agent } from 'undici';
  const AgentClass: typeof Agent;
  export default AgentClass;
}
