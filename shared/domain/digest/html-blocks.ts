import { toneColor, type Tone } from './digest-order.js';

export const FONT = "font-family:-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif";

export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** For cost, up is bad. */

export function coloured(text: string, tone: Tone, bold = false): string {
  return `<span style="color:${toneColor[tone]};${bold ? 'font-weight:600;' : ''}">${escapeHtml(text)}</span>`;
}

export interface Column {
  label: string;
  align?: 'left' | 'right';
}

/** Cells are HTML already (escaped by the caller). */
export function dataTable(columns: Column[], rows: string[][]): string {
  const th = columns
    .map(
      (c) =>
        `<th align="${c.align ?? 'left'}" style="padding:6px 8px;border-bottom:2px solid #d0d5dd;font-size:12px;font-weight:600;color:#475467;white-space:nowrap;">${escapeHtml(c.label)}</th>`,
    )
    .join('');
  const body = rows
    .map(
      (row, i) =>
        `<tr style="background:${i % 2 ? '#f9fafb' : '#ffffff'};">${row
          .map(
            (cell, j) =>
              `<td align="${columns[j]?.align ?? 'left'}" style="padding:6px 8px;border-bottom:1px solid #eaecf0;font-size:13px;vertical-align:top;">${cell}</td>`,
          )
          .join('')}</tr>`,
    )
    .join('');
  return `<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="border-collapse:collapse;${FONT};"><tr>${th}</tr>${body}</table>`;
}

export function sectionRow(title: string, subtitle: string, inner: string): string {
  return `<tr><td style="padding:18px 20px 4px;${FONT};">
<h2 style="margin:0 0 2px;font-size:17px;color:#101828;">${escapeHtml(title)}</h2>
${subtitle ? `<p style="margin:0 0 10px;font-size:13px;color:#667085;">${escapeHtml(subtitle)}</p>` : ''}
${inner}
</td></tr>`;
}

export function paragraph(html: string): string {
  return `<p style="margin:0 0 8px;font-size:14px;color:#344054;${FONT};">${html}</p>`;
}

export function emailShell(title: string, rows: string[], footer: string): string {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)}</title></head>
<body style="margin:0;padding:0;background:#f2f4f7;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="background:#f2f4f7;"><tr><td align="center" style="padding:24px 8px;">
<table role="presentation" width="760" cellpadding="0" cellspacing="0" style="width:760px;max-width:100%;background:#ffffff;border:1px solid #eaecf0;border-radius:6px;${FONT};color:#101828;">
${rows.join('\n')}
<tr><td style="padding:16px 20px 20px;font-size:12px;color:#98a2b3;${FONT};">${footer}</td></tr>
</table>
</td></tr></table>
</body></html>
`;
}
