/**
 * The Slack Block Kit subset the ledger sends through incoming webhooks, and Block Kit's limits: at most 50
 * blocks a message, 150 characters in a header, 3,000 in a section's text, 10 fields of at most 2,000 each,
 * 10 context elements. `fitBlockKitLimits` is the last step of every renderer, so no message is refused by Slack
 * for its size.
 */
export interface SlackText {
  type: 'mrkdwn' | 'plain_text';
  text: string;
  emoji?: boolean;
}

export type SlackBlock =
  | { type: 'header'; text: { type: 'plain_text'; text: string; emoji?: boolean } }
  | { type: 'section'; text?: SlackText; fields?: SlackText[] }
  | { type: 'divider' }
  | { type: 'context'; elements: SlackText[] };

/** What an incoming webhook receives: `text` is the notification and accessibility fallback. */
export interface SlackMessage {
  text: string;
  blocks: SlackBlock[];
}

export const blockKitLimits = {
  blocks: 50,
  headerText: 150,
  sectionText: 3000,
  fields: 10,
  fieldText: 2000,
  contextElements: 10,
  contextText: 2000,
  /** Slack truncates the fallback text beyond this; ours stays far below. */
  messageText: 3000,
} as const;

/** Slack mrkdwn gives `&`, `<` and `>` meaning; text from data must escape them. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Cuts `text` to `max` characters with an ellipsis, closing a code block the cut left open. */
export function truncateText(text: string, max: number): string {
  if (text.length <= max) return text;
  const fence = '\n```';
  let cut = `${text.slice(0, max - 1)}…`;
  if ((cut.match(/```/g)?.length ?? 0) % 2 === 1) cut = `${text.slice(0, max - 1 - fence.length)}…${fence}`;
  return cut;
}

export const mrkdwn = (text: string): SlackText => ({ type: 'mrkdwn', text });

export function headerBlock(text: string): SlackBlock {
  return { type: 'header', text: { type: 'plain_text', text, emoji: true } };
}

export function sectionBlock(text: string, fields?: string[]): SlackBlock {
  return { type: 'section', text: mrkdwn(text), ...(fields && fields.length > 0 ? { fields: fields.map(mrkdwn) } : {}) };
}

export function fieldsBlock(fields: string[]): SlackBlock {
  return { type: 'section', fields: fields.map(mrkdwn) };
}

export function contextBlock(...texts: string[]): SlackBlock {
  return { type: 'context', elements: texts.map(mrkdwn) };
}

export const dividerBlock: SlackBlock = { type: 'divider' };

/** The message within Block Kit's limits: long texts cut, surplus fields moved to further sections, surplus blocks dropped with a note. */
export function fitBlockKitLimits(message: SlackMessage): SlackMessage {
  const blocks: SlackBlock[] = [];
  for (const block of message.blocks) {
    switch (block.type) {
      case 'header':
        blocks.push({ type: 'header', text: { ...block.text, text: truncateText(block.text.text, blockKitLimits.headerText) } });
        break;
      case 'section': {
        const fields = block.fields?.map((field) => ({ ...field, text: truncateText(field.text, blockKitLimits.fieldText) }));
        const text = block.text && { ...block.text, text: truncateText(block.text.text, blockKitLimits.sectionText) };
        blocks.push({
          type: 'section',
          ...(text ? { text } : {}),
          ...(fields?.length ? { fields: fields.slice(0, blockKitLimits.fields) } : {}),
        });
        for (let i = blockKitLimits.fields; fields && i < fields.length; i += blockKitLimits.fields) {
          blocks.push({ type: 'section', fields: fields.slice(i, i + blockKitLimits.fields) });
        }
        break;
      }
      case 'context':
        blocks.push({
          type: 'context',
          elements: block.elements
            .slice(0, blockKitLimits.contextElements)
            .map((element) => ({ ...element, text: truncateText(element.text, blockKitLimits.contextText) })),
        });
        break;
      case 'divider':
        blocks.push(block);
    }
  }
  const kept =
    blocks.length <= blockKitLimits.blocks
      ? blocks
      : [
          ...blocks.slice(0, blockKitLimits.blocks - 1),
          contextBlock(`${blocks.length - blockKitLimits.blocks + 1} more blocks were left out; the email has everything.`),
        ];
  return { text: truncateText(message.text, blockKitLimits.messageText), blocks: kept };
}
