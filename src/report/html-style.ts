// The --report page's stylesheet, inlined so the file opens anywhere (no network, no fonts). Each step kind
// has its own pattern and letter, locked windows are hatched and framed, failures are cross-hatched with a
// mark and the critical path is outlined: all readable in greyscale and on paper.
export const REPORT_CSS = `
:root { --label: 17rem; --row: 1.4rem; color: #111; background: #fff; font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; }
body { margin: 1.2rem 1.5rem; }
h1 { font-size: 1.35rem; margin: 0 0 .5rem; }
h2 { font-size: 1.1rem; margin: 1.4rem 0 .4rem; }
.verdict { padding: 0 .4rem; border: 2px solid; border-radius: 3px; }
.verdict.ok { color: #0b6b2b; } .verdict.failed { color: #b00020; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .1rem 1rem; margin: 0; }
dl.facts dt { font-weight: 600; } dl.facts dd { margin: 0; overflow-wrap: anywhere; }
.callout { margin: .4rem 0; padding: .35rem .6rem; border-left: 5px solid #e65100; background: #fff3e0; }
.callout.critical { border-left-color: #111; background: #f4f4f4; }
.callout.failures { border-left-color: #b00020; background: #fdecea; }
ol.path { display: flex; flex-wrap: wrap; gap: .1rem .4rem; margin: .2rem 0 0; padding: 0; list-style: none; }
ol.path li:not(:last-child)::after { content: " \\2192"; }
.legend { display: flex; flex-wrap: wrap; gap: .3rem 1rem; margin: .3rem 0 .5rem; font-size: .8rem; padding: 0; list-style: none; }
.legend li { display: flex; align-items: center; gap: .3rem; }
.legend .bar, .legend .locked { position: static; display: inline-block; width: 2.2rem; height: 1rem; }
.scroll { max-height: 75vh; overflow: auto; border: 1px solid #999; }
.chart { position: relative; min-width: 62rem; }
.overlay { position: absolute; top: 0; bottom: 0; left: var(--label); right: 0; pointer-events: none; z-index: 3; }
.line { display: grid; grid-template-columns: var(--label) 1fr; min-height: var(--row); border-bottom: 1px solid #e4e4e4; }
.label { position: sticky; left: 0; z-index: 4; background: #fff; padding: 0 .4rem; font-size: .8rem; line-height: var(--row);
  white-space: nowrap; overflow: hidden; text-overflow: ellipsis; border-right: 1px solid #999; }
.track { position: relative; overflow: hidden; }
.axis { position: sticky; top: 0; z-index: 5; background: #fff; border-bottom: 1px solid #777; }
.tick { position: absolute; top: 0; bottom: 0; border-left: 1px solid #777; padding-left: 2px; font-size: .7rem; line-height: var(--row); }
.group .label, .group .track { background: #efefef; font-weight: 700; }
.phase, .wave { position: absolute; top: 2px; bottom: 2px; box-sizing: border-box; border: 1px solid #666; background: #fafafa;
  font-size: .68rem; line-height: calc(var(--row) - 6px); padding: 0 2px; overflow: hidden; white-space: nowrap; }
.wave.w-lock { background: repeating-linear-gradient(135deg, #ffe0b2 0 4px, #fff 4px 8px); border-color: #e65100; }
.wave.w-unlock { background: repeating-linear-gradient(45deg, #c8e6c9 0 4px, #fff 4px 8px); border-color: #1b5e20; }
.wave-line { position: absolute; top: 0; bottom: 0; border-left: 1px dashed #e65100; }
.wave-line.w-unlock { border-left-color: #1b5e20; border-left-style: dotted; }
.bar { position: absolute; top: 4px; bottom: 4px; min-width: 3px; box-sizing: border-box; border: 1px solid #222; z-index: 2;
  font-size: .65rem; line-height: calc(var(--row) - 10px); padding: 0 1px; overflow: hidden; white-space: nowrap; color: #000; }
.k-connect { background: #cfd8dc; }
.k-metadata { background: repeating-linear-gradient(90deg, #90a4ae 0 2px, #eceff1 2px 5px); }
.k-lock { background: #ffb74d; }
.k-backup, .k-restore { background: #64b5f6; }
.k-unlock { background: repeating-linear-gradient(45deg, #81c784 0 3px, #e8f5e9 3px 6px); }
.k-drain, .k-upload { background: repeating-linear-gradient(0deg, #ba68c8 0 2px, #f3e5f5 2px 5px); }
.bar.unfinished { border-right: 3px dashed #000; }
.bar.failed { background: repeating-linear-gradient(45deg, #c62828 0 3px, #ffcdd2 3px 6px), #c62828; border: 2px solid #7f0000; color: #fff; font-weight: 700; }
.bar.critical { outline: 2px solid #000; outline-offset: 1px; z-index: 3; }
.locked { position: absolute; top: 1px; bottom: 1px; box-sizing: border-box; z-index: 1; border: 2px solid #e65100;
  background: repeating-linear-gradient(135deg, rgba(255, 152, 0, .35) 0 5px, transparent 5px 10px); }
.locked.longest { border: 3px double #b00020; }
.mark { margin-left: .4rem; font-weight: 700; }
.failed-mark { color: #b00020; } .longest-mark { color: #a33c00; }
.line.job.failed .label { background: #fdecea; }
table { border-collapse: collapse; margin: .3rem 0; font-size: .85rem; }
caption { text-align: left; font-weight: 600; padding: .2rem 0; }
th, td { border: 1px solid #bbb; padding: .15rem .45rem; text-align: left; vertical-align: top; }
tr.not-ok td { background: #fdecea; }
.errors li { margin-bottom: .5rem; } .errors pre { white-space: pre-wrap; margin: .2rem 0; font-size: .8rem; }
.note { color: #444; font-size: .85rem; }
@media print {
  :root { font-size: 10px; }
  .scroll { max-height: none; overflow: visible; border: none; }
  .chart { min-width: 0; }
  .axis, .label { position: static; }
  .line { break-inside: avoid; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
`;
