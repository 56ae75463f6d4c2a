import { jest } from '@jest/globals';
import type { SqlService } from './sql.service';
import { StatisticsService } from './statistics.service';

describe(StatisticsService.name, () => {
  it('analyses a table after a thousand rows written, then at most once a minute', () => {
    const ran: string[] = [];
    const sql = { query: (text: string) => (ran.push(text), Promise.resolve([])) } as unknown as SqlService;
    const stats = new StatisticsService(sql);
    const now = jest.spyOn(Date, 'now').mockReturnValue(1_000_000);
    try {
      for (let i = 0; i < 999; i++) stats.noteWrites('scim_users', 1);
      expect(ran).toEqual([]);
      stats.noteWrites('scim_users', 1);
      expect(ran).toEqual(['ANALYZE scim_users']);
      stats.noteWrites('scim_users', 5000);
      expect(ran).toHaveLength(1);
      now.mockReturnValue(1_000_000 + 61_000);
      stats.noteWrites('scim_users', 1);
      expect(ran).toEqual(['ANALYZE scim_users', 'ANALYZE scim_users']);
      stats.noteWrites('group_members', 1000);
      expect(ran.at(-1)).toBe('ANALYZE group_members');
    } finally {
      now.mockRestore();
    }
  });
});
