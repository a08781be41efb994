/** Prices issue 15's simulated layouts (in the bench's own process: lib/defaults loads the CDK). */
import { DEFAULTS } from '../../lib/defaults';
import { type MonthlyCost, monthlyCost } from '../arithmetic';
import { PRICES } from '../prices';
import { layoutCostInput } from '../sharded-arithmetic';
import type { LayoutFigures } from './layout-figures';

export interface LayoutResult extends LayoutFigures {
  readonly costPerThousandSellers: MonthlyCost;
}

/** The refresher's memory size, from the one place defaults live. */
export const LAMBDA_MEMORY_GB = DEFAULTS.refreshMemorySize / 1024;

/** Both layouts keep one sellers-table item per secret in the `byRegion` index (0.5 KB). */
const INDEXED_ITEM_KB = 0.5;

/**
 * Monthly cost per 1,000 sellers of a simulated layout, priced with bench/prices.ts: every write
 * reads the secret first (GetSecretValue + PutSecretValue, one KMS request each) and updates its
 * item twice (lease and result), as the refresher does today; an idle run reads one Query page per
 * region. A shard write also moves AWSCURRENT with UpdateSecretVersionStage, the compare-and-swap
 * that keeps a concurrent re-authorization (docs/design/sharded-layout.md); it makes no KMS request.
 */
export function priceLayout(figures: LayoutFigures): LayoutResult {
  if (!(figures.secretWrites > 0)) throw new RangeError(`${figures.name}: no writes to price`);
  const costPerThousandSellers = monthlyCost(
    layoutCostInput({
      sellers: 1000,
      sellersPerSecret: figures.sellers / figures.secrets,
      writesPerSecretPerDay: (figures.secretWrites / figures.secrets) * (24 / figures.hours),
      secretsManagerCallsPerWrite: figures.layout === 'sharded' ? 3 : 2,
      kmsRequestsPerWrite: 2,
      updateItemsPerWrite: 2,
      indexWritesPerWrite: 3,
      itemSizeKb: INDEXED_ITEM_KB,
      lambdaSecondsPerWrite: figures.simulatedRunSeconds / figures.secretWrites,
      lambdaMemoryGb: LAMBDA_MEMORY_GB,
      invocationsPerDay: 1440,
      idleRunSeconds: (3 * figures.awsMs) / 1000,
      idleQueryPagesPerRun: 3,
    }),
    PRICES,
  );
  return { ...figures, costPerThousandSellers };
}
