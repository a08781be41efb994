/** Renders the results as Markdown: the summary table the README quotes, then the details. */
import type { BenchResults } from './results-types';

export function renderReport(results: BenchResults): string {
  const study = renderLayoutStudy(results);
  return [...summary(results), '', ...details(results), ...(study.length > 0 ? ['', ...study] : [])].join(
    '\n',
  );
}

/** Issue 15: today's layout beside sharded ones, then their cost by item. */
export function renderLayoutStudy(r: BenchResults): string[] {
  const layouts = r.layouts ?? [];
  if (layouts.length === 0) return [];
  const lines = [
    `### Sharded layout study (issue 15)${r.layoutsDate ? `, run ${r.layoutsDate.slice(0, 10)}` : ''}`,
    '',
    '| scenario | sellers → secrets | expired before refresh (at end) | peak PutSecretValue/s; all calls on the 50/s write quota (share) | most versions of a secret in 24 h | LWA calls/s peak / mean (slots) | lead min / p1 | largest secret | runs over budget | cost per 1,000 sellers-month | sim wall s |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const l of layouts) {
    lines.push(
      row(
        `${l.name}, ${l.hours} h`,
        `${int(l.sellers)} → ${int(l.secrets)}`,
        `**${int(l.expiredBeforeRefresh)}** (${int(l.expiredAtEnd)})`,
        `${l.peakPutSecretValuePerSecond}; with stage moves ${l.peakWriteQuotaCallsPerSecond} (${num(l.quotaShare * 100, 0)} %)`,
        `${l.maxVersionsPerSecret}`,
        `${int(l.lwaCallsPerSecond.peak)} / ${num(l.lwaCallsPerSecond.mean, 1)} (${l.lwaMaxConcurrency})`,
        `${num(l.leadMinutes.min, 1)} / ${num(l.leadMinutes.p1, 1)} min`,
        `${int(l.largestSecretBytes)} B${l.writesOverSizeLimit > 0 ? ` (**${int(l.writesOverSizeLimit)} writes over 64 KB**)` : ''}`,
        `${int(l.runsHitBudget)} of ${int(l.runs)} (longest ${num(l.maxRunSeconds, 0)} s)`,
        `**${usd(l.costPerThousandSellers.variable.total)}**`,
        num(l.wallSeconds, 1),
      ),
    );
  }
  lines.push(
    '',
    'Cost per 1,000 sellers-month by item (bench/prices.ts; the per-deployment fixed cost is apart):',
    '',
    '| scenario | secrets | Secrets Manager API | KMS requests | DynamoDB writes | DynamoDB reads | Lambda | total | a process reading all 1,000 adds |',
    '|---|---|---|---|---|---|---|---|---|',
  );
  for (const l of layouts) {
    const v = l.costPerThousandSellers.variable;
    lines.push(
      row(
        l.name,
        usd(v.secretStorage),
        usd(v.secretsManagerApi),
        usd(v.kmsRequests),
        usd(v.dynamoDbWrites),
        usd(v.dynamoDbReads),
        usd(v.lambdaCompute),
        `**${usd(v.total)}**`,
        usd(l.costPerThousandSellers.perReadingProcess),
      ),
    );
  }
  return lines;
}

