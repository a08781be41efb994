import { parseDuration } from '../../../cli/args';
import { assess } from '../../../cli/commands/health';
import { UsageError } from '../../../cli/errors';
import type { FleetItem } from '../../../cli/fleet';
import { formatRelative, formatTable, formatTime } from '../../../cli/format';

const NOW = 1_795_000_000;

function item(sellerId: string, fields: Partial<FleetItem>): FleetItem {
  return {
    sellerId,
    region: 'NA',
    status: 'ACTIVE',
    secretName: `lwa-tokens/sellers/NA/${sellerId}`,
    ...fields,
  };
}

describe('health: assess', () => {
  it('is healthy when every refreshable token is valid and nothing is overdue past the grace', () => {
    const report = assess(
      [
        item('A1', { accessTokenExpiresAt: NOW + 3000, nextRefreshAt: NOW - 60, lastRefreshedAt: NOW - 600 }),
        // Expired but not refreshable: expected, not a finding.
        item('A2', { status: 'ACCESS_ONLY', accessTokenExpiresAt: NOW - 10 }),
        item('A3', { status: 'REAUTH_REQUIRED', accessTokenExpiresAt: NOW - 10, lastRefreshedAt: NOW - 90 }),
      ],
      NOW,
      300,
    );
    expect(report.attention).toEqual([]);
    expect(report.counts).toEqual({ ACTIVE: 1, DEGRADED: 0, REAUTH_REQUIRED: 1, ACCESS_ONLY: 1, PENDING: 0 });
    expect(report.oldestOverdue?.sellerId).toBe('A1');
    expect(report.lastRefreshAt).toBe(NOW - 90);
  });

  it('flags expired refreshable tokens and the oldest refresh overdue past the grace', () => {
    const report = assess(
      [
        item('A1', { status: 'DEGRADED', accessTokenExpiresAt: NOW, nextRefreshAt: NOW - 301 }),
        item('A2', { nextRefreshAt: NOW - 900, accessTokenExpiresAt: NOW + 60 }),
      ],
      NOW,
      300,
    );
    expect(report.attention.map((f) => f.check)).toEqual(['tokens expired', 'refresh overdue']);
    expect(report.attention[1]?.detail).toContain('A2 (NA) was due 15m ago');
  });

  it('counts authorizations expiring within 30 days', () => {
    const report = assess(
      [
        item('A1', { authorizationExpiresAt: NOW + 29 * 86_400 }),
        item('A2', { authorizationExpiresAt: NOW + 31 * 86_400 }),
      ],
      NOW,
      300,
    );
    expect(report.authorizationsExpiring).toBe(1);
  });
});

describe('format and arguments', () => {
  it('formats times, distances and tables', () => {
    expect(formatTime(NOW)).toBe('2026-11-18 11:06Z');
    expect(formatRelative(NOW + 3 * 86_400 + 7200, NOW)).toBe('in 3d 2h');
    expect(formatRelative(NOW - 20 * 60, NOW)).toBe('20m ago');
    expect(formatRelative(NOW + 30, NOW)).toBe('now');
    expect(formatTable(['A', 'LONG'], [['xyz', '1']])).toBe('A    LONG\nxyz  1');
  });

  it('parses durations and rejects anything else', () => {
    expect(parseDuration('30d', '--x')).toBe(2_592_000);
    expect(parseDuration('5m', '--x')).toBe(300);
    expect(() => parseDuration('30', '--expiring-within')).toThrow(
      new UsageError('--expiring-within must be a number with a unit, such as 30d, 12h or 90m.'),
    );
  });
});
