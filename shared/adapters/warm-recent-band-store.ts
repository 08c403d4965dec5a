// (adapter) --> RecentBandStore port, for the one process that writes a shard's kept band: after its
// first read it answers from what it last merged, so a warm detect container never downloads and
// parses its own object again (a 5,000-series shard's is ~2 MB gzipped). Safe because a shard has one
// writer (reserved concurrency 1); a new container reads the stored object once. What it last merged
// is kept even when the write failed, so the next write carries that cycle's ranges too.
import type { RecentBands } from '../domain/recent-band';
import { type Shard, shardName } from '../domain/shards';
import type { RecentBandStore } from '../ports';

/** A shard writer's kept band: the stored object on first read, then its own last merge. */
export class WarmRecentBandStore implements RecentBandStore {
  private readonly last = new Map<string, RecentBands>();

  public constructor(private readonly inner: RecentBandStore) {}

  public async load(shard: Shard): Promise<RecentBands | undefined> {
    return this.last.get(shardName(shard)) ?? this.inner.load(shard);
  }

  public async save(shard: Shard, bands: RecentBands): Promise<void> {
    this.last.set(shardName(shard), bands);
    await this.inner.save(shard, bands);
  }
}
