import { describe, expect, it } from 'vitest';
import { blockKitLimits, escapeMrkdwn, fitBlockKitLimits, headerBlock, sectionBlock, type SlackBlock } from './slack-blocks.js';

describe('Block Kit limits', () => {
  it('escapes the characters mrkdwn gives meaning', () => {
    expect(escapeMrkdwn('a < b & c > d')).toBe('a &lt; b &amp; c &gt; d');
  });

  it('cuts long texts and closes a code block the cut left open', () => {
    const table = `*Table*\n\`\`\`\n${'row of numbers\n'.repeat(400)}\`\`\``;
    const [block] = fitBlockKitLimits({ text: 'x', blocks: [sectionBlock(table)] }).blocks as [Extract<SlackBlock, { type: 'section' }>];
    expect(block.text!.text.length).toBeLessThanOrEqual(blockKitLimits.sectionText);
    expect(block.text!.text.endsWith('…\n```')).toBe(true);
    expect(block.text!.text.match(/```/g)).toHaveLength(2);
  });

  it('cuts headers to 150 characters', () => {
    const [header] = fitBlockKitLimits({ text: 'x', blocks: [headerBlock('h'.repeat(300))] }).blocks as [
      Extract<SlackBlock, { type: 'header' }>,
    ];
    expect(header.text.text).toHaveLength(150);
  });

  it('moves fields beyond ten into further sections', () => {
    const fields = Array.from({ length: 23 }, (_, i) => `*f${i}*`);
    const { blocks } = fitBlockKitLimits({ text: 'x', blocks: [sectionBlock('fields', fields)] });
    expect(blocks.map((b) => (b as { fields?: unknown[] }).fields?.length)).toEqual([10, 10, 3]);
  });

  it('keeps at most 50 blocks and says how many were left out', () => {
    const { blocks } = fitBlockKitLimits({ text: 'x', blocks: Array.from({ length: 70 }, (_, i) => sectionBlock(`block ${i}`)) });
    expect(blocks).toHaveLength(50);
    expect(blocks[49]).toEqual({
      type: 'context',
      elements: [{ type: 'mrkdwn', text: '21 more blocks were left out; the email has everything.' }],
    });
  });
});
