import { describeFleetSimulation } from '../integration/refresh/fleet-simulation';

// A whole day: 720 two-minute runs for 50 sellers, about 4,300 refreshes and 2,200 batch reads
// against moto, so it takes minutes; `npm run test:soak` runs it, `npm test` runs a 2-hour version
// (test/integration/refresh/fleet-day.test.ts).
describeFleetSimulation({
  hours: 24,
  sellers: 50,
  waveWithinHours: 20,
  waveSize: 5,
  authorizationExpiriesHours: [4, 8, 12, 16, 20],
  timeoutMs: 900_000,
});
