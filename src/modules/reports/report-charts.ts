import { BarChart, CustomChart, LineChart, ScatterChart } from 'echarts/charts';
import {
  GridComponent,
  LegendComponent,
  MarkAreaComponent,
  MarkPointComponent,
  TitleComponent,
} from 'echarts/components';
import * as echarts from 'echarts/core';
import { SVGRenderer } from 'echarts/renderers';
import LRU from 'zrender/lib/core/LRU.js';
import { formatMoneyAxis } from './report-format';

// Chart labels are users' reason names and titles: zrender, unpatched (patches/, applied by
// `npm install`, skipped by --ignore-scripts), caches them in a plain object, and a label
// '__proto__' writes onto Object.prototype for the whole process. Better not to start.
if (Object.getPrototypeOf((new LRU(1) as unknown as { _map: object })._map) !== null) {
  throw new Error(
    'zrender is not patched (patches/zrender+6.1.0.patch): run npm install without --ignore-scripts',
  );
}

echarts.use([
  BarChart,
  CustomChart,
  LineChart,
  ScatterChart,
  GridComponent,
  LegendComponent,
  MarkAreaComponent,
  MarkPointComponent,
  TitleComponent,
  SVGRenderer,
]);

const WIDTH = 900;
const PALETTE = ['#1d4ed8', '#b45309', '#047857', '#7c3aed', '#be123c', '#0e7490', '#4d7c0f'];
// With no canvas on the server, echarts lays text out with Helvetica's widths: a face of the
// same metrics (Arial, Liberation Sans) draws each label where the layout measured it.
// Unquoted: echarts writes it into a double-quoted style attribute.
const FONT_FAMILY = 'Helvetica, Arial, Liberation Sans, sans-serif';
const FONT_SIZE = 12;
const PAD = 8;
const TITLE_HEIGHT = 30;

/**
 * The plot area keeps clear of the chart's edges, axis labels and names included (echarts
 * shrinks the grid to fit them), starting below the title and the legend.
 */
const gridBelow = (top: number) => ({
  left: PAD,
  right: PAD,
  top,
  bottom: PAD,
  outerBoundsMode: 'same',
  outerBoundsContain: 'all',
});

/** Charts are drawn on the server as SVG, so the report reads and prints with no JavaScript. */
function svg(option: echarts.EChartsCoreOption, height: number): string {
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width: WIDTH, height });
  chart.setOption({
    animation: false,
    color: PALETTE,
    textStyle: { fontFamily: FONT_FAMILY },
    ...option,
  });
  const markup = chart.renderToSVGString();
  chart.dispose();
  return markup;
}

// A plain legend's item: its icon, a gap, its label; items apart by a gap, rows of one height.
const LEGEND = { itemWidth: 25, itemHeight: 14, itemGap: 10, iconGap: 5, rowGap: 10 };
const LEGEND_LABEL_MAX = 280;

/**
 * Where a legend of these labels wraps, measured as echarts measures them: its rows and the
 * height they take, so the plot starts below the last row instead of under it.
 */
export function legendLayout(labels: string[], width = WIDTH - 2 * PAD) {
  const font = `${FONT_SIZE}px ${FONT_FAMILY}`;
  let rows = labels.length > 0 ? 1 : 0;
  let x = 0;
  for (const label of labels) {
    const text = Math.min(LEGEND_LABEL_MAX, echarts.format.getTextRect(label, font).width);
    const item = LEGEND.itemWidth + LEGEND.iconGap + text;
    if (x > 0 && x + item > width) {
      rows += 1;
      x = 0;
    }
    x += item + LEGEND.itemGap;
  }
  const rowHeight = Math.max(LEGEND.itemHeight, FONT_SIZE + 4);
  return { rows, height: rows * rowHeight + Math.max(0, rows - 1) * LEGEND.rowGap };
}

/** A legend under the title, and the top of the plot area below it. */
function legendAbove(labels: string[]) {
  const { height } = legendLayout(labels);
  return {
    legend: {
      type: 'plain',
      top: TITLE_HEIGHT,
      left: PAD,
      right: PAD,
      padding: 0,
      itemGap: LEGEND.itemGap,
      itemWidth: LEGEND.itemWidth,
      itemHeight: LEGEND.itemHeight,
      textStyle: { fontSize: FONT_SIZE, width: LEGEND_LABEL_MAX, overflow: 'truncate' },
    },
    gridTop: TITLE_HEIGHT + height + 2 * PAD,
  };
}

const title = (text: string) => ({ text, left: PAD, top: 4, textStyle: { fontSize: 14 } });

/** Charts of up to this many points draw in a few milliseconds: no thread needed. */
const SMALL_CHART_POINTS = 1_000;

export const smallWeeklyChart = (input: WeeklyChartInput) =>
  input.weeks.length * Math.max(1, input.series.length) <= SMALL_CHART_POINTS;

export type WeeklyChartInput = {
  weeks: string[];
  series: { label: string; counts: number[] }[];
  spikes: { label: string; week: string; observed: number }[];
  events: { title: string; fromWeek: string; toWeek: string }[];
  campaigns: { title: string; fromWeek: string; toWeek: string }[];
};

const CAMPAIGN_WINDOWS = 'campaign windows';