export function summary(r: BenchResults): string[] {
  const lines = [
    `Measured ${r.date.slice(0, 10)} on ${r.machine.cpus} × ${r.machine.cpuModel}, ${r.machine.memoryGb} GB, Node ${r.machine.node}, ${r.machine.os}; \`${r.command}\` (${r.mode} mode).`,
    '',
    '| # | measurement | result | target |',
    '|---|---|---|---|',
  ];
  for (const t of r.throughput) {
    lines.push(
      row(
        '1',
        `refresh throughput: ${int(t.sellers)} due sellers, LWA +${t.lwaLatencyMs} ms, concurrency ${t.setting.concurrency}, LWA concurrency ${t.setting.lwaMaxConcurrency}, write cap ${t.setting.writeCapPerSecond}/s`,
        `${num(t.sellersPerSecond, 1)} sellers/s; bound ${num(t.boundPerSecond, 1)}/s (${t.boundLimitedBy}; ${num(t.perRefreshLatencyMs, 0)} ms per refresh) → **ratio ${num(t.ratioToBound, 2)}**`,
        '≥ 0.8',
      ),
    );
  }
  const main = r.throughput[0];
  if (main) {
    const ops = Object.entries(main.calls.byOperation)
      .filter(([operation]) => !operation.endsWith('.Query'))
      .map(([operation, perRefresh]) => `${shortOperation(operation)} ${num(perRefresh, 2)}`)
      .join(', ');
    lines.push(
      row(
        '2',
        `AWS calls per refreshed seller (${int(main.summary.refreshed)} refreshed)`,
        `**${num(main.calls.perRefresh, 2)}** (${ops}) + LWA ${num(main.lwaCallsPerRefresh, 2)} = ${num(main.calls.perRefresh + main.lwaCallsPerRefresh, 2)}; plus ${int(main.calls.queryPages)} Query pages for the run`,
        '≤ 5 incl. LWA, plus pages',
      ),
    );
  }
  const tc = r.tokenClient;
  lines.push(
    row(
      '3',
      `cached \`getAccessToken\`, ${int(tc.calls)} calls in-process`,
      `p50 **${us(tc.perCallNs.p50)}**, p99 **${us(tc.perCallNs.p99)}** per call (timer floor ${us(tc.timerOverheadNs.p50)}); mean in batches of ${int(tc.batchSize)}: p50 ${us(tc.batchMeanNs.p50)}, p99 ${us(tc.batchMeanNs.p99)}`,
      'p99 < 50 µs',
    ),
  );
  const py = tc.python;
  if (py) {
    lines.push(
      row(
        '3',
        `cached \`get_access_token\` (Python ${py.pythonVersion}, lwa-token-client ${py.clientVersion}), ${int(py.calls)} calls in-process, timed the same way`,
        `p50 **${us(py.perCallNs.p50)}**, p99 **${us(py.perCallNs.p99)}** per call (timer floor ${us(py.timerOverheadNs.p50)}); mean in batches of ${int(py.batchSize)}: p50 ${us(py.batchMeanNs.p50)}, p99 ${us(py.batchMeanNs.p99)}`,
        'p99 < 50 µs',
      ),
    );
  }
  const pkg = tc.npmPackage;
  if (pkg) {
    lines.push(
      row(
        '3',
        `\`${pkg.tarball}\`: its ESM build minified into a bundle, AWS SDK external`,
        `**${num(pkg.minifiedEsmBytes / 1024, 1)} KiB** (${int(pkg.minifiedEsmBytes)} bytes); tarball ${num(pkg.tarballBytes / 1024, 1)} KiB`,
        '< 12 KiB',
      ),
    );
  }
  lines.push(
    row(
      '3',
      `token client over 1 simulated hour: ${int(tc.simulatedHour.reads)} reads of ${tc.simulatedHour.sellers} sellers, refresher writing (${tc.simulatedHour.refresherWrites} new versions)`,
      `**${num(tc.simulatedHour.getSecretValuePer10kReads, 0)} GetSecretValue per 10,000 reads** = ${num(tc.simulatedHour.readsPerToken, 2)} per token version served; ${tc.simulatedHour.staleServed} stale tokens served`,
      '1 read per token lifetime',
    ),
  );
  for (const fn of r.coldStart.functions) {
    const b = fn.baseline;
    lines.push(
      row(
        '4',
        `cold start \`${fn.name}\`: minified bundle, module init (median of ${r.coldStart.runs})`,
        b
          ? `${kb(fn.bundleBytes)} vs ${kb(b.bundleBytes)} baseline (**${num(b.sizeRatio, 2)}×**); ${num(fn.initMsMedian, 1)} ms vs ${num(b.initMsMedian, 1)} ms (**${num(b.initRatio, 2)}×**)`
          : `${kb(fn.bundleBytes)}; ${num(fn.initMsMedian, 1)} ms (no baseline)`,
        '≤ 1.3×',
      ),
    );
  }
  lines.push(...fleetRows(r));
  const c = r.cost.perThousandSellers;
  lines.push(
    row(
      '6',
      'monthly cost per 1,000 sellers (us-east-1 list prices)',
      `**${usd(c.variable.total)}**: ${costLines(c.variable)}; plus ${usd(c.fixed.total)} per deployment (${costLines(c.fixed)}); each process reading tokens adds ${usd(c.perReadingProcess)}`,
      '—',
    ),
  );
  return lines;
}

