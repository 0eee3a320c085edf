// What `tar -x` will create, entry by entry, and whether all of it stays inside the job's artifact folder.
//
// GNU tar resolves every member name through the file system it is writing: a symlink extracted earlier is
// followed when a later name passes through it (`x -> .` then `x/y -> ..` puts a link to the parent where
// `y` was expected). So the rules are strict rather than clever, and an archive `tar -c` made of a real folder
// always passes them:
// - no absolute names, no '..' component;
// - no entry below an earlier symlink or file, no entry that replaces an earlier symlink or file, no file
//   that replaces a directory (each would make extraction differ from the list of entries);
// - a symlink's target, resolved through every symlink of the archive as the kernel would, stays inside
//   (checked when the entry comes and again at the end, since a later link can change an earlier target);
// - a hard link points at an earlier file (or symlink) of the archive; a file's hash then belongs to it too;
// - no setuid bit, and no setgid bit on anything but a directory: `tar -x` runs as root and keeps modes, so an
//   artifact could otherwise plant a setuid-root program on the instance. bbr-ts refuses rather than strips, so
//   that what verify accepts is exactly what restore writes.
import { quoteName } from './entry-name.js';
import { PathAccount } from './path-budget.js';
import type { TarEntry } from './tar-reader.js';

/** Kernel limit on symlinks followed while resolving one path (Linux MAXSYMLINKS). */
const MAX_SYMLINK_HOPS = 40;

export type Placed = { kind: 'file'; key: string } | { kind: 'link-to-file'; key: string; target: string } | { kind: 'other' };

export class UnsafeEntryError extends Error {}

/** The run's memory budget for paths is spent (path-budget.ts). */
export class PathBudgetError extends Error {}

export class ArchiveTree {
  /** Files by checksum key ('./a/b': the same string the checksum table holds, so it is stored once). */
  private readonly files = new Set<string>();
  /** Symlinks and directories by canonical path ('a/b'); a symlink maps to its target text. */
  private readonly symlinks = new Map<string, string>();
  private readonly directories = new Set<string>();
  readonly account: PathAccount;

  constructor(account: PathAccount = new PathAccount()) {
    this.account = account;
  }

  /** Records the entry, or throws UnsafeEntryError. For files and hard links, returns the checksum key. */
  place(entry: TarEntry): Placed {
    const name = entry.name;
    const unsafe = (why: string) => new UnsafeEntryError(`tar entry ${quoteName(name)} is unsafe (${why})`);
    const parts = canonical(name, (why) => unsafe(why));
    const path = parts.join('/');
    if (path === '' && entry.type !== 'directory') throw unsafe('it would replace the artifact folder itself');
    for (let i = 1; i < parts.length; i++) {
      const prefix = parts.slice(0, i).join('/');
      if (this.symlinks.has(prefix)) throw unsafe(`it lies below the symbolic link ${quoteName(`./${prefix}`)}, which extraction would follow`);
      if (this.files.has(`./${prefix}`)) throw unsafe(`it lies below the file ${quoteName(`./${prefix}`)}`);
    }
    const key = `./${path}`;
    if (this.symlinks.has(path) || this.files.has(key)) throw unsafe('the archive has an earlier entry with the same name');
    if (entry.type !== 'directory' && this.directories.has(path)) throw unsafe('it would replace a directory of the archive');
    if (entry.type !== 'symlink' && entry.type !== 'link') {
      if (entry.mode & 0o4000) throw unsafe('setuid bit: restore as root would keep it');
      if (entry.mode & 0o2000 && entry.type !== 'directory') throw unsafe('setgid bit: restore as root would keep it');
    }
    for (let i = 1; i < parts.length; i++) this.hold(this.directories, parts.slice(0, i).join('/'));

    switch (entry.type) {
      case 'directory':
        this.hold(this.directories, path);
        return { kind: 'other' };
      case 'file':
        this.hold(this.files, key);
        return { kind: 'file', key };
      case 'symlink': {
        if (entry.linkname.startsWith('/')) throw unsafe(`symbolic link to ${quoteName(entry.linkname)} outside the artifact`);
        this.checkTarget(path, entry.linkname, unsafe);
        this.charge(path.length + entry.linkname.length);
        this.symlinks.set(path, entry.linkname);
        return { kind: 'other' };
      }
      case 'link': {
        const outside = () => unsafe(`hard link to ${quoteName(entry.linkname)} outside the artifact`);
        if (entry.linkname.startsWith('/')) throw outside();
        const target = canonical(entry.linkname, outside).join('/');
        if (this.files.has(`./${target}`)) {
          this.hold(this.files, key);
          return { kind: 'link-to-file', key, target: `./${target}` };
        }
        const symlinkTarget = this.symlinks.get(target);
        if (symlinkTarget !== undefined) {
          // A hard link to a symlink is that symlink again, at a new place: its target must be checked from there.
          this.checkTarget(path, symlinkTarget, unsafe);
          this.charge(path.length + symlinkTarget.length);
          this.symlinks.set(path, symlinkTarget);
          return { kind: 'other' };
        }
        throw unsafe(`hard link to ${quoteName(entry.linkname)}, which is not an earlier file of the artifact`);
      }
    }
  }

  /** At the end of the archive: every symlink, resolved through all the others, still points inside. */
  finish(): void {
    for (const [path, target] of this.symlinks) {
      this.checkTarget(path, target, (why) => new UnsafeEntryError(`tar entry ${quoteName(`./${path}`)} is unsafe (${why})`));
    }
  }

  private hold(set: Set<string>, path: string): void {
    if (set.has(path)) return;
    this.charge(path.length);
    set.add(path);
  }

  private charge(length: number): void {
    if (!this.account.hold(length)) {
      throw new PathBudgetError(`the artifacts list more paths than bbr-ts holds in memory in one run (about ${this.account.limitMiB} MiB of paths)`);
    }
  }

  private checkTarget(path: string, target: string, unsafe: (why: string) => Error): void {
    const parent = path.split('/').slice(0, -1);
    const result = this.resolve(parent, target);
    if (result === 'outside') throw unsafe(`symbolic link to ${quoteName(target)} outside the artifact`);
    if (result === 'loop') throw unsafe(`symbolic link to ${quoteName(target)} that loops`);
  }

  /** Resolves `target` from the directory `start` the way the kernel would, through the archive's symlinks. */
  private resolve(start: string[], target: string): 'inside' | 'outside' | 'loop' {
    const stack = [...start];
    const queue = target.split('/');
    let hops = 0;
    while (queue.length > 0) {
      const part = queue.shift()!;
      if (part === '' || part === '.') continue;
      if (part === '..') {
        if (stack.length === 0) return 'outside';
        stack.pop();
        continue;
      }
      stack.push(part);
      const link = this.symlinks.get(stack.join('/'));
      if (link === undefined) continue;
      if (++hops > MAX_SYMLINK_HOPS) return 'loop';
      if (link.startsWith('/')) return 'outside';
      stack.pop();
      queue.unshift(...link.split('/'));
    }
    return 'inside';
  }
}

/** Components without '' and '.'; refuses absolute names and '..' (GNU tar would strip or skip them). */
function canonical(name: string, unsafe: (why: string) => Error): string[] {
  if (name.startsWith('/')) throw unsafe('absolute path');
  const parts = name.split('/').filter((part) => part !== '' && part !== '.');
  if (parts.includes('..')) throw unsafe("path contains '..'");
  return parts;
}
