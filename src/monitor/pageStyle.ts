// The monitor page's stylesheet, inlined into the page (no CDN, no web fonts: the system font
// stack). Kept as a TypeScript string so that tsc carries it to dist/ with the rest of the app;
// the page's Content-Security-Policy allows exactly this text by its hash.

export const pageStyle = String.raw`
:root {
  --bg: #f5f6f8; --panel: #ffffff; --ink: #1d232b; --muted: #5b6573; --line: #d9dde3;
  --accent: #1f5fbf; --ok: #1e7d3a; --ok-bg: #e3f4e8; --bad: #b3261e; --bad-bg: #fbe7e5;
  --warn: #8a5a00; --warn-bg: #fff3d6; --run: #1f5fbf; --run-bg: #e3edfb; --idle: #6b7280; --idle-bg: #eceef1;
  --comp: #6b3fa0; --comp-bg: #efe6fa;
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--ink);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
code, pre, textarea, .mono { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, "Liberation Mono", monospace; font-size: 12.5px; }
header.top { display: flex; align-items: center; gap: 16px; padding: 10px 20px; background: #17202b; color: #fff; }
header.top h1 { font-size: 18px; margin: 0; }
header.top .muted { color: #c5ccd6; }
header.top label { margin-left: auto; color: #e6eaf0; }
main { display: grid; grid-template-columns: minmax(300px, 380px) 1fr; gap: 16px; padding: 16px 20px; align-items: start; }
#detail-panel { grid-column: 1 / -1; }
.panel { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 14px 16px; min-width: 0; }
.panel h2 { font-size: 16px; margin: 0 0 10px; }
.panel h3 { font-size: 14px; margin: 18px 0 8px; }
label { display: block; margin: 6px 0; color: var(--muted); }
label.inline { display: inline-flex; align-items: center; gap: 6px; margin: 0 10px 0 0; color: var(--ink); }
input[type=text], input[type=datetime-local], select, textarea { font: inherit; color: var(--ink); border: 1px solid var(--line);
  border-radius: 5px; padding: 5px 7px; background: #fff; }
label > input[type=text], label > select, label > textarea { display: block; width: 100%; margin-top: 3px; }
textarea { resize: vertical; }
button { font: inherit; border: 1px solid #b9c0ca; background: #fff; color: var(--ink); border-radius: 5px; padding: 5px 12px; cursor: pointer; }
button:hover:not(:disabled) { border-color: var(--accent); }
button:disabled { opacity: .45; cursor: not-allowed; }
button.primary { background: var(--accent); border-color: var(--accent); color: #fff; }
button.danger { background: var(--bad); border-color: var(--bad); color: #fff; }
button.link { border: 0; background: none; padding: 0; color: var(--accent); text-decoration: underline; cursor: pointer; text-align: left; word-break: break-all; }
.muted { color: var(--muted); }
.error { color: var(--bad); background: var(--bad-bg); border-radius: 5px; padding: 6px 10px; margin: 8px 0; }
.success { color: var(--ok); background: var(--ok-bg); border-radius: 5px; padding: 6px 10px; margin: 8px 0; }
.error:empty, .success:empty { display: none; }
.error ul { margin: 4px 0 0; padding-left: 18px; }
#filter-form { display: flex; flex-wrap: wrap; align-items: flex-end; gap: 8px 14px; margin-bottom: 10px; }
#filter-form fieldset { border: 1px solid var(--line); border-radius: 5px; padding: 4px 8px 6px; margin: 0; }
#filter-form legend { color: var(--muted); padding: 0 4px; }
#filter-form label { margin: 0; }
#filter-form label > input, #filter-form label > select { display: block; margin-top: 3px; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { color: var(--muted); font-weight: 600; background: #fafbfc; }
tbody tr:hover { background: #f7f9fc; }
tr.selected { background: #eef4ff !important; }
td.num { white-space: nowrap; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 999px; font-size: 12px; font-weight: 600; white-space: nowrap;
  background: var(--idle-bg); color: var(--idle); }
.badge.Running, .badge.Pending, .badge.running { background: var(--run-bg); color: var(--run); }
.badge.Completed, .badge.succeeded, .badge.recorded { background: var(--ok-bg); color: var(--ok); }
.badge.Failed, .badge.Terminated, .badge.failed, .badge.compensation-failed, .badge.interrupted, .badge.attention { background: var(--bad-bg); color: var(--bad); }
.badge.Suspended, .badge.rejected { background: var(--warn-bg); color: var(--warn); }
.badge.compensated { background: var(--comp-bg); color: var(--comp); }
.pager { display: flex; align-items: center; gap: 8px; margin-top: 10px; }
.detail-head { display: flex; align-items: center; gap: 12px; }
.detail-head h2 { margin: 0; word-break: break-all; }
.detail-head button { margin-left: auto; }
dl.facts { display: grid; grid-template-columns: max-content 1fr max-content 1fr max-content 1fr; gap: 4px 14px; margin: 10px 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; }
.actions { display: flex; flex-wrap: wrap; gap: 8px; margin: 10px 0; }
.two-col { display: grid; grid-template-columns: 1fr 1fr; gap: 16px; }
pre { background: #f6f8fa; border: 1px solid var(--line); border-radius: 5px; padding: 8px 10px; margin: 0; overflow: auto; max-height: 360px; white-space: pre-wrap; word-break: break-word; }
details { margin-top: 14px; }
summary { cursor: pointer; font-weight: 600; }
#history td pre { max-height: 160px; }
.timeline { border: 1px solid var(--line); border-radius: 6px; padding: 8px 10px; }
.tl-row { display: grid; grid-template-columns: 300px 1fr 96px; gap: 10px; align-items: center; padding: 5px 0; border-bottom: 1px dashed #eceef1; }
.tl-row:last-child { border-bottom: 0; }
.tl-label strong { margin-right: 6px; }
.tl-detail { color: var(--muted); font-size: 12.5px; word-break: break-word; }
.tl-track { position: relative; height: 20px; background: repeating-linear-gradient(90deg, #f3f4f6 0, #f3f4f6 1px, transparent 1px, transparent 25%); border-radius: 3px; }
.tl-bar { position: absolute; top: 3px; height: 14px; border-radius: 3px; background: var(--idle); min-width: 3px; }
.tl-bar.completed { background: var(--ok); }
.tl-bar.failed { background: var(--bad); }
.tl-bar.running { background: var(--run); background-image: repeating-linear-gradient(45deg, rgba(255,255,255,.25) 0 6px, transparent 6px 12px); }
.tl-row[data-group=compensations] .tl-bar.completed { background: var(--comp); }
.tl-row[data-outcome=rejected] .tl-bar.completed { background: var(--warn); }
.tl-time { color: var(--muted); font-size: 12.5px; text-align: right; white-space: nowrap; }
.tl-group { display: grid; grid-template-columns: 300px 1fr 96px; gap: 10px; margin-top: 8px; padding: 4px 0; font-weight: 600; color: var(--muted);
  border-bottom: 1px solid var(--line); }
.tl-group[data-group=compensations] { color: var(--comp); }
.tl-parallel { grid-column: 2; font-weight: 400; font-size: 12.5px; border-left: 3px solid var(--comp); padding-left: 6px; }
.tl-axis { display: grid; grid-template-columns: 300px 1fr 96px; gap: 10px; color: var(--muted); font-size: 11.5px; }
.tl-axis .ticks { position: relative; height: 16px; }
.tl-axis .tick { position: absolute; transform: translateX(-50%); white-space: nowrap; }
.tl-axis .tick:first-child { transform: none; }
.tl-axis .tick:last-child { transform: translateX(-100%); }
.tl-marker { position: absolute; top: 0; bottom: 0; width: 2px; background: #444; }
.tl-marker.terminated, .tl-marker.failed { background: var(--bad); }
.tl-marker.suspended { background: var(--warn); }
.tl-marker.completed { background: var(--ok); }
.tl-marker.event { background: var(--accent); }
.tl-marker.deadline { background: var(--bad); width: 3px; }
.tl-marker.backoff { background: var(--warn); opacity: 0.6; }
ul.markers { margin: 6px 0 0; padding-left: 18px; color: var(--muted); font-size: 12.5px; }
dialog { border: 1px solid var(--line); border-radius: 8px; padding: 16px 18px; width: min(560px, 92vw); }
dialog::backdrop { background: rgba(15, 20, 30, .45); }
dialog h2 { margin: 0 0 8px; font-size: 16px; }
dialog menu { display: flex; justify-content: flex-end; gap: 8px; padding: 0; margin: 14px 0 0; }
dialog .warning { background: var(--warn-bg); color: var(--warn); padding: 8px 10px; border-radius: 5px; }
#figures-title { margin-top: 20px; }
.figures { display: grid; grid-template-columns: max-content auto; gap: 2px 14px; margin: 0; }
.figures dt { color: var(--muted, #666); }
.figures dd { margin: 0; font-variant-numeric: tabular-nums; }
@media (max-width: 980px) { main { grid-template-columns: 1fr; } .tl-row, .tl-group, .tl-axis { grid-template-columns: 170px 1fr 70px; } .two-col { grid-template-columns: 1fr; } }
`;