function details(r: BenchResults): string[] {
  const lines: string[] = ['### Details', ''];
  lines.push('Refresh runs (measurements 1 and 2):', '');
  lines.push(
    '| setting | wall s | refreshed | wall per refresh | write-limiter wait | LWA queue | LWA call | AWS ms per call (through the proxy into moto) | idle run |',
    '|---|---|---|---|---|---|---|---|---|',
  );
  for (const t of r.throughput) {
    const aws = Object.entries(t.awsOperationMs)
      .map(([operation, ms]) => `${operation.replace(/Command$/, '')} ${num(ms, 1)}`)
      .join(', ');
    lines.push(
      `| ${t.setting.name} | ${num(t.wallSeconds, 1)} | ${int(t.summary.refreshed)}/${int(t.sellers)} | ${num(t.meanWallPerRefreshMs, 0)} ms | ${num(t.meanWriteLimiterWaitMs, 0)} ms | ${num(t.meanLwaQueueWaitMs, 0)} ms | ${num(t.meanLwaCallMs, 0)} ms | ${aws} | ${num(t.idleRun.wallSeconds * 1000, 0)} ms, ${sumValues(t.idleRun.awsCalls)} calls |`,
    );
  }
  const main = r.throughput[0];
  if (main) {
    lines.push(
      '',
      `AWS requests of the ${main.setting.name} run, by operation: ${JSON.stringify(main.awsCalls)}`,
    );
  }
  lines.push('', 'Fleet simulations (measurement 5):', '');
  lines.push(
    '| scenario | refreshes | per seller-day | inside 60 s reader margin | longest run | most due in a run | sim wall s | µs per refresh |',
    '|---|---|---|---|---|---|---|---|',
  );
  for (const f of r.fleet) {
    lines.push(
      `| ${f.scenario.name} | ${int(f.refreshes)} | ${num(f.refreshesPerSellerDay, 1)} | ${int(f.insideReaderMargin)} | ${num(f.maxRunSeconds, 1)} s | ${int(f.maxDuePerRun)} | ${num(f.wallSeconds, 1)} | ${num(f.microsecondsPerRefresh, 0)} |`,
    );
  }
  lines.push('', `Cost assumptions: ${JSON.stringify(r.cost.assumptions)}; prices: ${r.cost.pricesSource}.`);
  lines.push(`Step durations (s): ${JSON.stringify(r.stepSeconds)}`);
  return lines;
}

function row(...cells: string[]): string {
  return `| ${cells.join(' | ')} |`;
}

function shortOperation(operation: string): string {
  return operation.slice(operation.lastIndexOf('.') + 1);
}

function costLines(lines: object): string {
  return Object.entries(lines as Record<string, number>)
    .filter(([item]) => item !== 'total')
    .map(([item, value]) => `${item} ${usd(value)}`)
    .join(', ');
}

function sumValues(record: Record<string, number>): number {
  return Object.values(record).reduce((sum, value) => sum + value, 0);
}

export function num(value: number, digits: number): string {
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function int(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

function us(nanoseconds: number): string {
  return `${num(nanoseconds / 1000, 2)} µs`;
}

function kb(bytes: number): string {
  return `${num(bytes / 1024, 0)} KiB`;
}

function usd(value: number): string {
  return `$${value.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

/** Rows 5: the fleet simulation, then the per-region fleet. */
function fleetRows(r: BenchResults): string[] {
  const lines: string[] = [];
  for (const f of r.fleet) {
    const timing =
      f.runsStartedLate === undefined
        ? ''
        : `; longest run ${num(f.maxRunSeconds, 1)} s, latest end ${num(f.latestRunEndSeconds ?? 0, 1)} s after its tick, ${int(f.runsStartedLate)} started late, ${int(f.runsSkipped ?? 0)} skipped`;
    lines.push(
      row(
        '5',
        `fleet ${f.scenario.name}: ${int(f.scenario.sellers)} sellers, ${f.scenario.hours} simulated h, cap ${f.scenario.writeCapPerSecond}/s (capacity ≈ ${int(f.capacitySellers)}, ${num((f.scenario.sellers / f.capacitySellers) * 100, 1)} %)`,
        `**${int(f.expiredBeforeRefresh)} expired before refresh** (+${int(f.expiredAtEnd)} expired at the end); peak ${f.peakWritesPerSecond} writes/s in a 1-s sliding window; lead min ${num(f.leadMinutes.min, 1)} / p1 ${num(f.leadMinutes.p1, 1)} / p50 ${num(f.leadMinutes.p50, 1)} min; ${int(f.runsHitBudget)} of ${int(f.runs)} runs left sellers due at their deadline${timing}`,
        `0 expired; peak ≤ ${f.scenario.writeCapPerSecond}`,
      ),
    );
  }
  const g = r.regions;
  if (g) {
    lines.push(
      row(
        '5',
        `per-region stacks: ${g.regions} AWS regions × ${int(g.sellersPerRegion)} sellers at ${g.writeCapPerSecondPerRegion}/s each, ${g.hours} simulated h, independent refreshers`,
        `**${int(g.totalSellers)} sellers, ${int(g.expiredBeforeRefresh)} expired before refresh** (+${int(g.expiredAtEnd)} at the end); peak ${g.peakWritesPerSecondPerRegion} writes/s in any one region; ${int(g.runsHitBudget)} of ${int(g.runs)} runs left sellers due; ${num(g.wallSeconds, 0)} s of simulation`,
        `0 expired; peak ≤ ${g.writeCapPerSecondPerRegion} per region`,
      ),
    );
  }
  return lines;
}

/** The fleet rows alone, as `--only fleet` prints them. */
export function renderFleet(r: BenchResults): string[] {
  return [
    `### Fleet simulation${r.fleetDate ? `, run ${r.fleetDate.slice(0, 10)}` : ''}`,
    '',
    '| # | measurement | result | target |',
    '|---|---|---|---|',
    ...fleetRows(r),
  ];
}
