// One plugin with 1,000 Snort-style content rules searched over every flow's streams (TCP) and
// datagrams: the content search's throughput. Patterns are fixed pseudo-random printable
// strings (8-16 bytes), plus a few that do occur in web traffic so matches are verified too.
let seed = 0x5eed;
const rand = () => {
  seed = (seed * 1103515245 + 12345) >>> 0;
  return seed >>> 8;
};
const ALPHA = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./';
const rules = [];
for (let i = 0; i < 995; i++) {
  let s = '';
  const n = 8 + (rand() % 9);
  for (let k = 0; k < n; k++) s += ALPHA[rand() % ALPHA.length];
  rules.push(`alert ip any any -> any any (msg:"p${i}"; content:"${s}"; sid:${100000 + i};)`);
}
for (const [i, s] of ['HTTP/1.1 200', 'User-Agent:', 'Content-Type:', 'Host: ', 'GET /'].entries()) {
  rules.push(`alert tcp any any -> any any (msg:"common ${i}"; content:"${s}"; nocase; sid:${200000 + i};)`);
}
export default { name: 'content-1000', content: rules, onContent() {} };