/** Weekly contacts per reason; spikes as pins, event windows in grey, campaign windows in blue. */
export function weeklyContactsChart(input: WeeklyChartInput): string {
  const bands = (
    windows: { title: string; fromWeek: string; toWeek: string }[],
    color: string,
  ) => ({
    silent: true,
    itemStyle: { color, opacity: 0.12 },
    label: { show: false },
    data: windows.map((w) => [{ name: w.title, xAxis: w.fromWeek }, { xAxis: w.toWeek }]),
  });
  const labels = input.series
    .map((s) => s.label)
    .concat(input.campaigns.length > 0 ? [CAMPAIGN_WINDOWS] : []);
  const { legend, gridTop } = legendAbove(labels);
  return svg(
    {
      title: title('Contacts per week, by reason'),
      legend,
      grid: gridBelow(gridTop),
      xAxis: { type: 'category', data: input.weeks, axisLabel: { fontSize: 10 } },
      yAxis: { type: 'value', name: 'contacts', nameTextStyle: { align: 'left' } },
      series: [
        ...input.series.map((series, i) => ({
          name: series.label,
          type: 'line',
          showSymbol: false,
          data: series.counts,
          markPoint: {
            symbolSize: 36,
            label: { fontSize: 9 },
            data: input.spikes
              .filter((spike) => spike.label === series.label)
              .map((spike) => ({
                name: 'spike',
                coord: [spike.week, spike.observed],
                value: 'spike',
              })),
          },
          ...(i === 0 ? { markArea: { ...bands(input.events, '#52525b') } } : {}),
        })),
        ...(input.campaigns.length > 0
          ? [
              {
                name: CAMPAIGN_WINDOWS,
                type: 'line',
                showSymbol: false,
                data: [],
                markArea: bands(input.campaigns, '#1d4ed8'),
              },
            ]
          : []),
      ],
    },
    300 + gridTop,
  );
}

/** Campaign titles wrap to this width beside the chart rather than being cut. */
const CAMPAIGN_LABEL_WIDTH = 240;
// echarts sizes labels by Helvetica's metrics; where the browser has none of FONT_FAMILY's fonts
// it falls back to a wider one (DejaVu Sans, ~12% wider), which must still fit on the left.
const FALLBACK_FONT_SLACK = Math.ceil(CAMPAIGN_LABEL_WIDTH * 0.15);

/** Prevented contacts per campaign: the estimate as a dot, its 95% interval as a bar. */
export function preventedPerCampaignChart(
  campaigns: { title: string; estimate: number; low: number; high: number }[],
): string {
  const names = campaigns.map((c) => (c.title.length > 90 ? `${c.title.slice(0, 89)}…` : c.title));
  return svg(
    {
      title: title('Prevented contacts per campaign (95% interval)'),
      grid: { ...gridBelow(TITLE_HEIGHT + 2 * PAD), left: PAD + FALLBACK_FONT_SLACK },
      yAxis: {
        type: 'category',
        data: names,
        inverse: true,
        axisLabel: { width: CAMPAIGN_LABEL_WIDTH, overflow: 'break', lineHeight: 14 },
      },
      xAxis: { type: 'value', name: 'contacts prevented', nameLocation: 'middle', nameGap: 28 },
      series: [
        {
          type: 'custom',
          name: 'interval',
          renderItem: (_params: unknown, api: CustomApi) => {
            const low = api.coord([api.value(1), api.value(0)]);
            const high = api.coord([api.value(2), api.value(0)]);
            const size = api.size([0, 1]);
            const height = (Array.isArray(size) ? size[1] : undefined) ?? 10;
            return {
              type: 'rect',
              shape: {
                x: low[0],
                y: (low[1] ?? 0) - height * 0.15,
                width: (high[0] ?? 0) - (low[0] ?? 0),
                height: height * 0.3,
              },
              style: { fill: '#93c5fd' },
            };
          },
          encode: { x: [1, 2], y: 0 },
          data: campaigns.map((c, i) => [i, c.low, c.high]),
        },
        {
          type: 'scatter',
          name: 'estimate',
          symbolSize: 9,
          itemStyle: { color: '#1d4ed8' },
          data: campaigns.map((c, i) => [c.estimate, i]),
        },
      ],
    },
    Math.max(180, 110 + campaigns.length * 48),
  );
}

type CustomApi = {
  value(dimension: number): number;
  coord(point: number[]): number[];
  size(point: number[]): number[] | number;
};

/** Savings per week and their running total, in the workspace currency. */
export function savingsChart(input: {
  currency: string;
  weeks: { week: string; savings: number }[];
}): string {
  let running = 0;
  const cumulative = input.weeks.map((w) => {
    running += w.savings;
    return Math.round(running * 100) / 100;
  });
  const { legend, gridTop } = legendAbove(['per week', 'running total']);
  return svg(
    {
      title: title(`Savings per week and running total (${input.currency})`),
      legend,
      grid: gridBelow(gridTop),
      xAxis: {
        type: 'category',
        data: input.weeks.map((w) => w.week),
        axisLabel: { fontSize: 10 },
      },
      yAxis: {
        type: 'value',
        axisLabel: { formatter: (value: number) => formatMoneyAxis(value, input.currency) },
      },
      series: [
        {
          name: 'per week',
          type: 'bar',
          data: input.weeks.map((w) => w.savings),
          itemStyle: { color: '#86efac' },
        },
        {
          name: 'running total',
          type: 'line',
          data: cumulative,
          itemStyle: { color: '#047857' },
        },
      ],
    },
    300 + gridTop - 70,
  );
}
