import pngjs from 'pngjs';
import type { DigestModel } from './digest-model.js';
import { formatDecimalFixed, parseDecimal } from '../core/money.js';

/**
 * The digest's chart as a PNG: daily spend as bars on the left axis, effective GPU utilization as a line on a
 * 0-100% right axis. Pixels are drawn here and encoded by pngjs (pure JavaScript, so it runs in Lambda without
 * native modules). Labels use the small built-in 5×7 bitmap font below (digits, capital letters and a little
 * punctuation; lower case is drawn as capitals). Same points and options → the same bytes.
 */
export type ChartPoint = DigestModel['chart'][number];

export interface SpendChartOptions {
  width?: number;
  height?: number;
  /** Shown on the left axis (`$` for USD, `€` is not in the font, so other currencies print their code). */
  currency?: string;
}

type Rgb = readonly [number, number, number];

export const spendChartColors = {
  background: [255, 255, 255],
  grid: [226, 230, 236],
  axis: [96, 104, 116],
  label: [60, 66, 76],
  bar: [76, 120, 168],
  line: [232, 119, 34],
} as const satisfies Record<string, Rgb>;

/** Margins around the plot area, in pixels; the plot is the rest of the image. */
export const spendChartMargins = { left: 64, right: 52, top: 30, bottom: 34 } as const;
export const spendChartDefaultSize = { width: 720, height: 300 } as const;

/** Where the plot sits: x from `left` (inclusive) to `right` (exclusive); y = `bottom` is the x-axis line. */
export interface PlotArea {
  left: number;
  right: number;
  top: number;
  bottom: number;
}

export function spendChartPlotArea(width: number, height: number): PlotArea {
  return {
    left: spendChartMargins.left,
    right: width - spendChartMargins.right,
    top: spendChartMargins.top,
    bottom: height - spendChartMargins.bottom,
  };
}

/** Four steps of 1, 2, 2.5 or 5 × 10^k that reach at least `max`: the left axis top. */
export function spendAxisMaximum(max: number): number {
  if (!(max > 0)) return 4;
  const raw = max / 4;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((candidate) => candidate >= raw * (1 - 1e-12))!;
  return step * 4;
}

export function renderSpendChartPng(points: readonly ChartPoint[], options: SpendChartOptions = {}): Buffer {
  const width = options.width ?? spendChartDefaultSize.width;
  const height = options.height ?? spendChartDefaultSize.height;
  if (width < 200 || height < 120) throw new RangeError('the chart needs at least 200 × 120 pixels');
  const canvas = new Canvas(width, height);
  const plot = spendChartPlotArea(width, height);
  const plotHeight = plot.bottom - plot.top;
  const spends = points.map((point) => Number(formatDecimalFixed(parseDecimal(point.spend), 2)));
  const axisMax = spendAxisMaximum(Math.max(0, ...spends));
  const symbol = currencySymbol(options.currency ?? 'USD');

  // Grid and tick labels: five lines on both axes (0, 25, 50, 75, 100 % of the height).
  for (let tick = 0; tick <= 4; tick++) {
    const y = plot.bottom - Math.round((tick / 4) * plotHeight);
    if (tick > 0) canvas.fillRect(plot.left, y, plot.right - plot.left, 1, spendChartColors.grid);
    const spendLabel = `${symbol}${compactAmount((axisMax * tick) / 4)}`;
    canvas.text(plot.left - 6 - textWidth(spendLabel), y - 3, spendLabel, spendChartColors.label);
    canvas.text(plot.right + 6, y - 3, `${tick * 25}%`, spendChartColors.label);
  }

  const slot = points.length > 0 ? (plot.right - plot.left) / points.length : 0;
  const barWidth = Math.max(1, Math.floor(slot * 0.7));
  for (const [i, spend] of spends.entries()) {
    const barHeight = Math.round((Math.max(0, spend) / axisMax) * plotHeight);
    const x = plot.left + Math.round(slot * i + (slot - barWidth) / 2);
    canvas.fillRect(x, plot.bottom - barHeight, barWidth, barHeight, spendChartColors.bar);
  }

  // Axes over the bars' feet, then the line on top of everything.
  canvas.fillRect(plot.left - 1, plot.top, 1, plot.bottom - plot.top + 1, spendChartColors.axis);
  canvas.fillRect(plot.right, plot.top, 1, plot.bottom - plot.top + 1, spendChartColors.axis);
  canvas.fillRect(plot.left - 1, plot.bottom, plot.right - plot.left + 2, 1, spendChartColors.axis);

  const linePoint = (i: number, utilization: number) => ({
    x: plot.left + Math.round(slot * (i + 0.5)),
    y: plot.bottom - Math.round(Math.min(1, Math.max(0, utilization)) * plotHeight),
  });
  let previous: { x: number; y: number } | undefined;
  for (const [i, point] of points.entries()) {
    if (point.effectiveUtilization === null) {
      previous = undefined; // a day without GPU measurements breaks the line
      continue;
    }
    const current = linePoint(i, point.effectiveUtilization);
    if (previous) canvas.line(previous.x, previous.y, current.x, current.y, spendChartColors.line);
    canvas.fillRect(current.x - 2, current.y - 2, 5, 5, spendChartColors.line);
    previous = current;
  }

  // Day labels (MM-DD) under the axis, at most eight of them.
  const every = Math.max(1, Math.ceil(points.length / 8));
  for (const [i, point] of points.entries()) {
    if (i % every !== 0) continue;
    const label = point.date.slice(5, 10);
    const center = plot.left + Math.round(slot * (i + 0.5));
    canvas.fillRect(center, plot.bottom + 1, 1, 3, spendChartColors.axis);
    canvas.text(center - Math.floor(textWidth(label) / 2), plot.bottom + 8, label, spendChartColors.label);
  }
  if (points.length === 0)
    canvas.text(
      plot.left + Math.floor((plot.right - plot.left - textWidth('NO DATA')) / 2),
      plot.top + Math.floor(plotHeight / 2),
      'NO DATA',
      spendChartColors.label,
    );

  // Legend above the plot.
  const legendY = Math.max(4, plot.top - 18);
  canvas.fillRect(plot.left, legendY, 10, 8, spendChartColors.bar);
  canvas.text(plot.left + 14, legendY + 1, `DAILY SPEND (${(options.currency ?? 'USD').toUpperCase()})`, spendChartColors.label);
  const lineLegend = plot.left + 14 + textWidth(`DAILY SPEND (${(options.currency ?? 'USD').toUpperCase()})`) + 20;
  canvas.fillRect(lineLegend, legendY + 3, 14, 2, spendChartColors.line);
  canvas.text(lineLegend + 18, legendY + 1, 'EFFECTIVE GPU UTILIZATION (RIGHT AXIS)', spendChartColors.label);

  return canvas.encode();
}

