"""Times the Python token client's cached read the way bench/token-client.ts times the TypeScript one.

Run by bench/token-client.ts with .venv/python-client's python (boto3 and the client's wheel), with
the AWS environment pointing at moto, after the real callback code has written the sellers' secrets:

    python python-client-timing.py <calls> <batch size> <out dir> <sellers JSON: [[sellerId, region], ...]>

Writes per-call, timer-overhead and batch-mean samples (nanoseconds, float64, native byte order) to
<out dir>/{per-call,timer,batch-means}.f64 so the bench computes percentiles with the same code for
both clients, and prints {"python": version, "client": version} on stdout.
"""

import json
import platform
import sys
import time
from array import array
from importlib.metadata import version

from lwa_token_client import TokenClient


def main() -> None:
    calls, batch_size, out_dir, sellers_json = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
    sellers = [(seller_id, region) for seller_id, region in json.loads(sellers_json)]
    count = len(sellers)
    client = TokenClient()
    get = client.get_access_token
    perf = time.perf_counter_ns
    for seller_id, region in sellers:
        get(seller_id, region)

    def time_calls(n: int) -> array:
        samples = array("d", bytes(8 * n))
        for i in range(n):
            seller_id, region = sellers[i % count]
            started = perf()
            get(seller_id, region)
            samples[i] = perf() - started
        return samples

    time_calls(min(100_000, calls))  # warm-up, as the TypeScript side does
    per_call = time_calls(calls)

    timer = array("d", bytes(8 * calls))
    for i in range(calls):
        started = perf()
        timer[i] = perf() - started

    batches = max(1, calls // batch_size)
    batch_means = array("d", bytes(8 * batches))
    for b in range(batches):
        started = perf()
        for i in range(batch_size):
            seller_id, region = sellers[i % count]
            get(seller_id, region)
        batch_means[b] = (perf() - started) / batch_size

    for name, samples in (("per-call", per_call), ("timer", timer), ("batch-means", batch_means)):
        with open(f"{out_dir}/{name}.f64", "wb") as out:
            samples.tofile(out)
    print(json.dumps({"python": platform.python_version(), "client": version("lwa-token-client")}))


if __name__ == "__main__":
    main()
