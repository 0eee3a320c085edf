// Suggests the script name a release author probably meant (`post-backup-unlok` → `post-backup-unlock`).
// A 20-line Levenshtein distance is simpler to keep than a dependency for it.

/** Levenshtein distance: insertions, deletions and substitutions each cost 1. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/** The closest candidate when it is close enough to be a typo (at most a third of its length away). */
export function closestName(name: string, candidates: readonly string[]): string | undefined {
  // `backup.sh` is a common slip: BBR only runs files named exactly `backup`.
  const bare = name.toLowerCase().replace(/\.(sh|bash|erb|py|rb)$/, '');
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = editDistance(bare, candidate);
    if (!best || distance < best.distance) best = { candidate, distance };
  }
  if (!best) return undefined;
  return best.distance <= Math.max(2, Math.floor(best.candidate.length / 3)) ? best.candidate : undefined;
}
