import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';

/**
 * The one stylesheet of every page forestall renders: the console, the public status page,
 * the leaders' report and the unsubscribe page. Each page's body names its layout
 * (`console`, `status-page`, `report-page`, `notice-page`) for what differs.
 */
export const STYLESHEET = `
:root { color-scheme: light; font-family: system-ui, sans-serif; color: #1d2430; }
body { margin: 0; line-height: 1.45; }
a { color: #1d4ed8; }
/* Names and labels come from other systems and may hold a bidirectional override (U+202E…):
   each link, cell, item and pill is its own island, so one cannot reverse the words after it.
   Text among other words is wrapped in <bdi>, which isolates by itself. */
a, td, th, li, .pill, .tile b { unicode-bidi: isolate; }
h1 { font-size: 1.5rem; margin-top: 0; }
:focus-visible { outline: 3px solid #f59e0b; outline-offset: 2px; }
.meta, time { color: #4a5566; font-size: .9rem; }
/* Read by screen readers, not shown: what a bar or a colour says to sighted readers. */
.visually-hidden { position: absolute; width: 1px; height: 1px; margin: -1px; padding: 0;
  overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; border: 0; }

header.bar { display: flex; flex-wrap: wrap; gap: .5rem 1.5rem; align-items: center;
  padding: .6rem 1.5rem; background: #111827; color: #fff; }
header.bar nav { display: flex; flex-wrap: wrap; gap: .25rem; }
/* A label breaks between links, never inside one ("API / keys"). */
header.bar a { color: #fff; text-decoration: none; padding: .25rem .4rem; border-radius: .25rem;
  white-space: nowrap; }
header.bar a[aria-current] { background: #374151; }
header.bar form { margin-left: auto; display: flex; flex-wrap: wrap; gap: .5rem;
  align-items: center; }
header.bar form button { margin-top: 0; white-space: nowrap; }
body.console > main { max-width: 68rem; margin: 1.5rem auto; padding: 0 1.5rem; }
@media (max-width: 40rem) {
  header.bar { padding: .5rem .75rem; }
  body.console > main { padding: 0 .75rem; }
  section.card { padding: .75rem; }
}
.page-header { display: flex; flex-wrap: wrap; gap: .5rem 1.5rem; align-items: baseline; }
.page-header h1 { margin-bottom: .5rem; }

section.card { border: 1px solid #d5dae1; border-radius: .5rem; padding: 1rem 1.25rem;
  margin-bottom: 1.25rem; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(20rem, 100%), 1fr));
  gap: 1.25rem; }
table { border-collapse: collapse; width: 100%; font-size: .92rem; }
/* A table wider than a phone scrolls sideways inside its box instead of widening the page. */
.table-scroll { overflow-x: auto; max-width: 100%; }
th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid #e4e7eb;
  vertical-align: top; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
.pager { display: flex; gap: 1rem; margin-top: .75rem; }

label { display: block; font-weight: 600; margin-top: .75rem; }
.hint { font-weight: 400; color: #4a5566; font-size: .85rem; }
input[type=text], input[type=password], input[type=number], input[type=url],
input[type=datetime-local], select, textarea {
  width: 100%; box-sizing: border-box; padding: .45rem; border: 1px solid #8b95a3;
  border-radius: .3rem; font: inherit; }
textarea { min-height: 6rem; }
fieldset { border: 1px solid #d5dae1; border-radius: .4rem; margin-top: .75rem; }
fieldset label { display: inline-block; font-weight: 400; margin-right: 1rem; }
button { font: inherit; padding: .45rem .9rem; border-radius: .3rem; border: 1px solid #1d4ed8;
  background: #1d4ed8; color: #fff; cursor: pointer; margin-top: .75rem; }
button.secondary { background: #fff; color: #1d4ed8; }
button.danger { background: #b91c1c; border-color: #b91c1c; }
.error { color: #b91c1c; font-size: .88rem; margin: .2rem 0 0; }
[aria-invalid="true"] { border-color: #b91c1c !important; }
form.narrow { max-width: 28rem; }
.actions { display: flex; flex-wrap: wrap; gap: .5rem; align-items: center; }
/* The campaign form's email settings, only while Email is among its channels. */
form:has(input[name="channels"][value="email"]:not(:checked)) .email-settings { display: none; }
form.inline { display: inline; }
form.period { display: flex; flex-wrap: wrap; gap: 1rem; align-items: end; max-width: 48rem;
  margin-bottom: 1rem; }
form.period label { margin-top: 0; }

.flash { padding: .75rem 1rem; border-radius: .4rem; margin-bottom: 1rem; }
.flash.ok { background: #dcfce7; }
.flash.bad { background: #fee2e2; }
.note { padding: .75rem 1rem; border-radius: .4rem; margin-bottom: 1rem; background: #fef9c3; }
.empty { color: #4a5566; font-style: italic; }
.pill { display: inline-block; padding: 0 .45rem; border-radius: 1rem; background: #e5e7eb;
  font-size: .8rem; }
.banner { border-left: 4px solid #1d4ed8; padding: .6rem .9rem; background: #eff6ff;
  border-radius: .3rem; }
.banner.critical { border-color: #b91c1c; background: #fef2f2; }
.banner.warning { border-color: #b45309; background: #fffbeb; }
.banner.maintenance { border-color: #6d28d9; background: #f5f3ff; }
iframe.email { width: 100%; height: 30rem; border: 1px solid #d5dae1; border-radius: .4rem; }
figure.chart { margin: 1.5rem 0; break-inside: avoid; overflow-x: auto; }

.status-page { max-width: 46rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.5; }
.status-page .indicator { padding: 1rem 1.25rem; border-radius: .5rem; font-weight: 600;
  color: #fff; }
.indicator.none { background: #1e7a46; }
.indicator.minor { background: #8a5a00; }
.indicator.major { background: #b3470b; }
.indicator.critical { background: #b01f24; }
ul.components { list-style: none; padding: 0; border: 1px solid #d5dae1; border-radius: .5rem; }
ul.components > li { display: flex; flex-direction: column; padding: .6rem 1rem;
  border-top: 1px solid #d5dae1; }
ul.components > li:first-child { border-top: 0; }
ul.components > li.member { padding-left: 2rem; }
.s-operational { color: #1e7a46; }
.s-degraded_performance { color: #8a5a00; }
.s-partial_outage { color: #b3470b; }
.s-major_outage { color: #b01f24; }
.s-under_maintenance { color: #1f5fa8; }
.status-page article { border-left: 4px solid #d5dae1; padding-left: 1rem; margin: 1rem 0; }
.status-page a { color: var(--accent, #1d4ed8); }
.status-page button { background: var(--accent, #1d4ed8); border-color: var(--accent, #1d4ed8); }
.masthead { display: flex; align-items: center; gap: .75rem; color: inherit !important;
  text-decoration: none; }
.component-line { display: flex; justify-content: space-between; }
figure.uptime { margin: .4rem 0 0; }
figure.uptime ol { display: flex; gap: 1px; list-style: none; padding: 0; margin: 0;
  height: 1.6rem; }
figure.uptime li { flex: 1; border-radius: 1px; background: #1e7a46; padding: 0; border: 0; }
figure.uptime li.d-none { background: #d5dae1; }
figure.uptime li.d-degraded_performance { background: #d4a017; }
figure.uptime li.d-partial_outage { background: #e07b20; }
figure.uptime li.d-major_outage { background: #b01f24; }
/* Striped as well as blue: maintenance is told apart from operational without colour. */
figure.uptime li.d-under_maintenance { background: repeating-linear-gradient(135deg, #1f5fa8 0 3px,
  #6f9bd6 3px 6px); }
figure.uptime figcaption { display: flex; justify-content: space-between; color: #4a5566;
  font-size: .75rem; }
form.subscribe { display: flex; flex-wrap: wrap; gap: .5rem; align-items: center; }
form.subscribe button { margin-top: 0; }

.report { max-width: 62rem; margin: 2rem auto; padding: 0 1rem; }
.console .report { margin: 0; padding: 0; max-width: none; }
.report h1 { margin-bottom: .2rem; }
.report header .meta { margin-top: 0; }
.tiles { display: grid; grid-template-columns: repeat(auto-fit, minmax(11rem, 1fr)); gap: .75rem; }
.tile { border: 1px solid #d5dae1; border-radius: .5rem; padding: .75rem 1rem; }
.tile b { display: block; font-size: 1.4rem; }
.tile span { color: #4a5566; font-size: .85rem; }
.report table { font-size: .9rem; margin: .5rem 0 1.5rem; }
.label { color: #8a5a00; font-size: .8rem; }
.warnings { border: 1px solid #b45309; background: #fff7ed; border-radius: .5rem;
  padding: .25rem 1rem; margin-bottom: 1rem; }
.warnings h2 { font-size: 1rem; color: #8a3a00; }

.notice-page { max-width: 32rem; margin: 3rem auto; padding: 0 1rem; line-height: 1.5; }

@media print {
  body { margin: 0; max-width: none; }
  header.bar, form.period { display: none; }
  a { color: inherit; text-decoration: none; }
}
`;

const version = bytesToHex(sha256(utf8ToBytes(STYLESHEET))).slice(0, 12);

/** Named by its content, so a page can let browsers keep it for a year. */
export const STYLESHEET_PATH = `/assets/forestall-${version}.css`;
