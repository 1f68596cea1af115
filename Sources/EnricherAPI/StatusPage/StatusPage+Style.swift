extension StatusPage {
    /// Readable from a 360 px phone up: tables turn into labelled stacks on narrow screens, long words
    /// (ids, reasons) wrap, and nothing is wider than the viewport.
    static let style = #"""
:root {
  --ink: #1b1f24; --muted: #57606a; --line: #d0d7de; --paper: #ffffff; --band: #f6f8fa;
  --accent: #1f5f8b; --good: #1a7f37; --bad: #b42318; --warn: #9a6700;
  color-scheme: light;
}
*, *::before, *::after { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body {
  margin: 0; color: var(--ink); background: var(--paper);
  font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "DejaVu Sans", sans-serif;
  overflow-wrap: anywhere;
}
code { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 0.9em; }
h1 { font-size: 1.5rem; margin: 0 0 0.25rem; }
h2 { font-size: 1.2rem; margin: 0 0 0.5rem; }
.top, main, footer { max-width: 72rem; margin: 0 auto; padding: 1rem; }
.top { border-bottom: 1px solid var(--line); }
main { display: grid; gap: 1.5rem; }
main:focus { outline: none; }
section { min-width: 0; }
.skip { position: absolute; left: -999px; top: 0; background: var(--paper); padding: 0.5rem; }
.skip:focus { left: 0.5rem; z-index: 1; }
.visually-hidden {
  position: absolute !important; width: 1px; height: 1px; margin: -1px; padding: 0; overflow: hidden;
  clip: rect(0 0 0 0); clip-path: inset(50%); white-space: nowrap; border: 0;
}
.hint { color: var(--muted); font-size: 0.9rem; margin: 0.25rem 0; }
.error { color: var(--bad); font-weight: 600; margin: 0.25rem 0; }
.error:empty, #rerun-result:empty { display: none; }
.row { display: flex; flex-wrap: wrap; gap: 0.5rem; align-items: center; }
input, select, button { font: inherit; }
input[type="text"], input[type="password"], input[type="datetime-local"], select {
  min-height: 2.5rem; padding: 0.25rem 0.5rem; border: 1px solid var(--muted); border-radius: 4px;
  max-width: 100%; background: var(--paper); color: var(--ink);
}
#api-key { flex: 1 1 12rem; min-width: 0; }
button {
  min-height: 2.5rem; padding: 0.25rem 0.9rem; border: 1px solid var(--accent); border-radius: 4px;
  background: var(--accent); color: #fff; cursor: pointer;
}
button.secondary { background: var(--paper); color: var(--accent); }
button:disabled { opacity: 0.6; cursor: progress; }
:focus-visible { outline: 3px solid #f5a623; outline-offset: 2px; }
table { width: 100%; border-collapse: collapse; font-size: 0.95rem; }
caption { text-align: left; color: var(--muted); padding: 0 0 0.25rem; caption-side: top; }
th, td { text-align: left; padding: 0.4rem 0.5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
thead th { background: var(--band); }
td.number, th.number { text-align: right; font-variant-numeric: tabular-nums; }
.status-running { color: var(--accent); font-weight: 600; }
.status-completed { color: var(--good); }
.state-off { color: var(--muted); }
.breaker-open { color: var(--bad); font-weight: 600; }
.breaker-half-open { color: var(--warn); font-weight: 600; }
progress { width: 100%; max-width: 14rem; height: 1rem; vertical-align: middle; accent-color: var(--accent); }
.progress-text { display: block; font-size: 0.85rem; color: var(--muted); }
.covers { list-style: none; margin: 0; padding: 0; display: grid; gap: 0.75rem; grid-template-columns: repeat(auto-fill, minmax(7rem, 1fr)); }
.covers figure { margin: 0; }
.covers img { display: block; width: 100%; height: auto; aspect-ratio: 2 / 3; object-fit: contain; background: var(--band); border: 1px solid var(--line); }
.covers figcaption { font-size: 0.85rem; color: var(--muted); }
.rerun { display: grid; gap: 0.75rem; grid-template-columns: repeat(auto-fit, minmax(min(100%, 16rem), 1fr)); align-items: start; }
.rerun fieldset { border: 1px solid var(--line); border-radius: 4px; margin: 0; padding: 0.5rem 0.75rem; min-width: 0; }
.rerun .row, .rerun p { grid-column: 1 / -1; }
.field { display: grid; gap: 0.25rem; min-width: 0; }
.field.check { display: flex; gap: 0.5rem; align-items: center; }
.choices { display: flex; flex-wrap: wrap; gap: 0.25rem 1rem; }
.choices label { display: inline-flex; gap: 0.35rem; align-items: center; min-height: 2rem; }
input[type="checkbox"] { width: 1.2rem; height: 1.2rem; }
footer { border-top: 1px solid var(--line); }
@media (max-width: 40rem) {
  table.stack thead { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); clip-path: inset(50%); }
  table.stack, table.stack tbody, table.stack tr, table.stack td, table.stack th[scope="row"] { display: block; width: 100%; }
  table.stack caption { display: block; }
  table.stack tr { border: 1px solid var(--line); border-radius: 4px; margin: 0 0 0.5rem; padding: 0.25rem 0; }
  table.stack td, table.stack th[scope="row"] { border: 0; padding: 0.2rem 0.6rem; text-align: left; }
  table.stack td[data-label] { display: grid; grid-template-columns: minmax(5.5rem, 35%) 1fr; gap: 0.5rem; align-items: baseline; }
  table.stack td[data-label]::before { content: attr(data-label); font-size: 0.85rem; color: var(--muted); }
  td.number { text-align: left; }
  progress { max-width: none; }
}
"""#
}
