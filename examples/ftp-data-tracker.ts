/**
 * FTP data-channel tracker: follows FTP control connections; each data endpoint the control
 * connection announces (PORT, PASV, EPRT, EPSV) becomes a dynamic rule that hands the coming
 * data connection to this plugin (for 60 s of packet time, once). Data flows are tagged and
 * reported with their size and their control connection.
 *
 *   sonda run examples/ftp-data-tracker.ts --read capture.pcap
 */
import { definePlugin } from 'sonda';

interface Control {
  readonly control: boolean;
}

export default definePlugin<Control>({
  name: 'ftp-data-tracker',
  select: { ports: [21], transports: ['tcp'] },
  messages: ['ftp_data_endpoint', 'ftp_command'],
  flowState: (info) => ({ control: info.server.port === 21 }),
  onMessage(flow, msg, ctx) {
    if (msg.type === 'ftp_command') {
      if (msg.command === 'RETR' || msg.command === 'STOR') ctx.count('transfers');
      return;
    }
    const port = Number(msg.port);
    const address = typeof msg.address === 'string' ? msg.address : flow.info.server.ip;
    ctx.rules.add({ action: 'plugin', plugin: 'ftp-data-tracker', protocol: 'tcp', dst: address, dstPort: port, symmetric: true, ttl: 60, once: true });
    ctx.count('announced');
  },
  onFlowStart(flow) {
    if (flow.state.control) return;
    flow.tag('ftp-data');
  },
  onFlowEnd(flow, rec, ctx) {
    if (flow.state.control) return;
    ctx.count('data_flows');
    const bytes = rec.client.payload_bytes + rec.server.payload_bytes;
    flow.alert(`FTP data connection ${rec.client.ip}:${rec.client.port} -> ${rec.server.ip}:${rec.server.port}, ${bytes} bytes`, 'info', {
      control_flow_id: flow.info.expected?.parentFlowId,
      bytes,
    });
  },
});
