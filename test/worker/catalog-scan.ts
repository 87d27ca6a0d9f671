// The four queries computed the slow, obvious way from the transformed catalog (docs/reference.md#the-four-queries), as
// an independent reference for what the worker answers.
import type { DurationType, Platform, Title } from '../../contract';

export function scanMaxDuration(titles: Title[], q: { year?: number; platform?: Platform; unit: DurationType }): Title | null {
  const candidates = titles.filter(
    (t) =>
      t.duration_int !== null &&
      t.duration_type === q.unit &&
      (q.year === undefined || t.release_year === q.year) &&
      (q.platform === undefined || t.platform === q.platform),
  );
  candidates.sort(
    (a, b) =>
      b.duration_int! - a.duration_int! || (a.title < b.title ? -1 : a.title > b.title ? 1 : 0) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
  return candidates[0] ?? null;
}

export function scanScoreCount(titles: Title[], q: { platform: Platform; scored: number; year: number }): number {
  return titles.filter(
    (t) => t.type === 'movie' && t.platform === q.platform && t.release_year === q.year && t.score !== null && t.score > q.scored,
  ).length;
}

export function scanMovies(titles: Title[], platform: Platform): number {
  return titles.filter((t) => t.type === 'movie' && t.platform === platform).length;
}

export function scanActor(
  titles: Title[],
  q: { platform: Platform; year: number },
): { actor: string; count: number; tied: string[] } | null {
  const counts = new Map<string, number>();
  for (const t of titles) {
    if (t.platform !== q.platform || t.release_year !== q.year || t.cast === null) continue;
    const names = new Set(
      t.cast
        .split(',')
        .map((n) => n.trim())
        .filter((n) => n !== ''),
    );
    for (const name of names) counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  if (counts.size === 0) return null;
  const top = Math.max(...counts.values());
  const tied = [...counts]
    .filter(([, n]) => n === top)
    .map(([name]) => name)
    .sort();
  return { actor: tied[0], count: top, tied };
}
