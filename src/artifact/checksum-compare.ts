// Compares two streams of (path, sha256) pairs as they arrive, holding only the paths not yet seen on the
// other side, and says what differs by kind: a file whose content differs means it changed (or was damaged);
// a file on one side only means something else went wrong, and the message must not claim a change.
import { quoteName } from './entry-name.js';
import type { ArtifactChecksums } from './metadata-file.js';
import type { PathAccount } from './path-budget.js';

/** At most this many names are quoted per kind of difference. */
const EXAMPLES = 5;

interface Kind {
  count: number;
  examples: string[];
}

export interface ChecksumDifferences {
  /** On both sides with different hashes. */
  changed: Kind;
  /** Listed more than once on the 'actual' side. */
  repeated: Kind;
  /** Only on the first ('expected') side. */
  onlyExpected: Kind;
  /** Only on the second ('actual') side. */
  onlyActual: Kind;
  total: number;
}

export class ChecksumComparison {
  private readonly pendingExpected = new Map<string, string>();
  private readonly pendingActual = new Map<string, string>();
  private readonly changed: Kind = { count: 0, examples: [] };
  private readonly repeated: Kind = { count: 0, examples: [] };
  /** Paths seen on both sides (the strings are shared with the caller's table, so this costs little). */
  private readonly matched = new Set<string>();

  /** `budgetBytes` bounds what the 'actual' side (an instance's output) can make this hold. */
  private readonly account: PathAccount | undefined;

  /**
   * `account` is charged for the paths the 'actual' side (an instance's output) makes this hold; without one,
   * the actual side's strings are the caller's and cost nothing here.
   */
  constructor(account?: PathAccount) {
    this.account = account;
  }

  expected(key: string, hash: string): void {
    const other = this.pendingActual.get(key);
    if (other === undefined) {
      this.pendingExpected.set(key, hash);
      return;
    }
    this.pendingActual.delete(key);
    this.account?.drop(key.length);
    this.matched.add(key);
    if (other !== hash) note(this.changed, key);
  }

  /** Returns false once the 'actual' side holds more than the budget (the caller stops reading it). */
  actual(key: string, hash: string): boolean {
    const other = this.pendingExpected.get(key);
    if (other === undefined) {
      if (this.pendingActual.has(key) || this.matched.has(key)) {
        note(this.repeated, key);
        return true;
      }
      if (this.account && !this.account.hold(key.length)) return false;
      this.pendingActual.set(key, hash);
      return true;
    }
    this.pendingExpected.delete(key);
    this.matched.add(key);
    if (other !== hash) note(this.changed, key);
    return true;
  }

  expectedAll(checksums: ArtifactChecksums): void {
    for (const [key, hash] of Object.entries(checksums)) this.expected(key, hash);
  }

  differences(): ChecksumDifferences {
    const kindOf = (keys: Iterable<string>): Kind => {
      const kind: Kind = { count: 0, examples: [] };
      for (const key of [...keys].sort()) note(kind, key);
      return kind;
    };
    const onlyExpected = kindOf(this.pendingExpected.keys());
    const onlyActual = kindOf(this.pendingActual.keys());
    this.pendingExpected.clear();
    this.pendingActual.clear();
    this.account?.close();
    const total = this.changed.count + this.repeated.count + onlyExpected.count + onlyActual.count;
    return { changed: this.changed, repeated: this.repeated, onlyExpected, onlyActual, total };
  }
}

function note(kind: Kind, key: string): void {
  kind.count++;
  if (kind.examples.length < EXAMPLES) kind.examples.push(key);
}

/** E.g. `1 file with different content ('./a'), 2 files only on the instance ('./b', './c')`. */
export function describeDifferences(d: ChecksumDifferences, sides: { expected: string; actual: string }): string {
  const parts: string[] = [];
  const add = (kind: Kind, what: string) => {
    if (kind.count === 0) return;
    const shown = kind.examples.map(quoteName).join(', ');
    const more = kind.count > kind.examples.length ? ` and ${kind.count - kind.examples.length} more` : '';
    parts.push(`${kind.count} ${kind.count === 1 ? 'file' : 'files'} ${what} (${shown}${more})`);
  };
  add(d.changed, 'with different content');
  add(d.onlyExpected, `only ${sides.expected}`);
  add(d.onlyActual, `only ${sides.actual}`);
  add(d.repeated, `listed more than once ${sides.actual}`);
  return parts.join(', ');
}
