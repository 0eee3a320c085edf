// Renders an HTML file in headless Chromium (Debian's `chromium`, installed by scripts/test.sh) without any
// npm dependency: a screenshot, and the facts a test checks, computed by the browser from the page it laid
// out. No pixel comparisons: the facts are structure (rows, bars, attributes, text) and sizes of laid-out boxes.
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';

const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--window-size=1400,900',
];

/** The chromium binary; throws (the test fails loudly) when it is missing. */
export async function findChromium(): Promise<string> {
  for (const candidate of ['/usr/bin/chromium', '/usr/bin/chromium-browser']) {
    if (await stat(candidate).then(() => true, () => false)) return candidate;
  }
  throw new Error('chromium is not installed: the report tests render pages in it. Run `apt-get install -y --no-install-recommends chromium` (scripts/test.sh does this).');
}

async function runChromium(args: string[]): Promise<string> {
  const profile = await mkdtemp(path.join(os.tmpdir(), 'bbr-ts-chromium-'));
  try {
    const result = await execa(await findChromium(), [...FLAGS, `--user-data-dir=${profile}`, ...args], { timeout: 90_000, reject: false, stdin: 'ignore' });
    if (result.exitCode !== 0) throw new Error(`chromium exited with ${result.exitCode}: ${result.stderr.slice(-2000)}`);
    return result.stdout;
  } finally {
    await rm(profile, { recursive: true, force: true });
  }
}

/** Takes a 1400x900 screenshot of the page into `pngFile`. */
export async function screenshot(htmlFile: string, pngFile: string): Promise<void> {
  await runChromium([`--screenshot=${pngFile}`, `file://${path.resolve(htmlFile)}`]);
}

export interface ReportFacts {
  title: string;
  status: string | null;
  exitCode: string | null;
  /** Script elements and on* attributes of the report itself (its page has none: anything here was injected). */
  scripts: number;
  eventHandlers: number;
  images: number;
  groups: string[];
  rows: {
    instance: string | null;
    job: string | null;
    label: string;
    failed: boolean;
    longest: boolean;
    lockWave: number | null;
    lockedStartMs: number | null;
    lockedEndMs: number | null;
    /** Laid-out width of the locked window, in px. */
    lockedWidthPx: number;
    bars: { kind: string | null; failed: boolean; critical: boolean; widthPx: number; heightPx: number; inTrack: boolean; title: string }[];
  }[];
  criticalPath: string[];
  longestLock: string;
  failures: string | null;
  summaryRows: number;
  textTableRows: number;
}

// Runs in the page after it loaded: collects facts from the DOM Chromium built and laid out, and puts them
// as JSON into an element that --dump-dom prints. Kept as plain browser JavaScript in a string.
const COLLECT = `
(() => {
  const own = document.getElementById('test-facts-script');
  const num = (v) => (v === null ? null : Number(v));
  const rect = (el) => el.getBoundingClientRect();
  const rows = [...document.querySelectorAll('.line.job')].map((row) => {
    const track = rect(row.querySelector('.track'));
    const locked = row.querySelector('.locked');
    return {
      instance: row.getAttribute('data-instance'),
      job: row.getAttribute('data-job'),
      label: row.querySelector('.label').textContent,
      failed: row.getAttribute('data-failed') === 'true',
      longest: row.hasAttribute('data-longest-lock'),
      lockWave: num(row.getAttribute('data-lock-wave')),
      lockedStartMs: num(row.getAttribute('data-locked-start-ms')),
      lockedEndMs: num(row.getAttribute('data-locked-end-ms')),
      lockedWidthPx: locked ? rect(locked).width : 0,
      bars: [...row.querySelectorAll('.bar')].map((bar) => {
        const r = rect(bar);
        return {
          kind: bar.getAttribute('data-kind'),
          failed: bar.getAttribute('data-failed') === 'true',
          critical: bar.getAttribute('data-critical') === 'true',
          widthPx: r.width,
          heightPx: r.height,
          inTrack: r.left >= track.left - 1 && r.right <= track.right + 1,
          title: bar.getAttribute('title') || '',
        };
      }),
    };
  });
  const all = [...document.querySelectorAll('*')];
  const facts = {
    title: document.title,
    status: document.body.getAttribute('data-status'),
    exitCode: document.body.getAttribute('data-exit-code'),
    scripts: [...document.scripts].filter((s) => s !== own).length,
    eventHandlers: all.filter((el) => el !== own && [...el.attributes].some((a) => a.name.startsWith('on'))).length,
    images: document.images.length,
    groups: [...document.querySelectorAll('.line.group .label')].map((el) => el.textContent),
    rows,
    criticalPath: [...document.querySelectorAll('#critical-path li')].map((li) => li.textContent),
    longestLock: document.getElementById('longest-lock')?.textContent ?? '',
    failures: document.getElementById('failures')?.textContent ?? null,
    summaryRows: document.querySelectorAll('.summary-table tbody tr').length,
    textTableRows: document.querySelectorAll('.text-table tbody tr').length,
  };
  const out = document.createElement('pre');
  out.id = 'test-facts';
  out.textContent = JSON.stringify(facts);
  document.body.append(out);
})();
`;

/** Loads a copy of the page with the collector appended and returns what it found. */
export async function reportFacts(htmlFile: string): Promise<ReportFacts> {
  const copy = path.join(await mkdtemp(path.join(os.tmpdir(), 'bbr-ts-facts-')), 'page.html');
  const html = await readFile(htmlFile, 'utf8');
  await writeFile(copy, html.replace(/<\/body>\s*<\/html>\s*$/, `<script id="test-facts-script">${COLLECT}</script></body></html>\n`));
  const dom = await runChromium(['--dump-dom', `file://${copy}`]);
  const match = /<pre id="test-facts">([\s\S]*?)<\/pre>/.exec(dom);
  if (!match) throw new Error(`the page did not yield facts; DOM starts with: ${dom.slice(0, 500)}`);
  // --dump-dom serialises text with &amp; &lt; &gt; escaped.
  const json = match[1]!.replaceAll('&lt;', '<').replaceAll('&gt;', '>').replaceAll('&quot;', '"').replaceAll('&amp;', '&');
  return JSON.parse(json) as ReportFacts;
}

/** True when the file starts with the PNG signature. */
export async function isPng(file: string): Promise<boolean> {
  const bytes = await readFile(file);
  return bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
}
