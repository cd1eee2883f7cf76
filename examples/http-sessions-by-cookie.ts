/**
 * HTTP sessions across connections: requests are grouped by the value of a session cookie
 * (`csrf`, `session-id`, `sessionid`, `PHPSESSID`, `JSESSIONID`); each session ends a minute
 * (packet time) after its last connection and is reported with its requests and connections.
 *
 *   sonda run examples/http-sessions-by-cookie.ts --read capture.pcap
 */
import { definePlugin } from 'sonda';

const SESSION_COOKIES = ['csrf', 'session-id', 'sessionid', 'phpsessid', 'jsessionid'];

interface Session {
  requests: number;
  hosts: Set<string>;
}

function sessionKey(cookie: string): string | undefined {
  for (const part of cookie.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim().toLowerCase();
    if (SESSION_COOKIES.includes(name)) return `${name}=${part.slice(eq + 1).trim()}`;
  }
  return undefined;
}

export default definePlugin<undefined, Session>({
  name: 'http-sessions-by-cookie',
  select: { transports: ['tcp'] },
  messages: ['http'],
  sessions: {
    key: (_flow, msg) => (msg !== undefined && typeof msg.cookie === 'string' ? sessionKey(msg.cookie) : undefined),
    timeout: 60,
    state: () => ({ requests: 0, hosts: new Set<string>() }),
    onEnd(session, ctx) {
      ctx.alert(`HTTP session ${session.key}: ${session.state.requests} requests over ${session.flows.length} connections`, 'info', {
        session: session.key,
        requests: session.state.requests,
        connections: session.flows.length,
        flows: session.flows,
        hosts: [...session.state.hosts],
      });
    },
  },
  onMessage(flow, msg) {
    const s = flow.session;
    if (s === undefined || msg.method === undefined) return;
    s.state.requests++;
    if (typeof msg.host === 'string') s.state.hosts.add(msg.host);
  },
});
