// Ten plugins whose filters match no flow of the bench capture (documentation addresses,
// TEST-NET-3): what merely loading plugins costs. Used by `npm run bench` (sonda-plugins10).
export default Array.from({ length: 10 }, (_, i) => ({
  name: `no-match-${i}`,
  select: { filter: `host 203.0.113.${i + 1} and tcp port ${10000 + i}` },
  messages: ['http', 'dns'],
  deliver: 'both',
  onData() {},
  onMessage() {},
}));
