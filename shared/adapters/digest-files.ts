import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { renderSpendChartPng } from '../domain/digest/chart-png.js';
import type { DigestModel } from '../domain/digest/digest-model.js';
import { renderDigestHtml } from '../domain/digest/digest-render.js';

/**
 * The digest as files a browser opens: `<dir>/<date>.html`, which shows `<date>.png` beside it by relative path
 * (the email uses a cid: reference to the same image instead). Writing a day again replaces its files.
 */
export async function writeDigestFiles(dir: string, model: DigestModel): Promise<{ htmlPath: string; pngPath: string }> {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(model.date)) throw new RangeError(`digest date must be a yyyy-mm-dd day, got ${model.date}`);
  await mkdir(dir, { recursive: true });
  const htmlPath = join(dir, `${model.date}.html`);
  const pngPath = join(dir, `${model.date}.png`);
  await writeFile(pngPath, renderSpendChartPng(model.chart, { currency: model.currency }));
  await writeFile(htmlPath, renderDigestHtml(model, { chartSrc: `${model.date}.png` }), 'utf8');
  return { htmlPath, pngPath };
}
