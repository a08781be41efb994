import { describeFleetSimulation } from './fleet-simulation';

// The soak project's 24-hour day (test/soak/fleet-day.test.ts) at a size `npm test` can afford:
// the same checks (no expired read, refresh counts per token lifetime, the re-authorization wave
// with both in-flight races, the expiring-authorization events, the leak scan) over 60 runs.
describeFleetSimulation({
  hours: 2,
  sellers: 10,
  waveWithinHours: 1,
  waveSize: 4,
  authorizationExpiriesHours: [1.2, 1.35, 1.5, 1.65, 1.8],
  timeoutMs: 180_000,
});
