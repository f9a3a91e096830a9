// One sample from a running server's /metrics, for the benches that watch it (rows applied, rollup lag).

/** The value of the unlabelled metric `name` on the server at `port` (NaN when it is absent). */
export async function metricValue(port: number, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
}
