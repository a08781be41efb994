import { type DynamoDBDocumentClient, GetCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { Region } from '../lambda/shared/regions';
import type { SellerItem } from '../lambda/shared/seller-table';
import { awsCall } from './errors';

/** A sellers-table item as the operator commands read it; `authorizationExpiresAt` is on newer items only. */
export type FleetItem = SellerItem & { readonly authorizationExpiresAt?: number };

export interface FleetFilter {
  readonly region?: Region;
  readonly status?: string;
}

/**
 * Every item of the sellers table that matches the filter, page by page. An operator command is
 * the one place that scans: the refresher never does (it queries the sparse `byRegion` index),
 * and items without `nextRefreshAt` (REAUTH_REQUIRED, ACCESS_ONLY) are only found by a scan.
 * `onPage` reports progress after each page.
 */
export async function readFleet(
  documentClient: DynamoDBDocumentClient,
  tableName: string,
  filter: FleetFilter,
  options: { pageSize?: number; onPage?: (scanned: number, matched: number) => void } = {},
): Promise<FleetItem[]> {
  const conditions: string[] = [];
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  if (filter.region) {
    conditions.push('#region = :region');
    names['#region'] = 'region';
    values[':region'] = filter.region;
  }
  if (filter.status) {
    conditions.push('#status = :status');
    names['#status'] = 'status';
    values[':status'] = filter.status;
  }
  const items: FleetItem[] = [];
  let scanned = 0;
  let exclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await awsCall('dynamodb:Scan', `table ${tableName}`, () =>
      documentClient.send(
        new ScanCommand({
          TableName: tableName,
          Limit: options.pageSize,
          ExclusiveStartKey: exclusiveStartKey,
          ...(conditions.length > 0
            ? {
                FilterExpression: conditions.join(' AND '),
                ExpressionAttributeNames: names,
                ExpressionAttributeValues: values,
              }
            : {}),
        }),
      ),
    );
    scanned += page.ScannedCount ?? 0;
    items.push(...((page.Items ?? []) as FleetItem[]));
    exclusiveStartKey = page.LastEvaluatedKey;
    options.onPage?.(scanned, items.length);
  } while (exclusiveStartKey);
  return items;
}

/** One item, read consistently; undefined when the table has none for the key. */
export async function readItem(
  documentClient: DynamoDBDocumentClient,
  tableName: string,
  key: { sellerId: string; region: Region },
): Promise<FleetItem | undefined> {
  const output = await awsCall('dynamodb:GetItem', `table ${tableName}`, () =>
    documentClient.send(new GetCommand({ TableName: tableName, Key: key, ConsistentRead: true })),
  );
  return output.Item as FleetItem | undefined;
}

/** Statuses the refresher still works on; an expired token in any other status is expected. */
export const REFRESHABLE_STATUSES: readonly string[] = ['ACTIVE', 'DEGRADED'];
