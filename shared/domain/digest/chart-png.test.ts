import pngjs from 'pngjs';
import { describe, expect, it } from 'vitest';
import {
  compactAmount,
  renderSpendChartPng,
  spendAxisMaximum,
  spendChartColors,
  spendChartPlotArea,
  type ChartPoint,
} from './chart-png.js';

function decode(png: Buffer) {
  const image = pngjs.PNG.sync.read(png);
  return {
    width: image.width,
    height: image.height,
    at(x: number, y: number): [number, number, number] {
      const i = (y * image.width + x) * 4;
      return [image.data[i]!, image.data[i + 1]!, image.data[i + 2]!];
    },
  };
}

const bar = [...spendChartColors.bar];
const line = [...spendChartColors.line];
const white = [...spendChartColors.background];

/**
 * Four days at the default 720 × 300: the plot spans x 64..667 and y 30..266 (236 px tall), so each day has a
 * 151 px slot and a 105 px bar starting 23 px into it. Spend 1,000 / 500 / 0 / 250 puts the left axis at 1,000
 * ($250 steps): bar heights 236, 118, 0 and 59. Utilization 0.9 / none / 0.5 / 0.1 puts line points at
 * (140, 54), none, (442, 148) and (593, 242); the missing day breaks the line between the first and third.
 */
const points: ChartPoint[] = [
  { date: '2026-11-17', spend: '1000', effectiveUtilization: 0.9 },
  { date: '2026-11-18', spend: '500', effectiveUtilization: null },
  { date: '2026-11-19', spend: '0', effectiveUtilization: 0.5 },
  { date: '2026-11-20', spend: '250', effectiveUtilization: 0.1 },
];

describe('renderSpendChartPng', () => {
  it('is a PNG of the requested size', () => {
    const image = decode(renderSpendChartPng(points));
    expect([image.width, image.height]).toEqual([720, 300]);
    const small = decode(renderSpendChartPng(points, { width: 400, height: 200 }));
    expect([small.width, small.height]).toEqual([400, 200]);
  });

  it('draws the plot where the layout says', () => {
    expect(spendChartPlotArea(720, 300)).toEqual({ left: 64, right: 668, top: 30, bottom: 266 });
  });

  it('draws each day as a bar as tall as its spend on the left axis', () => {
    const image = decode(renderSpendChartPng(points));
    // Day 1, 1,000 of 1,000: the full height (rows 30..265) from x 87 to 191.
    expect(image.at(87, 265)).toEqual(bar);
    expect(image.at(191, 31)).toEqual(bar);
    expect(image.at(86, 200)).toEqual(white);
    expect(image.at(192, 200)).toEqual(white);
    // Day 2, 500: rows 148..265; above it, background.
    expect(image.at(250, 150)).toEqual(bar);
    expect(image.at(250, 265)).toEqual(bar);
    expect(image.at(250, 140)).toEqual(white);
    // Day 3, nothing spent: no bar.
    expect(image.at(400, 260)).toEqual(white);
    // Day 4, 250: rows 207..265.
    expect(image.at(560, 230)).toEqual(bar);
    expect(image.at(560, 200)).toEqual(white);
  });

  it('draws utilization as a line on the 0-100% right axis, over the bars, broken where a day has none', () => {
    const image = decode(renderSpendChartPng(points));
    expect(image.at(140, 54)).toEqual(line); // 90%
    expect(image.at(442, 148)).toEqual(line); // 50%
    expect(image.at(593, 242)).toEqual(line); // 10%, drawn over day 4's bar
    expect(image.at(517, 195)).toEqual(line); // between the 50% and 10% points
    expect(image.at(291, 101)).toEqual(white); // no line across the day without measurements
  });

  it('gives the same bytes for the same points', () => {
    expect(renderSpendChartPng(points).equals(renderSpendChartPng(points.map((p) => ({ ...p }))))).toBe(true);
    expect(renderSpendChartPng(points).equals(renderSpendChartPng(points.slice(0, 3)))).toBe(false);
  });

  it('renders an empty chart with axes only', () => {
    const image = decode(renderSpendChartPng([]));
    expect(image.width).toBe(720);
    expect(image.at(63, 150)).toEqual([...spendChartColors.axis]);
  });

  it('refuses a size too small to draw on', () => {
    expect(() => renderSpendChartPng(points, { width: 100, height: 50 })).toThrow(RangeError);
  });
});

describe('spendAxisMaximum', () => {
  it('rounds up to four steps of 1, 2, 2.5 or 5 × 10^k', () => {
    expect(spendAxisMaximum(1000)).toBe(1000);
    expect(spendAxisMaximum(1001)).toBe(2000);
    expect(spendAxisMaximum(12345.67)).toBe(20000);
    expect(spendAxisMaximum(7.5)).toBe(8);
    expect(spendAxisMaximum(0)).toBe(4);
  });
});

describe('compactAmount', () => {
  it('shortens axis labels', () => {
    expect(compactAmount(250)).toBe('250');
    expect(compactAmount(1500)).toBe('1.5K');
    expect(compactAmount(20000)).toBe('20K');
    expect(compactAmount(2_500_000)).toBe('2.5M');
  });
});
