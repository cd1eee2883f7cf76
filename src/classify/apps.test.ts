import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type CliIo, main } from '../cli/main.js';
import { parseAddress } from '../flow/ip-text.js';
import { loadCatalog } from './catalog.js';
import { type ProtocolEntry, parseProtocolFile } from './protocol-file.js';

const DIR = fileURLToPath(new URL('../../data/protocols/', import.meta.url));
const APP_FILES = readdirSync(DIR).filter((f) => /^apps-.*\.txt$/.test(f));
const catalog = loadCatalog();

function appEntries(): ProtocolEntry[] {
  return APP_FILES.flatMap((f) => parseProtocolFile(readFileSync(DIR + f, 'utf8'), f));
}

test('application files: every block parses, has a category, a rule, and appears once', () => {
  assert.ok(APP_FILES.length >= 5, `application files: ${APP_FILES.join(', ')}`);
  const entries = appEntries();
  assert.ok(entries.length > 100, `${entries.length} applications`);
  const names = new Set<string>();
  const hosts = new Map<string, string>();
  for (const e of entries) {
    assert.ok(e.category !== undefined && /^[A-Za-z_-]+$/.test(e.category), `${e.source}: [${e.name}] has no category`);
    assert.ok(e.hosts.length + e.nets.length > 0, `${e.source}: [${e.name}] names no host or network`);
    assert.ok(!names.has(e.name), `${e.source}: [${e.name}] defined twice`);
    names.add(e.name);
    for (const h of e.hosts) {
      assert.ok(!hosts.has(h), `${e.source}: host ${h} is both ${hosts.get(h)} and ${e.name}`);
      hosts.set(h, e.name);
    }
  }
});

test('host rules: nDPI names and categories, subdomains, service hosts over company domains', () => {
  const facts: Array<[string, string, string]> = [
    ['www.youtube.com', 'YouTube', 'Media'],
    ['r3---sn-vh5ouxa-hju6.googlevideo.com', 'YouTube', 'Media'],
    ['i.ytimg.com', 'YouTube', 'Media'],
    ['upload.youtube.com', 'YouTubeUpload', 'Media'],
    ['www.google.com', 'Google', 'Web'],
    ['www.google.co.uk', 'Google', 'Web'],
    ['fonts.gstatic.com', 'Google', 'Web'],
    ['mail.google.com', 'GMail', 'Email'],
    ['docs.google.com', 'GoogleDocs', 'Collaborative'],
    ['android.clients.google.com', 'PlayStore', 'SoftwareUpdate'],
    ['play.googleapis.com', 'GoogleServices', 'Web'],
    ['mtalk.google.com', 'GoogleServices', 'Web'],
    ['www.facebook.com', 'Facebook', 'SocialNetwork'],
    ['scontent-mxp1-1.xx.fbcdn.net', 'Facebook', 'SocialNetwork'],
    ['instagram.faae1-1.fna.fbcdn.net', 'Instagram', 'SocialNetwork'],
    ['video.fmct2-3.fna.fbcdn.net', 'FbookReelStory', 'SocialNetwork'],
    ['e7.whatsapp.net', 'WhatsApp', 'Chat'],
    ['media.fmct2-1.fna.whatsapp.net', 'WhatsAppFiles', 'Download'],
    ['teams.microsoft.com', 'Teams', 'Collaborative'],
    ['c-flightproxy-euno-01-teams.cloudapp.net', 'Teams', 'Collaborative'],
    ['login.microsoftonline.com', 'Microsoft365', 'Collaborative'],
    ['www.outlook.com', 'Outlook', 'Email'],
    ['wdcp.microsoft.com', 'Microsoft', 'Cloud'],
    ['onedrive.live.com', 'MS_OneDrive', 'Cloud'],
    ['captive.apple.com.edgekey.net', 'Apple', 'Web'],
    ['p26-keyvalueservice.icloud.com', 'AppleiCloud', 'Web'],
    ['play.itunes.apple.com', 'AppleiTunes', 'Streaming'],
    ['www.amazon.com', 'Amazon', 'Web'],
    ['s3-external-2.amazonaws.com', 'AmazonAWS', 'Cloud'],
    ['alexa.amazon.com', 'AmazonAlexa', 'VirtAssistant'],
    ['art-s.nflximg.net', 'NetFlix', 'Video'],
    ['i.scdn.co', 'Spotify', 'Music'],
    ['zoomfrn99mmr.zoom.us', 'Zoom', 'Video'],
    ['radcom.webex.com', 'Webex', 'VoIP'],
    ['textsecure-service.whispersystems.org', 'Signal', 'Chat'],
    ['web.telegram.org', 'Telegram', 'Chat'],
    ['discord.com', 'Discord', 'Collaborative'],
    ['preview.redd.it', 'Reddit', 'SocialNetwork'],
    ['s.pinimg.com', 'Pinterest', 'SocialNetwork'],
    ['sun9-87.userapi.com', 'VK', 'SocialNetwork'],
    ['dns.google', 'DoH_DoT', 'Network'],
    ['api.steampowered.com', 'Steam', 'Game'],
    ['sb.scorecardresearch.com', 'ADS_Analytic_Track', 'Advertisement'],
    ['github.com', 'Github', 'Collaborative'],
  ];
  for (const [host, app, category] of facts) {
    assert.equal(catalog.byHost(host), app, host);
    assert.equal(catalog.categoryOf(app), category, app);
  }
  // Label boundaries: a look-alike name is not the service, nor is the service's name inside another domain.
  for (const host of ['notyoutube.com', 'youtube.com.example.net', 'facebook.com.evil.test', 'fbcdn.net.example', 'mygoogle.com']) {
    assert.equal(catalog.byHost(host), undefined, host);
  }
  // CDN names shared by every customer do not name one.
  assert.equal(catalog.byHost('e673.dsce9.akamaiedge.net'), undefined);
  assert.equal(catalog.byHost('skypedataprdcolneu04.cloudapp.net'), undefined);
});

