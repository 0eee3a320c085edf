// The wrapper and the stop program are shell text; run them through a real local sh and setsid (no SSH), so
// quoting, the exported environment, the process group and stopping it are proven rather than assumed.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { localShell } from '../../test/support/local-shell.js';
import { useScratchDir } from '../../test/support/scratch-dir.js';
import { COMMAND_ID_VARIABLE, groupCommand } from './process-group.js';

const shell = localShell();

const scratch = useScratchDir('bbr-ts-group-');

// Each test waits on real processes; on a loaded 2-core CI machine that takes longer than vitest's 5 s default.
describe('groupCommand', { timeout: 60_000 }, () => {
  it('exports the environment intact, creates the directory, and passes the exit status through', async () => {
    const target = path.join(scratch(), "a b'c", 'artifact');
    const group = groupCommand(shell, ['sh', '-c', 'printf "%s|%s" "$BBR_ARTIFACT_DIRECTORY" "$ODD"; test -d "$BBR_ARTIFACT_DIRECTORY"; exit 7'], {
      env: { BBR_ARTIFACT_DIRECTORY: target, ODD: "$(id) `x` 'q' \"d\" \\ ;" },
      createDirectory: target,
    });
    const result = await shell.exec(group.command);
    expect(result.stdout).toBe(`${target}|$(id) \`x\` 'q' "d" \\ ;`);
    expect(result.exitCode).toBe(7);
    expect((await stat(target)).isDirectory()).toBe(true);
  });

  it('runs the command as the leader of its own process group, marked with its id', async () => {
    const group = groupCommand(shell, ['sh', '-c', `s=$(cat /proc/$$/stat); s=\${s##*) }; set -- $s; echo "$$ $3 $${COMMAND_ID_VARIABLE}"`]);
    const [pid, pgrp, id] = (await shell.exec(group.command)).stdout.trim().split(' ');
    expect(pgrp).toBe(pid);
    expect(id).toMatch(new RegExp(`^[0-9a-f-]{36}:${pid}$`));
  });

  it('fails before the command when the directory cannot be created', async () => {
    const blocker = path.join(scratch(), 'file');
    await promisify(execFile)('touch', [blocker]);
    const group = groupCommand(shell, ['sh', '-c', 'echo ran'], { createDirectory: path.join(blocker, 'sub') });
    const result = await shell.exec(group.command);
    expect(result.exitCode).not.toBe(0);
    expect(result.stdout).toBe('');
  });

  it('stop kills the whole group, grandchildren included, and is a no-op once it has ended', async () => {
    const pidFile = path.join(scratch(), 'grandchild.pid');
    // The grandchild ignores nothing but would outlive a plain kill of the script.
    const group = groupCommand(shell, ['sh', '-c', `sleep 600 & echo $! > '${pidFile}'; wait`]);
    const running = shell.exec(group.command);
    const grandchild = await waitForPid(pidFile);
    await group.stop('TERM');
    const result = await running;
    expect(result.exitCode).not.toBe(0);
    // Its output closes a moment before the kernel marks it dead: wait (bounded) for the end, not for a time.
    expect(await diesWithin(grandchild, 10_000)).toBe(true);
    await expect(group.stop('KILL')).resolves.toBeUndefined();
  });

  it('stop spares a daemon the command started in a session of its own, as it left the group on purpose', async () => {
    const daemonFile = path.join(scratch(), 'daemon.pid');
    const childFile = path.join(scratch(), 'child.pid');
    const group = groupCommand(shell, ['sh', '-c', `setsid sh -c 'echo $$ > "$1"; exec sleep 600' sh '${daemonFile}' </dev/null >/dev/null 2>&1 & sleep 600 & echo $! > '${childFile}'; wait`]);
    const running = shell.exec(group.command);
    const [daemon, child] = [await waitForPid(daemonFile), await waitForPid(childFile)];
    try {
      await group.stop('KILL');
      await running;
      // Killed is not yet reaped: under load the orphaned child can linger as a zombie for a moment (a bound, not a timing assertion).
      expect(await diesWithin(child, 10_000)).toBe(true);
      expect(isAlive(daemon)).toBe(true);
    } finally {
      process.kill(daemon, 'SIGKILL');
    }
  });

  it('stop leaves other groups alone', async () => {
    const pidFile = path.join(scratch(), 'other.pid');
    const other = groupCommand(shell, ['sh', '-c', `echo $$ > '${pidFile}'; sleep 600`]);
    const target = groupCommand(shell, ['true']);
    const running = shell.exec(other.command);
    const otherPid = await waitForPid(pidFile);
    await target.stop('KILL');
    expect(isAlive(otherPid)).toBe(true);
    await other.stop('KILL');
    await running;
  });
});

async function waitForPid(file: string): Promise<number> {
  // A bound, not a timing assertion: a busy machine may take seconds to start a shell.
  for (let i = 0; i < 1200; i++) {
    const text = await readFile(file, 'utf8').catch(() => '');
    if (/^\d+\n$/.test(text)) return Number(text.trim());
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`no pid in ${file}`);
}

async function diesWithin(pid: number, boundMs: number): Promise<boolean> {
  for (const until = Date.now() + boundMs; Date.now() < until; await new Promise((r) => setTimeout(r, 20))) {
    if (!isAlive(pid)) return true;
  }
  return !isAlive(pid);
}

/** Running, not a zombie: an orphan is reaped by pid 1, which in a container may never do it. */
function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}