function currencySymbol(currency: string): string {
  return currency.toUpperCase() === 'USD' ? '$' : `${currency.toUpperCase()} `;
}

/** 0, 250, 1.5K, 12K, 2.5M: short axis labels. */
export function compactAmount(value: number): string {
  const abs = Math.abs(value);
  const trim = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(n < 10 ? 2 : 1).replace(/\.?0+$/, ''));
  if (abs >= 1e9) return `${trim(value / 1e9)}B`;
  if (abs >= 1e6) return `${trim(value / 1e6)}M`;
  if (abs >= 1e3) return `${trim(value / 1e3)}K`;
  return trim(value);
}

class Canvas {
  readonly data: Buffer;
  constructor(
    readonly width: number,
    readonly height: number,
  ) {
    this.data = Buffer.alloc(width * height * 4);
    this.fillRect(0, 0, width, height, spendChartColors.background);
  }

  set(x: number, y: number, [r, g, b]: Rgb): void {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    const at = (y * this.width + x) * 4;
    this.data[at] = r;
    this.data[at + 1] = g;
    this.data[at + 2] = b;
    this.data[at + 3] = 255;
  }

  fillRect(x: number, y: number, w: number, h: number, color: Rgb): void {
    for (let row = y; row < y + h; row++) for (let col = x; col < x + w; col++) this.set(col, row, color);
  }

  /** A line three pixels thick (Bresenham with a 3×3 brush). */
  line(x0: number, y0: number, x1: number, y1: number, color: Rgb): void {
    const dx = Math.abs(x1 - x0);
    const dy = -Math.abs(y1 - y0);
    const sx = x0 < x1 ? 1 : -1;
    const sy = y0 < y1 ? 1 : -1;
    let error = dx + dy;
    for (let x = x0, y = y0; ;) {
      this.fillRect(x - 1, y - 1, 3, 3, color);
      if (x === x1 && y === y1) break;
      const twice = 2 * error;
      if (twice >= dy) {
        error += dy;
        x += sx;
      }
      if (twice <= dx) {
        error += dx;
        y += sy;
      }
    }
  }

  text(x: number, y: number, text: string, color: Rgb): void {
    let cursor = x;
    for (const char of text.toUpperCase()) {
      const rows = font[char];
      if (rows) {
        for (const [row, bits] of rows.entries()) {
          for (let col = 0; col < 5; col++) if (bits & (0x10 >> col)) this.set(cursor + col, y + row, color);
        }
      }
      cursor += GLYPH_ADVANCE;
    }
  }