test('network rules: published ranges name the service, the longest prefix wins', () => {
  const facts: Array<[string, string | undefined]> = [
    ['149.154.167.91', 'Telegram'],
    ['91.108.13.23', 'Telegram'],
    ['2001:67c:4e8:f004::a', 'Telegram'],
    ['157.240.21.51', 'Facebook'],
    ['2a03:2880:f11f:83:face:b00c:0:25de', 'Facebook'],
    ['142.250.180.163', 'Google'],
    ['8.8.8.8', 'Google'],
    ['2a00:1450:4007:816::2003', 'Google'],
    ['35.228.250.140', 'GoogleCloud'],
    ['17.57.144.116', 'Apple'],
    ['54.239.28.178', 'AmazonAWS'],
    ['52.202.62.236', 'Zoom'],
    ['52.113.194.132', 'Skype_Teams'],
    ['52.114.77.33', 'Azure'],
    ['40.126.9.7', 'Microsoft365'],
    ['23.246.3.140', 'NetFlix'],
    ['64.68.105.103', 'Webex'],
    ['104.16.248.249', 'Cloudflare'],
    ['140.82.113.26', 'Github'],
    ['87.240.129.131', 'VK'],
    ['10.0.0.1', undefined],
    ['192.168.1.1', undefined],
    ['2001:db8::1', undefined],
  ];
  for (const [ip, app] of facts) {
    const a = parseAddress(ip);
    assert.ok(a, ip);
    assert.equal(catalog.byAddress(a.version, a.words), app, ip);
  }
});

interface Side {
  ip: string;
  port: number;
  payload_bytes?: number;
}
interface Rec {
  client: Side;
  server: Side;
  app: { protocol: string; category?: string; confidence: string };
}

async function records(pcap: string): Promise<Rec[]> {
  let out = '';
  let err = '';
  const io: CliIo = { stdout: (s) => (out += s), stderr: (s) => (err += s), stderrIsTty: false };
  const code = await main(['flows', '--json', '--no-summary', '--read', `../shared/corpus/ndpi/pcap/${pcap}`], io);
  assert.equal(code, 0, err);
  return out
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Rec);
}

test('naming as nDPI does on real captures: names over the master, ports before addresses', async () => {
  const to = async (pcap: string, server: string) => (await records(pcap)).filter((r) => `${r.server.ip}:${r.server.port}` === server).map((r) => r.app);
  // TLS without SNI: the certificate's name names the application; the address does not.
  assert.ok((await to('webex.pcap', '173.243.0.110:443')).some((a) => a.protocol === 'TLS.Webex' && a.category === 'VoIP'));
  // DNS over TLS keeps TLS as its master.
  assert.ok((await to('googledns_android10.pcap', '8.8.4.4:853')).every((a) => a.protocol === 'TLS.DoH_DoT'));
  const android = await records('android.pcap');
  // A query about Google is DNS traffic: DNS.Google, category Network.
  assert.ok(android.some((r) => r.app.protocol === 'DNS.Google' && r.app.category === 'Network'));
  // No payload to a Google address on 443: named by the port, not the address.
  const silent = (r: Rec) => (r.client.payload_bytes ?? 0) + (r.server.payload_bytes ?? 0) === 0;
  const bare = android.filter((r) => r.server.ip === '172.217.20.76' && r.server.port === 443 && silent(r));
  assert.ok(bare.length > 0 && bare.every((r) => r.app.protocol === 'TLS' && r.app.confidence === 'port'));
  // Google's push service on 5228: Google (by its address, or a port rule for it).
  assert.ok(android.some((r) => r.server.ip === '216.239.38.120' && r.server.port === 5228 && r.app.protocol === 'Google'));
  // Payload that is not TLS on 443 to Telegram's network: the address names it.
  assert.ok((await to('telegram_videocall.pcapng', '149.154.167.91:443')).some((a) => a.protocol === 'Telegram' && a.confidence === 'ip'));
});
