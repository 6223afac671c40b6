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

/** Charts are drawn on the server as SVG, so the report reads and prints with no JavaScript. */
function svg(option: echarts.EChartsCoreOption, height: number): string {
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width: WIDTH, height });
  chart.setOption({
    animation: false,
    color: PALETTE,
    textStyle: { fontFamily: 'system-ui, sans-serif' },
    ...option,
  });
  const markup = chart.renderToSVGString();
  chart.dispose();
  return markup;
}

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
  return svg(
    {
      title: { text: 'Contacts per week, by reason', left: 0, textStyle: { fontSize: 14 } },
      legend: { top: 30, left: 0, type: 'plain' },
      grid: { left: 50, right: 20, top: 80, bottom: 40 },
      xAxis: { type: 'category', data: input.weeks, axisLabel: { fontSize: 10 } },
      yAxis: { type: 'value', name: 'contacts' },
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
                name: 'campaign windows',
                type: 'line',
                showSymbol: false,
                data: [],
                markArea: bands(input.campaigns, '#1d4ed8'),
              },
            ]
          : []),
      ],
    },
    360,
  );
}

/** Prevented contacts per campaign: the estimate as a dot, its 95% interval as a bar. */
export function preventedPerCampaignChart(
  campaigns: { title: string; estimate: number; low: number; high: number }[],
): string {
  const names = campaigns.map((c) => (c.title.length > 28 ? `${c.title.slice(0, 27)}…` : c.title));
  return svg(
    {
      title: {
        text: 'Prevented contacts per campaign (95% interval)',
        left: 0,
        textStyle: { fontSize: 14 },
      },
      grid: { left: 200, right: 30, top: 40, bottom: 30 },
      yAxis: { type: 'category', data: names, inverse: true },
      xAxis: { type: 'value', name: 'contacts' },
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
    Math.max(160, 60 + campaigns.length * 26),
  );
}

type CustomApi = {
  value(dimension: number): number;
  coord(point: number[]): number[];
  size(point: number[]): number[] | number;
};

/** Savings per week and their running total, in the workspace currency. */
export function savingsChart(weeks: { week: string; savings: number }[]): string {
  let running = 0;
  const cumulative = weeks.map((w) => {
    running += w.savings;
    return Math.round(running * 100) / 100;
  });
  return svg(
    {
      title: { text: 'Savings over time', left: 0, textStyle: { fontSize: 14 } },
      legend: { top: 30, left: 0 },
      grid: { left: 60, right: 20, top: 70, bottom: 40 },
      xAxis: { type: 'category', data: weeks.map((w) => w.week), axisLabel: { fontSize: 10 } },
      yAxis: { type: 'value' },
      series: [
        {
          name: 'per week',
          type: 'bar',
          data: weeks.map((w) => w.savings),
          itemStyle: { color: '#86efac' },
        },
        { name: 'running total', type: 'line', data: cumulative, itemStyle: { color: '#047857' } },
      ],
    },
    300,
  );
}
