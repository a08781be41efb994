import { type DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';

/**
 * One row of the status page. Built field by field from the table item, so nothing else the item
 * may carry (lease owners today, who knows what tomorrow) reaches the page. Tokens live only in
 * Secrets Manager, which this module never reads.
 */
export interface SellerStatusRow {
  readonly sellerId: string;
  readonly region: string;
  readonly kind: string;
  readonly scope?: string;
  readonly status: string;
  /** Epoch seconds. */
  readonly accessTokenExpiresAt?: number;
  readonly lastRefreshedAt?: number;
  readonly nextRefreshAt?: number;
  readonly authorizedAt?: number;
  readonly failureCount?: number;
  readonly lastError?: string;
}

/**
 * Every item of the sellers table. A Scan is fine for the local run's handful of sellers; the
 * service itself never scans (DESIGN.md: nothing scans the table on a hot path).
 */
export async function readSellerStatus(
  documentClient: DynamoDBDocumentClient,
  tableName: string,
): Promise<SellerStatusRow[]> {
  const rows: SellerStatusRow[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await documentClient.send(
      new ScanCommand({ TableName: tableName, ConsistentRead: true, ExclusiveStartKey }),
    );
    for (const item of page.Items ?? []) {
      const row = toRow(item);
      if (row) rows.push(row);
    }
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return rows.sort(
    (a, b) => (a.authorizedAt ?? 0) - (b.authorizedAt ?? 0) || rowKey(a).localeCompare(rowKey(b)),
  );
}

export function rowKey(row: Pick<SellerStatusRow, 'sellerId' | 'region'>): string {
  return `${row.region}/${row.sellerId}`;
}

/**
 * Rows whose token the refresher renewed between two readings: the same authorization (a new
 * one is the callback's doing, not a refresh), and a later `lastRefreshedAt`.
 */
export function refreshedBetween(
  before: readonly SellerStatusRow[],
  after: readonly SellerStatusRow[],
): SellerStatusRow[] {
  const previous = new Map(before.map((row) => [rowKey(row), row]));
  return after.filter((row) => {
    const was = previous.get(rowKey(row));
    return (
      was !== undefined &&
      was.authorizedAt === row.authorizedAt &&
      (row.lastRefreshedAt ?? 0) > (was.lastRefreshedAt ?? 0)
    );
  });
}

function toRow(item: Record<string, unknown>): SellerStatusRow | undefined {
  const { sellerId, region, status } = item;
  if (typeof sellerId !== 'string' || typeof region !== 'string' || typeof status !== 'string')
    return undefined;
  return {
    sellerId,
    region,
    kind: typeof item.kind === 'string' ? item.kind : 'seller',
    scope: text(item.scope),
    status,
    accessTokenExpiresAt: number(item.accessTokenExpiresAt),
    lastRefreshedAt: number(item.lastRefreshedAt),
    nextRefreshAt: number(item.nextRefreshAt),
    authorizedAt: number(item.authorizedAt),
    failureCount: number(item.failureCount),
    lastError: text(item.lastError),
  };
}

function number(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
