import type { MonthlyCost } from './arithmetic';
import type { ColdStartResult } from './cold-start';
import type { LayoutResult } from './fleet/layout';
import type { RegionsResult } from './fleet/regions';
import type { FleetResult } from './fleet/simulate';
import type { ThroughputResult } from './refresh-throughput';
import type { TokenClientResult } from './token-client';

/** What `npm run bench` writes to bench/results/latest.json. */
export interface BenchResults {
  readonly mode: 'quick' | 'full';
  readonly date: string;
  readonly command: string;
  readonly machine: {
    readonly cpus: number;
    readonly cpuModel: string;
    readonly node: string;
    readonly os: string;
    readonly memoryGb: number;
  };
  readonly stepSeconds: Record<string, number>;
  readonly throughput: ThroughputResult[];
  readonly tokenClient: TokenClientResult;
  readonly coldStart: ColdStartResult;
  readonly fleet: FleetResult[];
  /** Per-region stacks: independent refreshers whose fleets add up; absent from older results. */
  readonly regions?: RegionsResult;
  /** When the fleet simulation was merged in with `--only fleet`, if it was run apart from the rest. */
  readonly fleetDate?: string;
  readonly cost: {
    readonly pricesSource: string;
    readonly assumptions: Record<string, number | string>;
    readonly perThousandSellers: MonthlyCost;
  };
  /** Issue 15's layout study; absent from results written before it. */
  readonly layouts?: LayoutResult[];
  /** When the layout study was merged in with `--only layouts`, if it was run apart from the rest. */
  readonly layoutsDate?: string;
}
