import type { Region } from '../shared/regions';
import { SellerStatus, TokenKind } from '../shared/seller-table';
import type { RefreshRepository } from './refresh-repository';

export type StatusCounts = Readonly<Record<SellerStatus, number>>;

const zeroCounts = (): Record<SellerStatus, number> => ({
  [SellerStatus.Active]: 0,
  [SellerStatus.Degraded]: 0,
  [SellerStatus.ReauthRequired]: 0,
  [SellerStatus.AccessOnly]: 0,
  [SellerStatus.Pending]: 0,
});

/**
 * Sellers by status, for the `SellersByStatus` gauge. The due query sees only refreshable items,
 * so the count comes from a slow paginated pass over the table instead: one page (at most
 * `pageSize` items) per refresh run, the cursor kept in the execution environment. When a pass
 * ends, its counts become the published gauge until the next pass ends; a new environment starts
 * a new pass and publishes nothing until it completes. At the default page of 1,000 items a
 * 48,000-seller table is counted every 48 minutes, for about 100 read units a run.
 */
export class StatusCensus {
  private cursor: Record<string, unknown> | undefined;
  private running = zeroCounts();
  private completed: StatusCounts | undefined;

  constructor(
    private readonly repository: Pick<RefreshRepository, 'statusPage'>,
    private readonly regions: readonly Region[],
    private readonly pageSize = 1_000,
  ) {}

  /** Reads the next page; returns the counts of the last completed pass, if any. */
  async advance(): Promise<StatusCounts | undefined> {
    const page = await this.repository.statusPage(this.cursor, this.pageSize);
    for (const item of page.items) {
      const isSeller = (item.kind ?? TokenKind.Seller) === TokenKind.Seller;
      if (isSeller && this.regions.includes(item.region as Region) && item.status in this.running) {
        this.running[item.status]++;
      }
    }
    this.cursor = page.nextKey;
    if (!this.cursor) {
      this.completed = this.running;
      this.running = zeroCounts();
    }
    return this.completed;
  }
}
