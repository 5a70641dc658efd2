import { clientAddress } from '../common/http/client-address';
import { addressBucket } from './address-bucket';

describe('rate-limit buckets of client addresses', () => {
  it('counts an IPv4 client by its address, however a dual-stack socket spells it', () => {
    expect(addressBucket('203.0.113.7')).toBe('203.0.113.7');
    expect(addressBucket('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(addressBucket('::ffff:cb00:7107')).toBe('203.0.113.7');
    expect(addressBucket('0:0:0:0:0:FFFF:CB00:7107')).toBe('203.0.113.7');
  });

  it('counts an IPv6 client by its /64: rotating the interface id does not give a new bucket', () => {
    const bucket = addressBucket('2001:db8:1:2::1');
    expect(bucket).toBe('2001:db8:1:2::/64');
    for (const address of [
      '2001:db8:1:2::2',
      '2001:0db8:0001:0002:ffff:ffff:ffff:ffff',
      '2001:DB8:1:2:a:b:c:d',
    ]) {
      expect(addressBucket(address)).toBe(bucket);
    }
    expect(addressBucket('2001:db8:1:3::1')).not.toBe(bucket);
    expect(addressBucket('::1')).toBe('::/64');
  });

  it('keeps anything else as it is', () => {
    expect(addressBucket('unknown')).toBe('unknown');
  });

  it('writes the client address of a request with one spelling per client', () => {
    expect(clientAddress({ ip: '::ffff:203.0.113.7' })).toBe('203.0.113.7');
    expect(clientAddress({ ip: '2001:0db8:0:0:0:0:0:1' })).toBe('2001:db8::1');
    expect(clientAddress({ ip: '198.51.100.4' })).toBe('198.51.100.4');
    expect(clientAddress({})).toBe('unknown');
  });
});
