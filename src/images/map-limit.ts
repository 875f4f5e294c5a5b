/**
 * Runs `fn` over `items` with at most `limit` at once (layer downloads, blob uploads: registries
 * such as DaoCloud's mirror throttle a client that opens many requests). The first failure stops
 * new work and is rethrown once the running ones settle.
 */
export async function mapLimit<T>(
  items: T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failed: { err: unknown } | undefined;
  const worker = async () => {
    while (next < items.length && !failed) {
      const item = items[next++]!;
      try {
        await fn(item);
      } catch (err) {
        failed ??= { err };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failed) throw failed.err;
}