  encode(): Buffer {
    const png = new pngjs.PNG({ width: this.width, height: this.height });
    this.data.copy(png.data);
    // Fixed encoder settings (the adaptive filter choice is itself deterministic), so the bytes depend on the pixels only.
    return pngjs.PNG.sync.write(png, { colorType: 2, inputHasAlpha: true, filterType: -1, deflateLevel: 9 });
  }
}

const GLYPH_ADVANCE = 6;

function textWidth(text: string): number {
  return text.length === 0 ? 0 : text.length * GLYPH_ADVANCE - 1;
}

/** 5×7 glyphs, one number per row, bit 4 the leftmost column. */
const font: Record<string, readonly number[]> = {
  ' ': [0, 0, 0, 0, 0, 0, 0],
  '0': [0x0e, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0e],
  '1': [0x04, 0x0c, 0x04, 0x04, 0x04, 0x04, 0x0e],
  '2': [0x0e, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1f],
  '3': [0x1f, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0e],
  '4': [0x02, 0x06, 0x0a, 0x12, 0x1f, 0x02, 0x02],
  '5': [0x1f, 0x10, 0x1e, 0x01, 0x01, 0x11, 0x0e],
  '6': [0x06, 0x08, 0x10, 0x1e, 0x11, 0x11, 0x0e],
  '7': [0x1f, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08],
  '8': [0x0e, 0x11, 0x11, 0x0e, 0x11, 0x11, 0x0e],
  '9': [0x0e, 0x11, 0x11, 0x0f, 0x01, 0x02, 0x0c],
  A: [0x0e, 0x11, 0x11, 0x1f, 0x11, 0x11, 0x11],
  B: [0x1e, 0x11, 0x11, 0x1e, 0x11, 0x11, 0x1e],
  C: [0x0e, 0x11, 0x10, 0x10, 0x10, 0x11, 0x0e],
  D: [0x1c, 0x12, 0x11, 0x11, 0x11, 0x12, 0x1c],
  E: [0x1f, 0x10, 0x10, 0x1e, 0x10, 0x10, 0x1f],
  F: [0x1f, 0x10, 0x10, 0x1e, 0x10, 0x10, 0x10],
  G: [0x0e, 0x11, 0x10, 0x17, 0x11, 0x11, 0x0f],
  H: [0x11, 0x11, 0x11, 0x1f, 0x11, 0x11, 0x11],
  I: [0x0e, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0e],
  J: [0x07, 0x02, 0x02, 0x02, 0x02, 0x12, 0x0c],
  K: [0x11, 0x12, 0x14, 0x18, 0x14, 0x12, 0x11],
  L: [0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x1f],
  M: [0x11, 0x1b, 0x15, 0x15, 0x11, 0x11, 0x11],
  N: [0x11, 0x11, 0x19, 0x15, 0x13, 0x11, 0x11],
  O: [0x0e, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0e],
  P: [0x1e, 0x11, 0x11, 0x1e, 0x10, 0x10, 0x10],
  Q: [0x0e, 0x11, 0x11, 0x11, 0x15, 0x12, 0x0d],
  R: [0x1e, 0x11, 0x11, 0x1e, 0x14, 0x12, 0x11],
  S: [0x0f, 0x10, 0x10, 0x0e, 0x01, 0x01, 0x1e],
  T: [0x1f, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04],
  U: [0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0e],
  V: [0x11, 0x11, 0x11, 0x11, 0x11, 0x0a, 0x04],
  W: [0x11, 0x11, 0x11, 0x15, 0x15, 0x15, 0x0a],
  X: [0x11, 0x11, 0x0a, 0x04, 0x0a, 0x11, 0x11],
  Y: [0x11, 0x11, 0x11, 0x0a, 0x04, 0x04, 0x04],
  Z: [0x1f, 0x01, 0x02, 0x04, 0x08, 0x10, 0x1f],
  $: [0x04, 0x0f, 0x14, 0x0e, 0x05, 0x1e, 0x04],
  '%': [0x18, 0x19, 0x02, 0x04, 0x08, 0x13, 0x03],
  '.': [0, 0, 0, 0, 0, 0x0c, 0x0c],
  ',': [0, 0, 0, 0, 0x0c, 0x04, 0x08],
  '-': [0, 0, 0, 0x1f, 0, 0, 0],
  '/': [0, 0x01, 0x02, 0x04, 0x08, 0x10, 0],
  ':': [0, 0x0c, 0x0c, 0, 0x0c, 0x0c, 0],
  '(': [0x02, 0x04, 0x08, 0x08, 0x08, 0x04, 0x02],
  ')': [0x08, 0x04, 0x02, 0x02, 0x02, 0x04, 0x08],
};
